/**
 * mergeSparsify: the per-tensor sparsification of mergekit's task-arithmetic family, on the op table.
 * δ_k = θ_k − base, then per expert (density < 1):
 *   magnitude (TIES): keep the top int(density·n) of |δ|, ties by lower index;
 *   magnitude_outliers (breadcrumbs): ascending ranks [n_bot, n − n_top) (see sparsifyPlan);
 *   random (DARE): keep with probability density;
 *   della_magprune: per row (dim 1), keep with probability (density − ε) + 2ε·rank/(len − 1) by |δ| rank;
 * then optionally the L1 rescale ‖δ‖₁ / ‖sparsified δ‖₁. The rank selections are exact radix selections
 * (merge-select.ts, shaders/merge_select.wgsl), the Bernoulli draws a counter-based hash (merge-rng.ts),
 * DELLA's row ranks are counted on the GPU; the host computes only parameter tables (ranks to select,
 * integer keep thresholds). CPU reference and GPU passes give identical masks.
 */
import { ShapeError, type Tensor } from '../core/backend';
import type { MergeSparsifyOptions, SparsifyMethod } from '../core/merge-ops';
import type { GpuOpContext, OpDef } from '../core/op';
import { floorPow2, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { keepThreshold, keeps } from './merge-rng';
import { digitPasses, magnitudeBits, rankRangeMask } from './merge-select';
import { expectDtype } from './shape';

export const mergeSelectShader: ShaderRef = {
  key: 'merge_select',
  url: new URL('../../shaders/merge_select.wgsl', import.meta.url),
};
export const mergeSparsifyShader: ShaderRef = {
  key: 'merge_sparsify',
  url: new URL('../../shaders/merge_sparsify.wgsl', import.meta.url),
};

/** Everything both sides need, computed from the shape and the parameters only (never from data). */
export interface SparsifyPlan {
  n: number;
  K: number;
  shape: readonly number[];
  method: SparsifyMethod | null;
  /** magnitude: ties rank the lower index higher (descending key); breadcrumbs: ascending */
  desc: boolean;
  /** per expert: sparsified at all (density < 1) */
  on: Uint8Array;
  /** select methods: per expert the ascending key-rank range [ranks[2k], ranks[2k+1]) kept */
  ranks: Uint32Array;
  /** random: per expert keepThreshold(density) */
  thresholds: Uint32Array;
  keys: Uint32Array;
  /** DELLA rows: `rows` rows of `len` entries with stride `inner` (dim 1 of the shape; a vector is one row) */
  rows: number;
  len: number;
  inner: number;
  /** DELLA: per expert and row rank, keepThreshold of the keep probability ([K × len]) */
  table: Uint32Array;
  rescale: boolean;
}

export function sparsifyPlan(shape: readonly number[], K: number, o: MergeSparsifyOptions): SparsifyPlan {
  const n = shape.reduce((a, b) => a * b, 1);
  const len = shape.length < 2 ? n : shape[1];
  const inner = shape.length < 2 ? 1 : shape.slice(2).reduce((a, b) => a * b, 1);
  const rows = len * inner === 0 ? 0 : (n / len) | 0;
  const della = o.method === 'della_magprune';
  const plan: SparsifyPlan = {
    n,
    K,
    shape,
    method: o.method,
    desc: o.method === 'magnitude',
    on: new Uint8Array(K),
    ranks: new Uint32Array(2 * K),
    thresholds: new Uint32Array(K),
    keys: Uint32Array.from({ length: K }, (_, k) => o.keys[k] ?? 0),
    rows,
    len,
    inner,
    table: new Uint32Array(della ? K * len : 0),
    rescale: o.rescale,
  };
  for (let k = 0; k < K; k++) {
    const { density, gamma, epsilon } = o.params[k];
    plan.on[k] = o.method && density < 1 ? 1 : 0;
    if (!plan.on[k]) continue;
    if (o.method === 'magnitude') {
      const keep = Math.min(n, Math.max(0, Math.floor(density * n)));
      plan.ranks.set([n - keep, n], 2 * k);
    } else if (o.method === 'magnitude_outliers') {
      const target = Math.floor(density * n);
      let nTop = Math.floor(gamma * n);
      let nBot = n - target - nTop;
      if (nBot < 0) {
        nTop += nBot;
        nBot = 0;
      }
      plan.ranks.set([Math.max(0, nBot), Math.max(0, n - nTop)], 2 * k);
    } else if (o.method === 'random') {
      plan.thresholds[k] = keepThreshold(density);
    } else if (density > 0) {
      for (let r = 0; r < len; r++) {
        const rankNorm = len > 1 ? r / (len - 1) : 0.5;
        plan.table[k * len + r] = keepThreshold(density - epsilon + rankNorm * 2 * epsilon);
      }
    }
  }
  return plan;
}

/** masked·(‖δ‖₁/‖masked‖₁) (f64 sums), or masked unchanged when either norm is below 1e-7 (mergekit's eps). */
export function rescaleL1(delta: Float32Array, masked: Float32Array): Float32Array {
  let before = 0;
  let after = 0;
  for (let i = 0; i < delta.length; i++) {
    before += Math.abs(delta[i]);
    after += Math.abs(masked[i]);
  }
  if (before < 1e-7 || after < 1e-7) return masked;
  const s = before / after;
  const y = new Float32Array(masked.length);
  for (let i = 0; i < masked.length; i++) y[i] = masked[i] * s;
  return y;
}

/** Ascending rank of every element within its row, |δ| then index (the CPU reference sorts each row). */
export function rowRanks(delta: Float32Array, rows: number, len: number, inner: number): Uint32Array {
  const mag = magnitudeBits(delta);
  const rank = new Uint32Array(delta.length);
  const pos = new Uint32Array(len);
  for (let row = 0; row < rows; row++) {
    const o = Math.floor(row / inner);
    const c = row % inner;
    const at = (j: number) => (o * len + j) * inner + c;
    for (let j = 0; j < len; j++) pos[j] = j;
    pos.sort((a, b) => mag[at(a)] - mag[at(b)] || a - b);
    for (let r = 0; r < len; r++) rank[at(pos[r])] = r;
  }
  return rank;
}

/** Expert k's keep mask (1 = kept) under the plan; null when it is not sparsified. */
export function sparsifyMaskCpu(delta: Float32Array, plan: SparsifyPlan, k: number): Uint8Array | null {
  if (!plan.on[k]) return null;
  const n = plan.n;
  if (plan.method === 'magnitude' || plan.method === 'magnitude_outliers') {
    return rankRangeMask(magnitudeBits(delta), plan.desc, plan.ranks[2 * k], plan.ranks[2 * k + 1]);
  }
  const keep = new Uint8Array(n);
  const key = plan.keys[k];
  if (plan.method === 'random') {
    const t = plan.thresholds[k];
    for (let i = 0; i < n; i++) keep[i] = keeps(key, i, t) ? 1 : 0;
    return keep;
  }
  const rank = rowRanks(delta, plan.rows, plan.len, plan.inner);
  const table = plan.table.subarray(k * plan.len, (k + 1) * plan.len);
  for (let i = 0; i < n; i++) keep[i] = keeps(key, i, table[rank[i]]) ? 1 : 0;
  return keep;
}

/** CPU reference: the sparsified task vector of each expert (δ itself when not sparsified). */
export function sparsifyCpu(
  base: Float32Array,
  experts: readonly Float32Array[],
  plan: SparsifyPlan,
): Float32Array[] {
  return experts.map((theta, k) => {
    const delta = new Float32Array(plan.n);
    for (let i = 0; i < plan.n; i++) delta[i] = theta[i] - base[i];
    const keep = sparsifyMaskCpu(delta, plan, k);
    if (!keep) return delta;
    const masked = new Float32Array(plan.n);
    for (let i = 0; i < plan.n; i++) masked[i] = keep[i] ? delta[i] : 0;
    return plan.rescale ? rescaleL1(delta, masked) : masked;
  });
}

/** base [...S] f32, experts [K, ...S] f32, one parameter set (and key) per expert. */
export function mergeSparsifyShape(base: Tensor, experts: Tensor, o: MergeSparsifyOptions): SparsifyPlan {
  expectDtype('mergeSparsify', 'base', base, 'f32');
  expectDtype('mergeSparsify', 'experts', experts, 'f32');
  const K = experts.shape[0];
  if (
    experts.shape.length !== base.shape.length + 1 ||
    experts.shape.slice(1).join(',') !== base.shape.join(',')
  ) {
    throw new ShapeError(
      'mergeSparsify',
      `experts [${experts.shape.join(',')}] must be [K, ${base.shape.join(',')}] (K experts, then base's shape)`,
    );
  }
  if (o.params.length !== K) {
    throw new ShapeError(
      'mergeSparsify',
      `${K} experts but ${o.params.length} parameter sets; give one per expert`,
    );
  }
  const random = o.method === 'random' || o.method === 'della_magprune';
  if (random && o.keys.length !== K) {
    throw new ShapeError('mergeSparsify', `${K} experts but ${o.keys.length} mask keys; give one per expert`);
  }
  for (const [k, p] of o.params.entries()) {
    for (const [what, v] of Object.entries(p)) {
      if (!Number.isFinite(v))
        throw new RangeError(`mergeSparsify: expert ${k} ${what} must be finite, got ${v}`);
    }
  }
  return sparsifyPlan(base.shape, K, o);
}

/** Elements per invocation of the mask pass; DELLA: per invocation of a row block (EPT in the shader). */
const MASK_PER_THREAD = 16;
const DELLA_PER_THREAD = 8;
/** Radix histogram workgroups per selection: few, long ones (per-workgroup cost dominates on SwiftShader). */
const MAX_HIST_BLOCKS = 16;
const NONE = 0xffffffff;

function wgSize(limits: KernelLimits): number {
  return floorPow2(Math.min(256, limits.maxInvocationsPerWorkgroup));
}

function u32s(...v: number[]): ArrayBuffer {
  const out = new Uint32Array(Math.max(4, Math.ceil(v.length / 4) * 4));
  out.set(v.map((x) => x >>> 0));
  return out.buffer;
}

/** The selections the GPU runs: only bounds that cut (0 < rank < n) of non-empty ranges. */
export interface Selections {
  /** per selection: (expert, rank) */
  sels: { expert: number; rank: number }[];
  /** per expert: on, threshold, key, rescale, lower selection (NONE: no bound), upper (NONE), empty, 0 */
  params: Uint32Array;
}

export function gpuSelections(plan: SparsifyPlan): Selections {
  const sels: Selections['sels'] = [];
  const params = new Uint32Array(8 * plan.K);
  const select = plan.method === 'magnitude' || plan.method === 'magnitude_outliers';
  for (let k = 0; k < plan.K; k++) {
    const on = plan.on[k];
    let low = NONE;
    let high = NONE;
    let empty = 0;
    if (on && select) {
      const [rL, rU] = [plan.ranks[2 * k], plan.ranks[2 * k + 1]];
      empty = rL >= rU || rL >= plan.n ? 1 : 0;
      if (!empty && rL > 0) low = sels.push({ expert: k, rank: rL }) - 1;
      if (!empty && rU < plan.n) high = sels.push({ expert: k, rank: rU }) - 1;
    }
    params.set(
      [on, plan.thresholds[k], plan.keys[k], on && plan.rescale ? 1 : 0, low, high, empty, 0],
      8 * k,
    );
  }
  return { sels, params };
}

/** The radix-select programs: clear, then (hist, narrow) per digit pass, over `count` selections. */
export function selectPrograms(plan: SparsifyPlan, count: number, limits: KernelLimits): ProgramSpec[] {
  const WG = wgSize(limits);
  const blocks = Math.min(MAX_HIST_BLOCKS, Math.ceil(plan.n / (WG * 16)));
  const chunk = WG * Math.ceil(plan.n / (blocks * WG));
  const spec = (entryPoint: string, workgroups: number, bindings: number[], u: ArrayBuffer): ProgramSpec => ({
    shader: mergeSelectShader,
    entryPoint,
    overrides: { WG, DESC: plan.desc ? 1 : 0 },
    workgroups,
    bindings,
    uniformBinding: 3,
    uniforms: u,
  });
  const out = [spec('clear', count, [2], u32s(plan.n, count, blocks, chunk, 0, 0, 0, 0))];
  for (const d of digitPasses(plan.n)) {
    const u = u32s(plan.n, count, blocks, chunk, d.word, d.shift, d.maskHi, d.maskLo);
    out.push(spec('hist', count * blocks, [0, 1, 2], u), spec('narrow', count, [1, 2], u));
  }
  return out;
}

type Entry = 'delta' | 'mask' | 'della' | 'l1' | 'scale';
const BINDINGS: Record<Entry, number[]> = {
  delta: [0, 1, 2], // experts, base → D
  mask: [3, 4, 5, 6, 7], // D, selection state, per-expert params → Y, per-invocation L1 sums
  della: [3, 5, 8, 6, 7], // D, per-expert params, della thresholds → Y, per-invocation L1 sums
  l1: [7, 5, 9], // L1 sums, per-expert params → scales
  scale: [9, 6], // scales → Y (in place)
};

/** Workgroups per expert of the mask / della pass, and the L1 partial slots per expert (one per invocation). */
function grid(plan: SparsifyPlan, WG: number): { blocks: number; slots: number; bpr: number } {
  if (plan.method === 'della_magprune') {
    const bpr = Math.ceil(plan.len / (WG * DELLA_PER_THREAD));
    return { blocks: plan.rows * bpr, slots: plan.rows * bpr * WG, bpr };
  }
  const blocks = Math.ceil(plan.n / (WG * MASK_PER_THREAD));
  return { blocks, slots: blocks * WG, bpr: 0 };
}

/** One merge_sparsify.wgsl program. */
export function sparsifyProgram(plan: SparsifyPlan, entry: Entry, limits: KernelLimits): ProgramSpec {
  const WG = wgSize(limits);
  const { blocks, slots, bpr } = grid(plan, WG);
  const method =
    plan.method === 'random'
      ? 2
      : plan.method === 'magnitude' || plan.method === 'magnitude_outliers'
        ? 1
        : 0;
  const workgroups = {
    delta: Math.ceil((plan.K * plan.n) / WG),
    mask: plan.K * blocks,
    della: plan.K * blocks,
    l1: plan.K,
    scale: Math.ceil((plan.K * plan.n) / WG),
  }[entry];
  return {
    shader: mergeSparsifyShader,
    entryPoint: entry,
    overrides: { WG, METHOD: method, DESC: plan.desc ? 1 : 0, EPT: MASK_PER_THREAD },
    workgroups,
    bindings: BINDINGS[entry],
    uniformBinding: 10,
    uniforms: u32s(plan.n, plan.K, blocks, slots, plan.rows, plan.len, plan.inner, bpr),
  };
}

/** Partial-sum slots of the mask / della pass (two f32 each). */
export function partialSlots(plan: SparsifyPlan, limits: KernelLimits): number {
  return plan.K * grid(plan, wgSize(limits)).slots;
}

function sparsifyGpu(g: GpuOpContext, base: Tensor, experts: Tensor, o: MergeSparsifyOptions): Tensor {
  const op = 'mergeSparsify';
  const plan = mergeSparsifyShape(base, experts, o);
  const b = g.own(base, op);
  const e = g.own(experts, op);
  return g.scoped(op, () => {
    const y = g.alloc(op, experts.shape, 'f32');
    if (plan.n === 0 || plan.K === 0) return y;
    if (!plan.method) {
      g.enqueue(sparsifyProgram(plan, 'delta', g.limits), [e, b, y]);
      return y;
    }
    const temps: Tensor[] = [];
    const keep = <T extends Tensor>(t: T): T => {
      temps.push(t);
      return t;
    };
    try {
      const d = keep(g.alloc(op, [plan.K * plan.n], 'f32'));
      g.enqueue(sparsifyProgram(plan, 'delta', g.limits), [e, b, d]);
      const { sels, params } = gpuSelections(plan);
      const pk = keep(g.upload(params, [params.length]));
      const part = keep(g.alloc(op, [2 * partialSlots(plan, g.limits)], 'f32'));
      if (plan.method === 'della_magprune') {
        const table = plan.table.length ? plan.table : new Uint32Array(1);
        const tb = keep(g.upload(table, [table.length]));
        g.enqueue(sparsifyProgram(plan, 'della', g.limits), [d, pk, tb, y, part]);
      } else {
        const state = new Uint32Array(4 * Math.max(1, sels.length));
        sels.forEach((s, i) => state.set([0, 0, s.rank, s.expert], 4 * i));
        const st = keep(g.upload(state, [state.length]));
        if (sels.length) {
          const hist = keep(g.alloc(op, [sels.length * 256], 'u32'));
          for (const p of selectPrograms(plan, sels.length, g.limits)) {
            const ts = { clear: [hist], hist: [d, st, hist], narrow: [st, hist] }[p.entryPoint as 'clear'];
            g.enqueue(p, ts);
          }
        }
        g.enqueue(sparsifyProgram(plan, 'mask', g.limits), [d, st, pk, y, part]);
      }
      if (plan.rescale) {
        const sc = keep(g.alloc(op, [plan.K], 'f32'));
        g.enqueue(sparsifyProgram(plan, 'l1', g.limits), [part, pk, sc]);
        g.enqueue(sparsifyProgram(plan, 'scale', g.limits), [sc, y]);
      }
      return y;
    } finally {
      for (const t of temps) g.release(t);
    }
  });
}

export const mergeSparsifyOp: OpDef<'mergeSparsify'> = {
  name: 'mergeSparsify',
  shaders: [mergeSelectShader, mergeSparsifyShader],
  cpu: (c) => (base, experts, o) => {
    const plan = mergeSparsifyShape(base, experts, o);
    c.checkOut('mergeSparsify', plan.K * plan.n);
    const b = c.f32(base, 'mergeSparsify');
    const e = c.f32(experts, 'mergeSparsify');
    const ys = sparsifyCpu(
      b,
      Array.from({ length: plan.K }, (_, k) => e.subarray(k * plan.n, (k + 1) * plan.n)),
      plan,
    );
    const out = new Float32Array(plan.K * plan.n);
    ys.forEach((y, k) => out.set(y, k * plan.n));
    return c.make('mergeSparsify', out, experts.shape);
  },
  gpu: (g) => (base, experts, o) => sparsifyGpu(g, base, experts, o),
};
