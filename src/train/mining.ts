/**
 * Hard-negative mining with sentence-transformers `mine_hard_negatives` semantics: every candidate passage
 * is ranked by cosine similarity to the query (exact top-k on the backend); the positive and exact
 * duplicates of it are removed from the ranking; the window [rangeMin, rangeMax) of what remains is kept;
 * candidates must satisfy score <= pos - absoluteMargin, score <= pos * (1 - relativeMargin),
 * score <= maxScore and score >= minScore; numNegatives are taken best-first ('top') or drawn at random
 * (seeded) from the eligible window ('random').
 */
import type { Backend } from '../core/backend';
import { searchTopK } from '../kernels/search';
import { applyTemplate, type Embedder } from '../models/types';
import { Rng } from '../util/rng';
import type { MiningConfig, TrainingPair } from './types';

export interface MiningOptions {
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: {
    phase: 'embed-queries' | 'embed-positives' | 'embed-corpus' | 'search' | 'select';
    done: number;
    total: number;
  }) => void;
}

export interface MiningResult {
  pairs: TrainingPair[];
  /** queries that got fewer than numNegatives negatives */
  short: number;
  /** mean positive and negative cosine (diagnostics) */
  meanPositive: number;
  meanNegative: number;
}

function checkConfig(cfg: MiningConfig): void {
  if (!Number.isInteger(cfg.numNegatives) || cfg.numNegatives < 1)
    throw new RangeError(`mining: numNegatives must be a positive integer, got ${cfg.numNegatives}`);
  if (!Number.isInteger(cfg.rangeMin) || cfg.rangeMin < 0)
    throw new RangeError(`mining: rangeMin must be a non-negative integer, got ${cfg.rangeMin}`);
  if (!Number.isInteger(cfg.rangeMax) || cfg.rangeMax <= cfg.rangeMin)
    throw new RangeError(
      `mining: rangeMax (${cfg.rangeMax}) must be an integer > rangeMin (${cfg.rangeMin})`,
    );
}

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[ai * dim + d] * b[bi * dim + d];
  return s;
}

export async function mineHardNegatives(
  backend: Backend,
  embedder: Embedder,
  pairs: readonly TrainingPair[],
  corpus: readonly string[],
  cfg: MiningConfig,
  opts: MiningOptions = {},
): Promise<MiningResult> {
  checkConfig(cfg);
  const { signal, onProgress } = opts;
  const abort = () => {
    if (signal?.aborted) throw new DOMException('mining cancelled', 'AbortError');
  };
  const docs = [...new Set(corpus)];
  const docIndex = new Map(docs.map((d, i) => [d, i]));
  const dim = embedder.dim;
  const tpl = embedder.templates;
  const n = pairs.length;
  onProgress?.({ phase: 'embed-queries', done: 0, total: n });
  const qEmb = await embedder.embed(
    backend,
    pairs.map((p) => applyTemplate(tpl.query, { text: p.query })),
    'query',
  );
  abort();
  onProgress?.({ phase: 'embed-positives', done: 0, total: n });
  const pEmb = await embedder.embed(
    backend,
    pairs.map((p) => applyTemplate(tpl.passage, { text: p.positive })),
    'passage',
  );
  abort();
  onProgress?.({ phase: 'embed-corpus', done: 0, total: docs.length });
  const cEmb = await embedder.embed(
    backend,
    docs.map((text) => applyTemplate(tpl.passage, { text })),
    'passage',
  );
  abort();
  // the positive can occupy one slot of the ranking (the corpus is de-duplicated)
  const k = Math.min(docs.length, cfg.rangeMax + 1, 1024);
  const top = await searchTopK(backend, qEmb, cEmb, dim, k, {
    metric: 'dot',
    signal,
    onProgress: (done, total) => onProgress?.({ phase: 'search', done, total }),
  });
  const rng = new Rng(opts.seed ?? 42);
  const out: TrainingPair[] = [];
  let short = 0;
  let posSum = 0;
  let negSum = 0;
  let negCount = 0;
  for (let i = 0; i < n; i++) {
    const pair = pairs[i];
    const posIdx = docIndex.get(pair.positive);
    const pos = dot(qEmb, i, pEmb, i, dim);
    posSum += pos;
    const ranked: { doc: number; score: number }[] = [];
    for (let j = 0; j < top.k; j++) {
      const idx = top.indices[i * top.k + j];
      if (idx === 0xffffffff) break;
      if (idx === posIdx || docs[idx] === pair.positive) continue;
      ranked.push({ doc: idx, score: top.scores[i * top.k + j] });
    }
    const eligible = ranked.slice(cfg.rangeMin, cfg.rangeMax).filter(({ score }) => {
      if (cfg.absoluteMargin !== null && score > pos - cfg.absoluteMargin) return false;
      if (cfg.relativeMargin !== null && score > pos * (1 - cfg.relativeMargin)) return false;
      if (cfg.maxScore !== null && score > cfg.maxScore) return false;
      if (cfg.minScore !== null && score < cfg.minScore) return false;
      return true;
    });
    let chosen: typeof eligible;
    if (cfg.sampling === 'top') chosen = eligible.slice(0, cfg.numNegatives);
    else
      chosen = rng
        .shuffle([...eligible])
        .slice(0, cfg.numNegatives)
        .sort((a, b) => b.score - a.score);
    if (chosen.length < cfg.numNegatives) short++;
    for (const c of chosen) negSum += c.score;
    negCount += chosen.length;
    out.push({ query: pair.query, positive: pair.positive, negatives: chosen.map((c) => docs[c.doc]) });
    if (i % 256 === 0) onProgress?.({ phase: 'select', done: i, total: n });
  }
  onProgress?.({ phase: 'select', done: n, total: n });
  return {
    pairs: out,
    short,
    meanPositive: n ? posSum / n : 0,
    meanNegative: negCount ? negSum / negCount : 0,
  };
}
