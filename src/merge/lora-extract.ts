/**
 * LoRA out: a merge of LoRA experts (one dense ΔW [out, in] per module, lora-merge.ts) as a LoRA again, by
 * truncated SVD of each ΔW (svd.ts): ΔW ≈ U_r·Σ_r·V_rᵀ, written in PEFT layout as
 *   lora_B.weight = U_r·√Σ_r [out, r],  lora_A.weight = √Σ_r·V_rᵀ [r, in],  lora_alpha = r (scale 1),
 * so (α/r)·B·A is the truncation. The rank is fixed, or chosen per module by a singular-value threshold
 * as mergekit-extract-lora does (capped at maxRank); PEFT (and the studio's loader) keep one r, so modules
 * that keep fewer values are padded with zero rows / columns (exact: they add nothing). Each module reports
 * the rank it kept and the energy kept, Σ kept σ² / Σ σ².
 *
 * Exports: LoraOutOptions, LoraOutModule, LoraOut, extractLora.
 */
import type { LinearModule } from '../nn/ops';
import type { LoraConfig } from '../train/types';
import { truncatedSvd, type TruncateOptions } from './svd';
import { MergeError } from './types';

export type LoraOutOptions = Pick<TruncateOptions, 'rank' | 'threshold' | 'maxRank' | 'seed'>;

export interface LoraOutModule {
  path: string;
  /** singular values kept (before zero padding) */
  rank: number;
  /** Σ kept σ² / ‖ΔW‖_F² (1 for a zero ΔW) */
  energy: number;
  /** the largest singular value dropped (0 when none) */
  firstDropped: number;
}

export interface LoraOut {
  /** PEFT-named lora_A [r, in] / lora_B [out, r] */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  /** the LoRA's settings: r = the largest kept rank, alpha = r, the modules by path */
  config: LoraConfig;
  modules: LoraOutModule[];
}

const peft = (path: string, w: 'A' | 'B') => `base_model.model.${path}.lora_${w}.weight`;

/**
 * ΔW per module path (in the model's module order of `linears`) as a PEFT LoRA. `onModule` reports each
 * module as it is done (an SVD of a large ΔW takes a while).
 */
export function extractLora(
  deltas: ReadonlyMap<string, Float32Array>,
  linears: readonly LinearModule[],
  opts: LoraOutOptions,
  onModule?: (m: LoraOutModule, index: number, total: number) => void,
): LoraOut {
  const modules = linears.filter((m) => deltas.has(m.path));
  const known = new Set(linears.map((m) => m.path));
  for (const p of deltas.keys())
    if (!known.has(p)) throw new MergeError(`LoRA out: ΔW for "${p}", which is no linear of the base model`);
  if (modules.length === 0) throw new MergeError('LoRA out: no merged deltas to export');
  const parts = modules.map((m, i) => {
    const d = deltas.get(m.path)!;
    if (d.length !== m.outDim * m.inDim)
      throw new MergeError(
        `LoRA out: ΔW of ${m.path} has ${d.length} values, [${m.outDim}, ${m.inDim}] needs ${m.outDim * m.inDim}`,
      );
    const svd = truncatedSvd(d, m.outDim, m.inDim, { ...opts, maxRank: opts.maxRank ?? opts.rank });
    const k = svd.s.length;
    const info: LoraOutModule = { path: m.path, rank: k, energy: svd.energy, firstDropped: svd.dropped ?? 0 };
    onModule?.(info, i, modules.length);
    return { m, svd, info };
  });
  const r = Math.max(1, ...parts.map((p) => p.info.rank));
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const { m, svd } of parts) {
    const k = svd.s.length;
    const a = new Float32Array(r * m.inDim);
    const b = new Float32Array(m.outDim * r);
    for (let t = 0; t < k; t++) {
      const root = Math.sqrt(svd.s[t]);
      for (let i = 0; i < m.inDim; i++) a[t * m.inDim + i] = root * svd.v[i * k + t];
      for (let o = 0; o < m.outDim; o++) b[o * r + t] = root * svd.u[o * k + t];
    }
    weights.set(peft(m.path, 'A'), { shape: [r, m.inDim], data: a });
    weights.set(peft(m.path, 'B'), { shape: [m.outDim, r], data: b });
  }
  return {
    weights,
    config: { rank: r, alpha: r, dropout: 0, targetModules: modules.map((m) => m.path) },
    modules: parts.map((p) => p.info),
  };
}
