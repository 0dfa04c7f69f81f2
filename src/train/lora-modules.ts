/**
 * LoRA bookkeeping shared by every model: the seeded initialisation and the trainable parameters on a
 * backend. Which linears (or row slices of fused ones) get an adapter: lora-targets.ts; the PEFT
 * (PyTorch-layout) names and shapes of exported weights: lora-peft.ts (both re-exported here).
 *
 * Internal layout, per adapted linear y = x·W + b (x [.., in]):
 *   A [in, r], B [r, out];  y' = y + (alpha / r) · (dropout(x)·A)·B
 * (a row-slice adapter: B [r, rows], added into those output columns only)
 * PEFT stores lora_A.weight [r, in] = Aᵀ and lora_B.weight [out, r] = Bᵀ.
 */
import type { Backend, Tensor } from '../core/backend';
import type { LinearModule } from '../nn/ops';
import { mulberry32 } from '../util/rng';
import { hostToPeft, peftName, peftToHost, type LoraHostPair } from './lora-peft';
import { selectTargets, type LoraTarget } from './lora-targets';
import type { LoraConfig, TrainParam } from './types';

export const DEFAULT_LORA: LoraConfig = { rank: 16, alpha: 32, dropout: 0, targetModules: 'all-linear' };

/** Checks a config's numbers; returns it. */
export function checkLoraConfig(cfg: LoraConfig): LoraConfig {
  if (!(Number.isInteger(cfg.rank) && cfg.rank >= 1))
    throw new Error(`LoRA: rank must be a positive integer, got ${cfg.rank}`);
  if (typeof cfg.alpha !== 'number' || !Number.isFinite(cfg.alpha))
    throw new Error(
      `LoRA: alpha must be a finite number, got ${typeof cfg.alpha === 'string' ? `the string ${JSON.stringify(cfg.alpha)}` : String(cfg.alpha)}`,
    );
  if (!(cfg.dropout >= 0 && cfg.dropout < 1))
    throw new Error(`LoRA: dropout must be in [0, 1), got ${cfg.dropout}`);
  return cfg;
}

export {
  fusedTargetNotes,
  matchesTarget,
  selectTargets as selectModules,
  type LoraTarget,
} from './lora-targets';
export { peftName, peftToHost, transpose, type LoraHostPair } from './lora-peft';

/** A's initial values, [in, r]: PEFT's kaiming_uniform_(a = sqrt 5) on [r, in], i.e. U(-1/sqrt(in), 1/sqrt(in)), seeded. */
export function initA(
  m: Pick<LinearModule, 'inDim'>,
  rank: number,
  seed: number,
  index: number,
): Float32Array {
  const r = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const bound = 1 / Math.sqrt(m.inDim);
  return Float32Array.from({ length: m.inDim * rank }, () => (2 * r() - 1) * bound);
}

/**
 * One adapter's device tensors (A [in, r], B [r, rows]) and where its output goes: the whole linear
 * (slice null) or its output columns start..start+rows-1 of `total` (a row slice of a fused linear).
 */
export interface LoraPair {
  /** the adapter's key (LoraTarget.path) */
  readonly key: string;
  readonly A: Tensor;
  readonly B: Tensor;
  readonly slice: { readonly start: number; readonly total: number } | null;
}

/** The adapters of a model on one backend, by the path of the linear they adapt, with the LoRA scale. */
export interface LoraSet {
  readonly scale: number;
  readonly pairs: ReadonlyMap<string, readonly LoraPair[]>;
}

/** the LoraPair of target t */
const pairOf = (t: LoraTarget, A: Tensor, B: Tensor): LoraPair => ({
  key: t.path,
  A,
  B,
  slice: t.slice ? { start: t.start, total: t.total } : null,
});

/** pairs grouped by linear path */
function grouped(pairs: readonly LoraPair[], targets: readonly LoraTarget[]): Map<string, LoraPair[]> {
  const out = new Map<string, LoraPair[]>();
  pairs.forEach((p, i) => {
    const g = out.get(targets[i].linear);
    if (g) g.push(p);
    else out.set(targets[i].linear, [p]);
  });
  return out;
}

function param(backend: Backend, name: string, data: Float32Array, shape: number[]): TrainParam {
  const zeros = () => backend.tensor(new Float32Array(data.length), shape);
  return { name, value: backend.tensor(data, shape), grad: zeros(), m: zeros(), v: zeros(), decay: true };
}

