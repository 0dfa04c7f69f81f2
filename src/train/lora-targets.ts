/**
 * Which places of a model get a LoRA adapter (PEFT `target_modules` semantics), as LoraTargets: a whole
 * linear, or a row slice of a fused one. Phi-3's fused linears hold projections as row slices (q|k|v of
 * self_attn.qkv_proj, gate|up of mlp.gate_up_proj: LinearModule.slices). A pattern naming a slice
 * (q_proj, self_attn.k_proj, up_proj, …) on such a model adapts those rows only: its adapter is keyed by
 * the unfused module's path ("layers.0.self_attn.q_proj") and its B covers the slice's output rows. A
 * pattern naming the fused linear (qkv_proj, gate_up_proj) or 'all-linear' adapts the whole matrix (PEFT's
 * own Phi-3 targets).
 */
import type { LinearModule } from '../nn/ops';
import type { LoraConfig } from './types';

/**
 * A typed list of targets (the CLI's --lora-targets, the Train form's field): "all-linear", or module
 * patterns separated by commas (letters, digits, _ and dots). Throws saying what is wrong.
 */
export function parseTargetList(v: string): LoraConfig['targetModules'] {
  if (v.trim() === 'all-linear') return 'all-linear';
  const list = v.split(',').map((p) => p.trim());
  const bad = list.find((p) => !/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(p));
  if (bad !== undefined)
    throw new Error(
      `give all-linear or module names separated by commas (q_proj,v_proj), got ${bad ? `"${bad}"` : 'an empty name'} in "${v}"`,
    );
  return list;
}

/** PEFT's rule: a pattern selects a module whose path equals it or ends with "." + pattern. */
export function matchesTarget(path: string, pattern: string): boolean {
  return path === pattern || path.endsWith(`.${pattern}`);
}

/**
 * One adapter's place. `path` is its key (the linear's path, or the unfused module's path for a slice),
 * `outDim` the rows it covers: output rows start..start+outDim-1 of the linear `linear` (total rows).
 */
export interface LoraTarget extends LinearModule {
  readonly linear: string;
  readonly start: number;
  readonly total: number;
  /** true for a row slice of a fused linear */
  readonly slice: boolean;
}

/** the key of a slice of linear `path`: its last name replaced by the slice's ("…qkv_proj" -> "…q_proj") */
export const sliceKey = (path: string, slice: string) => path.slice(0, path.lastIndexOf('.') + 1) + slice;

/** the whole linear as a target */
export const wholeTarget = (m: LinearModule): LoraTarget => ({
  path: m.path,
  inDim: m.inDim,
  outDim: m.outDim,
  linear: m.path,
  start: 0,
  total: m.outDim,
  slice: false,
});

/** every slice of a fused linear as a target (none for an unfused one) */
export function sliceTargets(m: LinearModule): LoraTarget[] {
  return (m.slices ?? []).map((s) => ({
    path: sliceKey(m.path, s.name),
    inDim: m.inDim,
    outDim: s.len,
    linear: m.path,
    start: s.start,
    total: m.outDim,
    slice: true,
  }));
}

/**
 * The targets `targetModules` selects, in the model's order (a fused linear's slices in row order). A
 * pattern matching a linear adapts it whole; one matching only slices adapts those rows. A pattern that
 * selects nothing is an error (a typo would train nothing).
 */
export function selectTargets(
  all: readonly LinearModule[],
  target: LoraConfig['targetModules'],
): LoraTarget[] {
  if (target === 'all-linear') return all.map(wholeTarget);
  if (target.length === 0) throw new Error('LoRA: targetModules is empty');
  const hit = (path: string) => target.some((p) => matchesTarget(path, p));
  const out: LoraTarget[] = [];
  for (const m of all) {
    if (hit(m.path)) out.push(wholeTarget(m));
    else out.push(...sliceTargets(m).filter((t) => hit(t.path)));
  }
  for (const p of target) {
    const used =
      all.some((m) => matchesTarget(m.path, p)) ||
      all.some((m) => sliceTargets(m).some((t) => matchesTarget(t.path, p)));
    if (!used)
      throw new Error(
        `LoRA: target module pattern "${p}" matches no linear layer (have: ${all.map((m) => m.path).join(', ')})`,
      );
  }
  return out;
}

/** Messages for the patterns that name a row slice of a fused linear: which rows the adapter covers. */
export function fusedTargetNotes(
  all: readonly LinearModule[],
  target: LoraConfig['targetModules'],
): string[] {
  if (target === 'all-linear') return [];
  return target.flatMap((p) => {
    if (all.some((m) => matchesTarget(m.path, p))) return [];
    for (const m of all)
      for (const t of sliceTargets(m))
        if (matchesTarget(t.path, p)) {
          const leaf = m.path.slice(m.path.lastIndexOf('.') + 1);
          return [
            `LoRA: "${p}" is rows ${t.start}–${t.start + t.outDim - 1} of the fused ${leaf} (${t.total} rows) in this model: its adapter covers those rows only (B [r, ${t.outDim}])`,
          ];
        }
    return [];
  });
}

/** the unfused names Phi-3's fused linears stand for: slice -> fused module leaf */
export const FUSED_SLICE_OF: Readonly<Record<string, string>> = {
  q_proj: 'qkv_proj',
  k_proj: 'qkv_proj',
  v_proj: 'qkv_proj',
  gate_proj: 'gate_up_proj',
  up_proj: 'gate_up_proj',
};

/** the fused module's pattern for a slice's pattern ("self_attn.q_proj" -> "self_attn.qkv_proj"), or null */
export function fusedPattern(pattern: string): string | null {
  const m = /(^|\.)([a-z_]+)$/.exec(pattern);
  const fused = m ? FUSED_SLICE_OF[m[2]] : undefined;
  return fused ? pattern.slice(0, pattern.length - m![2].length) + fused : null;
}
