/**
 * The training loop: seeded batches, InfoNCE over in-batch + hard negatives, backward through both
 * forwards, global-norm clipping, AdamW on a warm-up/decay schedule, dev nDCG@10, checkpoints and exact
 * resume. Batch b of the run is fully determined by (seed, b), so a resumed run repeats an uninterrupted one;
 * under a prompt policy (config.prompts) each query is put under its instruction (src/train/prompts.ts).
 */
import type { Dataset } from '../data/types';
import { qrelsOf } from '../data/qrels-check';
import { NonFiniteError } from '../models/finite';
import type { Tensor } from '../core/backend';
import { evaluate } from '../eval/evaluate';
import { applyTemplate, type TextTemplates } from '../models/types';
import { permutation, subSeed } from '../util/rng';
import { effectiveWarmup, lrAt } from './schedule';
import type { TrainCheckpoint, TrainConfig, TrainingPair, TrainableEmbedder, TrainProgress } from './types';
import { EtaClock } from './eta';
import { drawInstruction, policyPrompt, prompted, underPrompt } from './prompts';
import { queryTemplate } from '../prompts/template';
import { checkPolicy } from '../prompts/policy';

export interface TrainRunOptions {
  runId: string;
  trainable: TrainableEmbedder;
  pairs: readonly TrainingPair[];
  config: TrainConfig;
  templates: TextTemplates;
  dev?: { dataset: Dataset; split: string; maxQueries?: number };
  resume?: TrainCheckpoint;
  onProgress?: (p: TrainProgress) => void;
  onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>;
  signal?: AbortSignal;
}

/** The pair indices of global batch `step` (epochs reshuffled with a per-epoch seed; a short tail is dropped). */
export function batchIndices(n: number, batchSize: number, seed: number, step: number): number[] {
  const perEpoch = Math.floor(n / batchSize);
  if (perEpoch < 1) throw new RangeError(`training: ${n} pairs cannot fill one batch of ${batchSize}`);
  const epoch = Math.floor(step / perEpoch);
  const order = permutation(n, subSeed(seed, epoch));
  const at = (step % perEpoch) * batchSize;
  return order.slice(at, at + batchSize);
}

/** A dev dataset limited to the first maxQueries judged queries of a split (by query order). */
export function limitDev(dataset: Dataset, split: string, maxQueries?: number): Dataset {
  const qrels = qrelsOf(dataset, split, 'dev dataset');
  if (!maxQueries || qrels.size <= maxQueries) return dataset;
  const keep = dataset.queries.filter((q) => qrels.has(q.id)).slice(0, maxQueries);
  const sub = new Map(keep.map((q) => [q.id, qrels.get(q.id)!]));
  return { ...dataset, qrels: { ...dataset.qrels, [split]: sub } };
}

function checkRun(o: TrainRunOptions): void {
  const c = o.config;
  if (c.prompts) checkPolicy(c.prompts, 'training: config.prompts');
  if (!Number.isInteger(c.steps) || c.steps < 1)
    throw new RangeError(`training: steps must be a positive integer, got ${c.steps}`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 2)
    throw new RangeError(`training: batchSize must be an integer >= 2, got ${c.batchSize}`);
  const short = o.pairs.findIndex((p) => (p.negatives?.length ?? 0) < c.hardNegatives);
  if (short >= 0)
    throw new Error(
      `training: pair ${short} has ${o.pairs[short].negatives?.length ?? 0} negatives, ${c.hardNegatives} needed (mine them or lower hardNegatives)`,
    );
  if (o.resume && o.resume.step > c.steps)
    throw new Error(`resume: checkpoint step ${o.resume.step} is past the run's ${c.steps} steps`);
}

