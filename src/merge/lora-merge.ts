/**
 * Merging LoRA experts (PEFT layout: base_model.model.<path>.lora_A.weight [r, in], lora_B.weight [out, r],
 * scale α/r), module by module and streamed: for one linear, every expert's ΔW_i = (α_i/r_i)·B_i·A_i [out, in]
 * is materialised, the module is merged, and only the merged ΔW is kept (or handed to `onModule` and
 * dropped), so a large model never holds all deltas of all modules at once.
 *
 * What the methods see: the task-arithmetic family (ties, dare_*, breadcrumbs*, della*, task_arithmetic)
 * and model_stock are linear in the base (θ = θ_base + f(δ)), so they merge the task vectors δ_i = ΔW_i
 * over a zero base, exactly (no W + ΔW − W rounding) and without reading W. linear, slerp and multislerp
 * need the models themselves: they see θ_base = W and θ_i = W + ΔW_i, and the merged ΔW is θ − W. An
 * expert without an adapter on a module has ΔW_i = 0 there (θ_i = W). Per-layer parameters (mergekit
 * gradients and name filters, layer-params.ts) resolve per module path; a fused linear (phi3) merges
 * by row slices, each as its unfused module (row-slices.ts).
 *
 * Exports: LoraExpertInput, LoraMergeModel (what the base must offer: NativeEmbedder satisfies it),
 * loraDelta / loraDeltaOn (one expert's ΔW of one module, on the host / on a backend), loraModulesOf (which modules an expert adapts, checked),
 * mergeLora (the streamed merge: Map<path, merged ΔW [out, in]>).
 */
import type { Backend } from '../core/backend';
import { weightOutIn, type HostLinear } from '../models/native';
import type { LinearModule } from '../nn/ops';
import type { LoraConfig } from '../train/types';
import { layerCount } from './layer-params';
import { mergeTensorOnBackend } from './merge-backend';
import { checkRecipe, recipeTensorParams, type MergeRecipe } from './recipe';
import { getMergeMethod, mergeTensor } from './registry';
import { linearRowSlices, mergeByRows } from './row-slices';
import { MergeError, type NamedTensor } from './types';

type Weights = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

export interface LoraExpertInput {
  name: string;
  config: LoraConfig;
  /** PEFT-named weights (lora_A [r, in], lora_B [out, r]) */
  weights: Weights;
}

/** The base model as the merge sees it (UseLiteEmbedder and HfEmbedder have both). */
export interface LoraMergeModel {
  readonly linears: readonly LinearModule[];
  hostLinear(path: string): HostLinear;
}

const PREFIX = 'base_model.model.';
const peft = (path: string, w: 'A' | 'B') => `${PREFIX}${path}.lora_${w}.weight`;

/** The modules an expert adapts, each with its A and B checked against the base's shapes. */
export function loraModulesOf(
  e: LoraExpertInput,
  modules: readonly LinearModule[],
): Map<string, { a: Float32Array; b: Float32Array; rank: number }> {
  const r = e.config.rank;
  const out = new Map<string, { a: Float32Array; b: Float32Array; rank: number }>();
  const seen = new Set<string>();
  for (const m of modules) {
    const a = e.weights.get(peft(m.path, 'A'));
    const b = e.weights.get(peft(m.path, 'B'));
    if (!a && !b) continue;
    const who = `LoRA expert "${e.name}", module ${m.path}`;
    if (!a || !b) throw new MergeError(`${who}: has lora_${a ? 'A' : 'B'} but no lora_${a ? 'B' : 'A'}`);
    // k row-slice adapters of a fused linear are stored as one of rank k·r at scale α/r (train/lora-peft.ts)
    const k = a.shape.length === 2 && a.shape[0] % r === 0 ? a.shape[0] / r : 0;
    const kr = k * r;
    const okA =
      k >= 1 &&
      k <= Math.max(1, m.slices?.length ?? 0) &&
      a.shape[1] === m.inDim &&
      a.data.length === kr * m.inDim;
    const okB =
      b.shape.length === 2 && b.shape[0] === m.outDim && b.shape[1] === kr && b.data.length === kr * m.outDim;
    if (!okA || !okB)
      throw new MergeError(
        `${who}: lora_A [${a.shape.join(',')}] / lora_B [${b.shape.join(',')}], expected [${r},${m.inDim}] / [${m.outDim},${r}] (rank ${r} from its config; experts must share the base model)`,
      );
    seen.add(peft(m.path, 'A'));
    seen.add(peft(m.path, 'B'));
    out.set(m.path, { a: a.data, b: b.data, rank: kr });
  }
  for (const n of e.weights.keys())
    if (!seen.has(n))
      throw new MergeError(
        `LoRA expert "${e.name}": tensor "${n}" is not a lora_A/lora_B of any linear of the base model`,
      );
  if (out.size === 0) throw new MergeError(`LoRA expert "${e.name}": adapts no linear of the base model`);
  return out;
}

