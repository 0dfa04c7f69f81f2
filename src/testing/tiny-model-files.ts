/** A tiny test model's folder as the studio's folder import receives it (src/worker: ModelFile). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import type { ModelFile } from '../worker/protocol';

/** Every file under a tiny model folder, as a folder pick gives them ("tiny-bert/onnx/model.onnx"). */
export function tinyModelFiles(
  name: 'tiny-bert' | 'tiny-qwen3',
  drop: string[] = [],
  replace: Record<string, Uint8Array<ArrayBuffer>> = {},
): ModelFile[] {
  const root = join(TINY_MODELS_DIR, name);
  const out: ModelFile[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const full = join(dir, f);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const rel = relative(root, full);
        if (drop.includes(rel)) continue;
        out.push({ path: `${name}/${rel}`, file: new File([replace[rel] ?? readFileSync(full)], f) });
      }
    }
  };
  walk(root);
  return out;
}
