/**
 * LoRA bookkeeping shared by every model: which linears get an adapter (PEFT `target_modules`
 * semantics), the seeded initialisation, the trainable parameters on a backend, and the PEFT
 * (PyTorch-layout) names and shapes of exported weights.
 *
 * Internal layout, per adapted linear y = x·W + b (x [.., in]):
 *   A [in, r], B [r, out];  y' = y + (alpha / r) · (dropout(x)·A)·B
 * PEFT stores lora_A.weight [r, in] = Aᵀ and lora_B.weight [out, r] = Bᵀ.
 */
import type { Backend, Tensor } from '../core/backend';
import type { LinearModule } from '../nn/ops';
import { mulberry32 } from '../util/rng';
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

/** PEFT's rule: a pattern selects a module whose path equals it or ends with "." + pattern. */
export function matchesTarget(path: string, pattern: string): boolean {
  return path === pattern || path.endsWith(`.${pattern}`);
}

/**
 * Phi-3's fused linears hold these projections as row slices (q|k|v of self_attn.qkv_proj, gate|up of
 * mlp.gate_up_proj). A pattern naming a slice (q_proj, self_attn.k_proj, up_proj, …) that matches no module of
 * a model with the fused linear selects the fused matrix: LoRA adapts and merges act on whole linears, so the
 * adapter then covers every slice of it (fusedTargetNotes says so).
 */
const FUSED_SLICE_OF: Readonly<Record<string, string>> = {
  q_proj: 'qkv_proj',
  k_proj: 'qkv_proj',
  v_proj: 'qkv_proj',
  gate_proj: 'gate_up_proj',
  up_proj: 'gate_up_proj',
};

/** the fused module's pattern for a slice's pattern ("self_attn.q_proj" -> "self_attn.qkv_proj"), or null */
function fusedPattern(pattern: string): string | null {
  const m = /(^|\.)([a-z_]+)$/.exec(pattern);
  const fused = m ? FUSED_SLICE_OF[m[2]] : undefined;
  return fused ? pattern.slice(0, pattern.length - m![2].length) + fused : null;
}

/** each pattern as it selects on these modules: itself, or the fused module of a slice it names */
function resolvePatterns(all: readonly LinearModule[], target: readonly string[]): string[] {
  return target.map((p) => {
    if (all.some((m) => matchesTarget(m.path, p))) return p;
    const f = fusedPattern(p);
    return f && all.some((m) => matchesTarget(m.path, f)) ? f : p;
  });
}

/** Messages for the patterns that name a slice of a fused linear (e.g. "q_proj -> self_attn.qkv_proj"). */
export function fusedTargetNotes(
  all: readonly LinearModule[],
  target: LoraConfig['targetModules'],
): string[] {
  if (target === 'all-linear') return [];
  const resolved = resolvePatterns(all, target);
  return target.flatMap((p, i) =>
    resolved[i] === p
      ? []
      : [
          `LoRA: "${p}" is a row slice of the fused ${resolved[i]} in this model: the adapter covers the whole fused matrix`,
        ],
  );
}

/** The modules `targetModules` selects; a pattern that selects nothing is an error (a typo would train nothing). */
export function selectModules(
  all: readonly LinearModule[],
  target: LoraConfig['targetModules'],
): LinearModule[] {
  if (target === 'all-linear') return [...all];
  if (target.length === 0) throw new Error('LoRA: targetModules is empty');
  const resolved = resolvePatterns(all, target);
  resolved.forEach((p) => {
    if (!all.some((m) => matchesTarget(m.path, p))) {
      throw new Error(
        `LoRA: target module pattern "${p}" matches no linear layer (have: ${all.map((m) => m.path).join(', ')})`,
      );
    }
  });
  return all.filter((m) => resolved.some((p) => matchesTarget(m.path, p)));
}

export const peftName = (path: string, which: 'A' | 'B') => `base_model.model.${path}.lora_${which}.weight`;

/** A's initial values, [in, r]: PEFT's kaiming_uniform_(a = sqrt 5) on [r, in], i.e. U(-1/sqrt(in), 1/sqrt(in)), seeded. */
export function initA(m: LinearModule, rank: number, seed: number, index: number): Float32Array {
  const r = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const bound = 1 / Math.sqrt(m.inDim);
  return Float32Array.from({ length: m.inDim * rank }, () => (2 * r() - 1) * bound);
}

/** Host copy of one adapter in the internal layout. */
export interface LoraHostPair {
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/** One adapter's device tensors (A [in, r], B [r, out]). */
export interface LoraPair {
  readonly A: Tensor;
  readonly B: Tensor;
}

/** The adapters of a model on one backend, by module path, with the LoRA scale. */
export interface LoraSet {
  readonly scale: number;
  readonly pairs: ReadonlyMap<string, LoraPair>;
}

/** [rows, cols] -> [cols, rows] */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

function param(backend: Backend, name: string, data: Float32Array, shape: number[]): TrainParam {
  const zeros = () => backend.tensor(new Float32Array(data.length), shape);
  return { name, value: backend.tensor(data, shape), grad: zeros(), m: zeros(), v: zeros(), decay: true };
}

/** Trainable LoRA parameters of the selected modules: A seeded, B zero (the model starts equal to the base). */
export class LoraParams {
  readonly scale: number;
  readonly modules: readonly LinearModule[];
  private readonly byPath = new Map<string, { A: TrainParam; B: TrainParam; m: LinearModule }>();

