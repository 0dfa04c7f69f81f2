/**
 * Vitest globalSetup: generates test-assets/tiny-models once (and again when the generator's version changes),
 * and bundles the CLI for the tests that run it as a child process (again on each watch-mode rerun).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildCliBundle } from './build-cli-bundle';
import { makeTinyModels, TINY_MODELS_DIR, TINY_MODELS_VERSION } from './make-tiny-models';

export function setupTinyModels(): void {
  const stamp = join(TINY_MODELS_DIR, 'VERSION');
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === String(TINY_MODELS_VERSION);
  if (!current) makeTinyModels(TINY_MODELS_DIR);
}

export default async function setup(project: TestProject): Promise<void> {
  setupTinyModels();
  await buildCliBundle();
  project.onTestsRerun(async () => void (await buildCliBundle()));
}
