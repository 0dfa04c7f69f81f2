/** Vitest globalSetup: generates test-assets/tiny-models once (and again when the generator's version changes). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTinyModels, TINY_MODELS_DIR, TINY_MODELS_VERSION } from './make-tiny-models';

export default function setup(): void {
  const stamp = join(TINY_MODELS_DIR, 'VERSION');
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === String(TINY_MODELS_VERSION);
  if (!current) makeTinyModels(TINY_MODELS_DIR);
}
