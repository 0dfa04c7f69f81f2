/**
 * The Python packages the hand-off project's scripts are written against, pinned to versions whose APIs they
 * use: sentence-transformers 3.x's SentenceTransformerTrainer and PEFT mixin (add_adapter / load_adapter),
 * transformers 4.x (sentence-transformers 3.x needs < 5), mteb 1.x's AbsTaskRetrieval / MTEB.run (mteb 1.38
 * needs datasets < 3). mergekit lives in its own environment (its pins clash with these): MERGE_PINS.
 */
export const PINS: readonly (readonly [string, string])[] = [
  ['torch', '2.5.1'],
  ['transformers', '4.48.3'],
  ['sentence-transformers', '3.4.1'],
  ['peft', '0.14.0'],
  ['accelerate', '1.3.0'],
  ['datasets', '2.21.0'],
  ['mteb', '1.38.0'],
];

export const MERGE_PINS: readonly (readonly [string, string])[] = [['mergekit', '0.1.2']];

const lines = (pins: readonly (readonly [string, string])[]) => pins.map(([n, v]) => `${n}==${v}`).join('\n');

/** requirements.txt: one `name==version` a line. */
export function requirementsTxt(): string {
  return `# the versions train.py and evaluate.py are written against (pip install -r requirements.txt)\n${lines(PINS)}\n`;
}

/** requirements-merge.txt: mergekit, for merge.yml, in a separate environment. */
export function mergeRequirementsTxt(): string {
  return `# mergekit for merge.yml, in its own environment (python -m venv .venv-merge)\n${lines(MERGE_PINS)}\n`;
}