/** ΔW = scale·B·A, [out, in] (B [out, r], A [r, in], PEFT layout). */
export function loraDelta(
  a: Float32Array,
  b: Float32Array,
  rank: number,
  m: LinearModule,
  scale: number,
): Float32Array {
  const { inDim, outDim } = m;
  const d = new Float32Array(outDim * inDim);
  for (let o = 0; o < outDim; o++) {
    const row = o * inDim;
    for (let k = 0; k < rank; k++) {
      const s = scale * b[o * rank + k];
      if (s === 0) continue;
      const ak = k * inDim;
      for (let i = 0; i < inDim; i++) d[row + i] += s * a[ak + i];
    }
  }
  return d;
}

/** loraDelta on a backend (its matmul: WASM SIMD on the CPU backend, a kernel on WebGPU); read back to the host. */
export async function loraDeltaOn(
  be: Backend,
  a: Float32Array,
  b: Float32Array,
  rank: number,
  m: LinearModule,
  scale: number,
): Promise<Float32Array> {
  const bt = be.tensor(b, [m.outDim, rank]);
  const at = be.tensor(a, [rank, m.inDim]);
  const d = be.matmul(bt, at);
  try {
    const out = await be.readF32(d);
    if (scale !== 1) for (let j = 0; j < out.length; j++) out[j] *= scale;
    return out;
  } finally {
    be.dispose(bt, at, d);
  }
}

/** Methods whose result is θ_base + f(task vectors): merged over a zero base from ΔW directly. */
function deltaLinear(method: string): boolean {
  const m = getMergeMethod(method);
  return m.gta !== undefined || m.name === 'model_stock';
}

/**
 * Merges LoRA experts by `recipe` (experts in recipe order), module by module. Returns the merged ΔW
 * [out, in] of every module some expert adapts, in the model's order; `onModule` sees each as it is
 * made (e.g. to fold or write it); with `keep: false` nothing is kept and the map is empty.
 */
export async function mergeLora(
  recipe: MergeRecipe,
  experts: readonly LoraExpertInput[],
  model: LoraMergeModel,
  opts: {
    be?: Backend;
    onModule?: (path: string, delta: Float32Array, index: number, total: number) => void | Promise<void>;
    keep?: boolean;
  } = {},
): Promise<Map<string, Float32Array>> {
  checkRecipe(recipe);
  if (experts.length !== recipe.experts.length)
    throw new MergeError(
      `${recipe.method}: the recipe names ${recipe.experts.length} experts, ${experts.length} given`,
    );
  const adapted = experts.map((e) => loraModulesOf(e, model.linears));
  const scales = experts.map((e) => e.config.alpha / e.config.rank);
  const modules = model.linears.filter((m) => adapted.some((a) => a.has(m.path)));
  const layers = layerCount(model.linears.map((m) => m.path));
  const byDelta = deltaLinear(recipe.method);
  const slices = linearRowSlices(model.linears);
  const out = new Map<string, Float32Array>();
  for (const [idx, m] of modules.entries()) {
    const shape = [m.outDim, m.inDim];
    const n = m.outDim * m.inDim;
    const deltas: Float32Array[] = [];
    for (const [i, a] of adapted.entries()) {
      const p = a.get(m.path);
      if (!p) deltas.push(new Float32Array(n));
      else if (opts.be) deltas.push(await loraDeltaOn(opts.be, p.a, p.b, p.rank, m, scales[i]));
      else deltas.push(loraDelta(p.a, p.b, p.rank, m, scales[i]));
    }
    let w: Float32Array | null = null;
    let base: NamedTensor;
    let ts: NamedTensor[];
    if (byDelta) {
      base = { name: m.path, shape, data: new Float32Array(n) };
      ts = deltas.map((data) => ({ name: m.path, shape, data }));
    } else {
      const h = model.hostLinear(m.path);
      w = weightOutIn(h, m);
      const wb = w;
      base = { name: m.path, shape, data: wb };
      ts = deltas.map((d) => ({ name: m.path, shape, data: d.map((x, j) => wb[j] + x) }));
    }
    // phi3's fused linears merge by row slices (q|k|v, gate|up), each as the unfused module
    const merged = await mergeByRows(slices, base, ts, (b, ex, name) => {
      const { models, options } = recipeTensorParams(recipe, name, layers);
      return opts.be
        ? mergeTensorOnBackend(opts.be, recipe.method, b, ex, models, options)
        : mergeTensor(recipe.method, b, ex, models, options);
    });
    const delta = merged.data;
    if (w) for (let j = 0; j < n; j++) delta[j] -= w[j];
    if (opts.onModule) await opts.onModule(m.path, delta, idx, modules.length);
    if (opts.keep !== false) out.set(m.path, delta);
  }
  return out;
}