/** The batch's query texts: each under its instruction (config.prompts), else the run's query template. */
export function queryTexts(o: TrainRunOptions, batch: readonly TrainingPair[], step: number): string[] {
  const c = o.config;
  if (!prompted(c.prompts)) return batch.map((p) => applyTemplate(o.templates.query, { text: p.query }));
  const prompt = policyPrompt(o.trainable.base, c.prompts);
  return batch.map((p, i) =>
    applyTemplate(queryTemplate(prompt, drawInstruction(c.prompts, c.seed, step, i)), { text: p.query }),
  );
}

const abortError = () => new DOMException('training cancelled', 'AbortError');

async function snapshot(
  o: TrainRunOptions,
  step: number,
  history: TrainProgress[],
): Promise<TrainCheckpoint> {
  const be = o.trainable.backend;
  const params: Record<string, Float32Array> = {};
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const p of o.trainable.params()) {
    params[p.name] = (await be.readF32(p.value)).slice();
    m[p.name] = (await be.readF32(p.m)).slice();
    v[p.name] = (await be.readF32(p.v)).slice();
  }
  return { runId: o.runId, step, config: o.config, params, m, v, history: history.map((h) => ({ ...h })) };
}

function restore(o: TrainRunOptions, ck: TrainCheckpoint): void {
  const be = o.trainable.backend;
  const set = (t: Tensor, data: Float32Array | undefined, what: string) => {
    if (!data || data.length !== t.size)
      throw new Error(`resume: checkpoint ${what} has ${data?.length ?? 'no'} values, expected ${t.size}`);
    const u = be.tensor(data, t.shape);
    be.zero(t);
    be.addInPlace(t, u, 1);
    be.dispose(u);
  };
  for (const p of o.trainable.params()) {
    set(p.value, ck.params[p.name], `param "${p.name}"`);
    set(p.m, ck.m[p.name], `m of "${p.name}"`);
    set(p.v, ck.v[p.name], `v of "${p.name}"`);
    be.zero(p.grad);
  }
}

/**
 * A non-finite loss: when the base model gives non-finite embeddings for the step's texts, that
 * NonFiniteError (naming the model and layer: its weights overflow); else "training diverged".
 */
async function divergence(o: TrainRunOptions, step: number, loss: number): Promise<Error> {
  const c = o.config;
  const batch = batchIndices(o.pairs.length, c.batchSize, c.seed, step).map((i) => o.pairs[i]);
  const texts = [
    ...queryTexts(o, batch, step),
    ...batch.map((p) => applyTemplate(o.templates.passage, { text: p.positive })),
  ];
  try {
    await o.trainable.base.embed(o.trainable.backend, texts, 'passage');
  } catch (e) {
    if (e instanceof NonFiniteError) return e;
    throw e;
  }
  return new Error(`training diverged at step ${step + 1}: loss ${loss}`);
}

/** dev nDCG@10 of the weights now, queries under the policy's default instruction (as the expert will be used). */
async function devNdcg(o: TrainRunOptions, dev: Dataset, step: number): Promise<number> {
  const live = o.trainable.asEmbedder(`${o.runId}@${step}`);
  const p = o.config.prompts;
  const embedder = prompted(p) ? underPrompt(live, policyPrompt(o.trainable.base, p)) : live;
  const { report } = await evaluate({
    dataset: dev,
    split: o.dev!.split,
    retriever: {
      kind: 'dense',
      embedder,
      backend: o.trainable.backend,
    },
    depth: 100,
    signal: o.signal,
  });
  return report.metrics['ndcg@10'];
}