/** Trainable LoRA parameters of the selected targets: A seeded, B zero (the model starts equal to the base). */
export class LoraParams {
  readonly scale: number;
  /** the adapters' places (whole linears, or row slices of fused ones), keyed by path */
  readonly modules: readonly LoraTarget[];
  private readonly byPath = new Map<string, { A: TrainParam; B: TrainParam; t: LoraTarget }>();

  constructor(
    readonly backend: Backend,
    all: readonly LinearModule[],
    readonly cfg: LoraConfig,
    seed: number,
  ) {
    checkLoraConfig(cfg);
    this.scale = cfg.alpha / cfg.rank;
    this.modules = selectTargets(all, cfg.targetModules);
    const r = cfg.rank;
    this.modules.forEach((t, i) => {
      this.byPath.set(t.path, {
        t,
        A: param(backend, peftName(t.path, 'A'), initA(t, r, seed, i), [t.inDim, r]),
        B: param(backend, peftName(t.path, 'B'), new Float32Array(r * t.outDim), [r, t.outDim]),
      });
    });
  }

  params(): TrainParam[] {
    return [...this.byPath.values()].flatMap((p) => [p.A, p.B]);
  }

  /** the live adapter tensors (what the optimiser updates in place) */
  set(): LoraSet {
    const list = [...this.byPath.values()];
    const pairs = list.map((p) => pairOf(p.t, p.A.value, p.B.value));
    return {
      scale: this.scale,
      pairs: grouped(
        pairs,
        list.map((p) => p.t),
      ),
    };
  }

  /** the gradient buffers by adapter key */
  grads(): Map<string, { A: Tensor; B: Tensor }> {
    const out = new Map<string, { A: Tensor; B: Tensor }>();
    for (const [path, p] of this.byPath) out.set(path, { A: p.A.grad, B: p.B.grad });
    return out;
  }

  /** host copies of every adapter (internal layout), by adapter key */
  async host(): Promise<Map<string, LoraHostPair>> {
    const out = new Map<string, LoraHostPair>();
    for (const [path, p] of this.byPath) {
      out.set(path, { a: await this.backend.readF32(p.A.value), b: await this.backend.readF32(p.B.value) });
    }
    return out;
  }

  /** PEFT names, PyTorch layout: lora_A.weight [r, in], lora_B.weight [out, r] (slice adapters fused: lora-peft.ts) */
  async exportWeights(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    return hostToPeft(await this.host(), this.modules, this.cfg.rank);
  }

  /** Inverse of exportWeights: every selected module's A and B must be present with PEFT shapes. */
  loadWeights(weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): void {
    const host = peftToHost(weights, this.modules, this.cfg.rank);
    for (const [path, h] of host) {
      const p = this.byPath.get(path)!;
      writeInto(this.backend, p.A, h.a);
      writeInto(this.backend, p.B, h.b);
    }
  }

  dispose(): void {
    for (const p of this.params()) this.backend.dispose(p.value, p.grad, p.m, p.v);
  }
}

/** Replaces a param's value in place (value = 0 · value + data), so tensors held elsewhere stay valid. */
function writeInto(backend: Backend, p: TrainParam, data: Float32Array): void {
  const t = backend.tensor(data, p.value.shape);
  try {
    backend.zero(p.value);
    backend.addInPlace(p.value, t, 1);
  } finally {
    backend.dispose(t);
  }
}

/** Uploads host pairs as a LoraSet on `backend` (the caller disposes it with disposeSet). */
export function uploadSet(
  backend: Backend,
  host: ReadonlyMap<string, LoraHostPair>,
  modules: readonly LoraTarget[],
  rank: number,
  scale: number,
): LoraSet {
  const pairs = modules.map((t) => {
    const h = host.get(t.path);
    if (!h) throw new Error(`LoRA: no weights for ${t.path}`);
    return pairOf(t, backend.tensor(h.a, [t.inDim, rank]), backend.tensor(h.b, [rank, t.outDim]));
  });
  return { scale, pairs: grouped(pairs, modules) };
}

export function disposeSet(backend: Backend, set: LoraSet): void {
  for (const g of set.pairs.values()) for (const p of g) backend.dispose(p.A, p.B);
}
