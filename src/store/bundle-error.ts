/** The typed refusals of a project bundle import (nothing is written when one is thrown). */

/** A damaged or unreadable bundle: `part` names the part (or "manifest", "header"). */
export class BundleError extends Error {
  constructor(
    readonly part: string,
    readonly problem: string,
  ) {
    super(`bundle part ${part}: ${problem}. Nothing was imported.`);
    this.name = 'BundleError';
  }
}

/**
 * Stored datasets with the bundle's names but other contents: importing would replace them and delete
 * their stored runs and cached embeddings, so the import is refused unless the user confirms.
 */
export class BundleConflictError extends Error {
  constructor(readonly datasets: string[]) {
    const names = datasets.map((d) => `"${d}"`).join(', ');
    super(
      `The bundle has ${datasets.length === 1 ? 'a dataset' : 'datasets'} ${names} that this studio already stores with other contents; importing replaces ${datasets.length === 1 ? 'it' : 'them'} and deletes ${datasets.length === 1 ? 'its' : 'their'} runs and cached embeddings that are not in the bundle. Nothing was imported.`,
    );
    this.name = 'BundleConflictError';
  }
}