/** One optimiser step on one batch; returns the loss and the (pre-clip) gradient norm. */
async function trainStep(
  o: TrainRunOptions,
  step: number,
  warmup: number,
): Promise<{ loss: number; lr: number; gradNorm: number }> {
  const c = o.config;
  const t = o.trainable;
  const be = t.backend;
  const batch = batchIndices(o.pairs.length, c.batchSize, c.seed, step).map((i) => o.pairs[i]);
  const qTexts = queryTexts(o, batch, step);
  const dTexts = batch.map((p) => applyTemplate(o.templates.passage, { text: p.positive }));
  for (const p of batch)
    for (const n of (p.negatives ?? []).slice(0, c.hardNegatives))
      dTexts.push(applyTemplate(o.templates.passage, { text: n }));
  const qF = await t.forwardTrain(qTexts, 'query', { training: true, seed: subSeed(c.seed, 2 * step) });
  let dF;
  try {
    dF = await t.forwardTrain(dTexts, 'passage', { training: true, seed: subSeed(c.seed, 2 * step + 1) });
  } catch (e) {
    qF.release();
    be.dispose(qF.emb);
    throw e;
  }
  const positive = Uint32Array.from(batch, (_, i) => i);
  const { loss, dq, ddocs } = await be.infoNce(qF.emb, dF.emb, positive, {
    scale: c.scale,
    symmetric: c.symmetric,
  });
  qF.backward(dq);
  dF.backward(ddocs);
  be.dispose(dq, ddocs, qF.emb, dF.emb);
  let sq = 0;
  for (const p of t.params()) sq += await be.sumSquares(p.grad);
  const gradNorm = Math.sqrt(sq);
  if (c.maxGradNorm > 0 && gradNorm > c.maxGradNorm) {
    const f = c.maxGradNorm / (gradNorm + 1e-6);
    for (const p of t.params()) be.addInPlace(p.grad, p.grad, f - 1);
  }
  const lr = lrAt(step, c.lr, warmup, c.steps);
  for (const p of t.params()) {
    be.adamw(p.value, p.grad, p.m, p.v, {
      lr,
      beta1: c.beta1,
      beta2: c.beta2,
      eps: c.eps,
      weightDecay: p.decay ? c.weightDecay : 0,
      step: step + 1,
    });
    be.zero(p.grad);
  }
  return { loss, lr, gradNorm };
}

export async function trainRun(
  o: TrainRunOptions,
): Promise<{ history: TrainProgress[]; checkpoint: TrainCheckpoint }> {
  checkRun(o);
  const c = o.config;
  const history: TrainProgress[] = o.resume ? o.resume.history.map((h) => ({ ...h })) : [];
  let step = 0;
  if (o.resume) {
    restore(o, o.resume);
    step = o.resume.step;
  } else {
    const be = o.trainable.backend;
    for (const p of o.trainable.params()) be.zero(p.grad);
  }
  const warmup = effectiveWarmup(c.warmupSteps, c.steps);
  const dev = o.dev ? limitDev(o.dev.dataset, o.dev.split, o.dev.maxQueries) : null;
  const t0 = performance.now();
  const clock = new EtaClock(c.steps, dev ? c.devEvery : 0);
  while (step < c.steps) {
    if (o.signal?.aborted) throw abortError();
    const ts = performance.now();
    const r = await trainStep(o, step, warmup);
    if (!Number.isFinite(r.loss)) throw await divergence(o, step, r.loss);
    step++;
    clock.step((performance.now() - ts) / 1000);
    const p: TrainProgress = {
      step,
      totalSteps: c.steps,
      loss: r.loss,
      lr: r.lr,
      gradNorm: r.gradNorm,
      elapsedS: 0,
      etaS: 0,
    };
    if (dev && c.devEvery > 0 && (step % c.devEvery === 0 || step === c.steps)) {
      const te = performance.now();
      p.devNdcg10 = await devNdcg(o, dev, step);
      clock.devEval((performance.now() - te) / 1000);
    }
    p.elapsedS = (performance.now() - t0) / 1000;
    p.etaS = clock.remaining(step);
    history.push(p);
    o.onProgress?.(p);
    if (o.signal?.aborted) throw abortError();
    if (c.checkpointEvery > 0 && step % c.checkpointEvery === 0 && step < c.steps)
      await o.onCheckpoint?.(await snapshot(o, step, history));
  }
  const checkpoint = await snapshot(o, step, history);
  await o.onCheckpoint?.(checkpoint);
  return { history, checkpoint };
}
