/**
 * Next-token choice from a row of logits, as transformers' generate does: greedy (temperature 0) takes the
 * arg max; otherwise logits / temperature -> softmax, nucleus (top-p) keeps the most probable tokens until
 * the mass before a token reaches p (at least one token; transformers' TopPLogitsWarper), renormalises, and
 * draws with the seeded generator. Ties rank the lower id first. Math in f64.
 */
import type { Rng } from '../../util/rng';

export interface SamplingOptions {
  /** 0: greedy */
  temperature: number;
  /** nucleus mass in (0, 1]; 1: off */
  topP: number;
}

/** the first index of the largest value (NaN never wins) */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let v = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > v) {
      v = logits[i];
      best = i;
    }
  }
  return best;
}

export function checkSampling(o: SamplingOptions, what = 'sampling'): void {
  if (!(Number.isFinite(o.temperature) && o.temperature >= 0))
    throw new RangeError(`${what}: temperature must be a number >= 0, got ${o.temperature}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new RangeError(`${what}: topP must be in (0, 1], got ${o.topP}`);
}

/**
 * The distribution sampling draws from: token ids, most probable first, and their probabilities (summing
 * to 1). Greedy: the arg max with probability 1.
 */
export function samplingDistribution(
  logits: ArrayLike<number>,
  o: SamplingOptions,
): { ids: number[]; probs: number[] } {
  checkSampling(o);
  const n = logits.length;
  if (n === 0) throw new RangeError('sampling: empty logits');
  if (o.temperature === 0) return { ids: [argmax(logits)], probs: [1] };
  const max = logits[argmax(logits)];
  if (!Number.isFinite(max)) throw new RangeError(`sampling: the largest logit is ${max}`);
  const w = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[i] - max) / o.temperature);
    w[i] = Number.isNaN(e) ? 0 : e;
    total += w[i];
  }
  if (o.topP >= 1) {
    const ids = Array.from({ length: n }, (_, i) => i).sort((a, b) => w[b] - w[a] || a - b);
    return { ids, probs: ids.map((i) => w[i] / total) };
  }
  // candidates: every token with weight >= tau, tau lowered until they hold the nucleus mass; the nucleus
  // is a most-probable-first prefix, so it lies among them (only they are sorted)
  const need = o.topP * total;
  let tau = w[argmax(w)];
  let cand: number[] = [];
  for (;;) {
    cand = [];
    let mass = 0;
    for (let i = 0; i < n; i++)
      if (w[i] >= tau) {
        cand.push(i);
        mass += w[i];
      }
    if (mass >= need || tau === 0) break;
    tau = tau > 1e-300 ? tau / 16 : 0;
  }
  cand.sort((a, b) => w[b] - w[a] || a - b);
  const ids: number[] = [];
  let before = 0;
  for (const i of cand) {
    if (ids.length > 0 && before >= need) break;
    ids.push(i);
    before += w[i];
  }
  return { ids, probs: ids.map((i) => w[i] / before) };
}

/**
 * One token drawn from samplingDistribution with one uniform from rng (greedy draws nothing). Without
 * nucleus (topP 1) the uniform walks the ids in order (no sort over the vocabulary), else most probable first.
 */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  if (o.temperature > 0 && o.topP >= 1) return drawAll(logits, o.temperature, rng);
  const { ids, probs } = samplingDistribution(logits, o);
  if (ids.length === 1) return ids[0];
  const u = rng.next();
  let c = 0;
  for (let k = 0; k < ids.length; k++) {
    c += probs[k];
    if (u < c) return ids[k];
  }
  return ids[ids.length - 1];
}

function drawAll(logits: ArrayLike<number>, temperature: number, rng: Rng): number {
  const n = logits.length;
  const max = logits[argmax(logits)];
  if (!Number.isFinite(max)) throw new RangeError(`sampling: the largest logit is ${max}`);
  const w = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[i] - max) / temperature);
    w[i] = Number.isNaN(e) ? 0 : e;
    total += w[i];
  }
  const u = rng.next() * total;
  let c = 0;
  for (let i = 0; i < n; i++) {
    c += w[i];
    if (u < c) return i;
  }
  return argmax(logits);
}