  constructor(
    readonly backend: Backend,
    all: readonly LinearModule[],
    readonly cfg: LoraConfig,
    seed: number,
  ) {
    checkLoraConfig(cfg);
    this.scale = cfg.alpha / cfg.rank;
    this.modules = selectModules(all, cfg.targetModules);
    const r = cfg.rank;
    this.modules.forEach((m, i) => {
      this.byPath.set(m.path, {
        m,
        A: param(backend, peftName(m.path, 'A'), initA(m, r, seed, i), [m.inDim, r]),
        B: param(backend, peftName(m.path, 'B'), new Float32Array(r * m.outDim), [r, m.outDim]),
      });
    });
  }

  params(): TrainParam[] {
    return [...this.byPath.values()].flatMap((p) => [p.A, p.B]);
  }

  /** the live adapter tensors (what the optimiser updates in place) */
  set(): LoraSet {
    const pairs = new Map<string, LoraPair>();
    for (const [path, p] of this.byPath) pairs.set(path, { A: p.A.value, B: p.B.value });
    return { scale: this.scale, pairs };
  }

  /** the gradient buffers by module path */
  grads(): Map<string, { A: Tensor; B: Tensor }> {
    const out = new Map<string, { A: Tensor; B: Tensor }>();
    for (const [path, p] of this.byPath) out.set(path, { A: p.A.grad, B: p.B.grad });
    return out;
  }

  /** host copies of every adapter (internal layout) */
  async host(): Promise<Map<string, LoraHostPair>> {
    const out = new Map<string, LoraHostPair>();
    for (const [path, p] of this.byPath) {
      out.set(path, { a: await this.backend.readF32(p.A.value), b: await this.backend.readF32(p.B.value) });
    }
    return out;
  }

  /** PEFT names, PyTorch layout: lora_A.weight [r, in], lora_B.weight [out, r] */
  async exportWeights(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const r = this.cfg.rank;
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [path, h] of await this.host()) {
      const m = this.byPath.get(path)!.m;
      out.set(peftName(path, 'A'), { shape: [r, m.inDim], data: transpose(h.a, m.inDim, r) });
      out.set(peftName(path, 'B'), { shape: [m.outDim, r], data: transpose(h.b, r, m.outDim) });
    }
    return out;
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

/** PEFT-named weights -> internal-layout host pairs for `modules`, checking names and shapes. */
export function peftToHost(
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  modules: readonly LinearModule[],
  rank: number,
): Map<string, LoraHostPair> {
  const out = new Map<string, LoraHostPair>();
  const get = (name: string, shape: number[]) => {
    const w = weights.get(name);
    if (!w) throw new Error(`LoRA weights: missing ${name}`);
    if (
      w.shape.length !== shape.length ||
      w.shape.some((d, i) => d !== shape[i]) ||
      w.data.length !== shape[0] * shape[1]
    ) {
      throw new Error(
        `LoRA weights: ${name} has shape [${w.shape.join(',')}] (${w.data.length} values), expected [${shape.join(',')}]`,
      );
    }
    return w.data;
  };
  for (const m of modules) {
    const a = get(peftName(m.path, 'A'), [rank, m.inDim]);
    const b = get(peftName(m.path, 'B'), [m.outDim, rank]);
    out.set(m.path, { a: transpose(a, rank, m.inDim), b: transpose(b, m.outDim, rank) });
  }
  const known = new Set(modules.flatMap((m) => [peftName(m.path, 'A'), peftName(m.path, 'B')]));
  for (const name of weights.keys())
    if (!known.has(name)) throw new Error(`LoRA weights: unexpected tensor ${name} (not a selected module)`);
  return out;
}

/** Uploads host pairs as a LoraSet on `backend` (the caller disposes it with disposeSet). */
export function uploadSet(
  backend: Backend,
  host: ReadonlyMap<string, LoraHostPair>,
  modules: readonly LinearModule[],
  rank: number,
  scale: number,
): LoraSet {
  const pairs = new Map<string, LoraPair>();
  for (const m of modules) {
    const h = host.get(m.path);
    if (!h) throw new Error(`LoRA: no weights for ${m.path}`);
    pairs.set(m.path, { A: backend.tensor(h.a, [m.inDim, rank]), B: backend.tensor(h.b, [rank, m.outDim]) });
  }
  return { scale, pairs };
}

export function disposeSet(backend: Backend, set: LoraSet): void {
  for (const p of set.pairs.values()) backend.dispose(p.A, p.B);
}
