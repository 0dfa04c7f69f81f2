/**
 * LoRA adapters in PEFT's layout (what PEFT loads): lora_A.weight [r, in] = Aᵀ and lora_B.weight [out, r]
 * = Bᵀ per adapted module, named base_model.model.<path>.lora_{A,B}.weight.
 *
 * Slice adapters (lora-targets.ts) are no PEFT modules: the k adapters on row slices of one fused linear
 * are written as ONE adapter of that linear, exactly equal in effect (same scale α/r, see files.ts's
 * rank_pattern / alpha_pattern: rank k·r, alpha k·α):
 *   lora_A [k·r, in]  = the slices' Aᵀ stacked (slice i: rows i·r..(i+1)·r-1),
 *   lora_B [out, k·r] = slice i's Bᵀ at its output rows and columns i·r..(i+1)·r-1, zero elsewhere,
 * so (α/r)·lora_B·lora_A = Σ_i (α/r)·(Bᵢᵀ placed at its rows)·Aᵢᵀ. Reading splits it back (exact), and
 * refuses a lora_B with values outside the slices' blocks (then it is no adapter of those slices).
 */
import { fusedPattern, matchesTarget, type LoraTarget } from './lora-targets';

export type PeftWeights = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

export const peftName = (path: string, which: 'A' | 'B') => `base_model.model.${path}.lora_${which}.weight`;

/** Host copy of one adapter in the internal layout (A [in, r], B [r, rows covered]). */
export interface LoraHostPair {
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/** [rows, cols] -> [cols, rows] */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/** targets grouped by the linear they adapt, in order */
export function byLinear(targets: readonly LoraTarget[]): Map<string, LoraTarget[]> {
  const out = new Map<string, LoraTarget[]>();
  for (const t of targets) {
    const g = out.get(t.linear);
    if (g) g.push(t);
    else out.set(t.linear, [t]);
  }
  return out;
}

/** Host pairs (by target key) -> PEFT-named weights, slice adapters of one linear fused into one adapter. */
export function hostToPeft(
  host: ReadonlyMap<string, LoraHostPair>,
  targets: readonly LoraTarget[],
  r: number,
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [linear, group] of byLinear(targets)) {
    const k = group.length;
    const inDim = group[0].inDim;
    const total = group[0].total;
    const a = new Float32Array(k * r * inDim);
    const b = new Float32Array(total * k * r);
    group.forEach((t, i) => {
      const h = host.get(t.path);
      if (!h) throw new Error(`LoRA: no weights for ${t.path}`);
      a.set(transpose(h.a, inDim, r), i * r * inDim);
      // B [r, rows] -> lora_B rows start.., columns i·r..
      for (let j = 0; j < r; j++)
        for (let o = 0; o < t.outDim; o++) b[(t.start + o) * k * r + i * r + j] = h.b[j * t.outDim + o];
    });
    out.set(peftName(linear, 'A'), { shape: [k * r, inDim], data: a });
    out.set(peftName(linear, 'B'), { shape: [total, k * r], data: b });
  }
  return out;
}

/** PEFT-named weights -> internal-layout host pairs (by target key) for `targets`, checking names and shapes. */
export function peftToHost(
  weights: PeftWeights,
  targets: readonly LoraTarget[],
  r: number,
): Map<string, LoraHostPair> {
  const out = new Map<string, LoraHostPair>();
  const get = (name: string, shape: number[], k: number) => {
    const w = weights.get(name);
    if (!w) throw new Error(`LoRA weights: missing ${name}`);
    if (
      w.shape.length !== shape.length ||
      w.shape.some((d, i) => d !== shape[i]) ||
      w.data.length !== shape[0] * shape[1]
    ) {
      throw new Error(
        `LoRA weights: ${name} has shape [${w.shape.join(',')}] (${w.data.length} values), expected [${shape.join(',')}]${k > 1 ? ` (${k} row-slice adapters of rank ${r} fused)` : ''}`,
      );
    }
    return w.data;
  };
  for (const [linear, group] of byLinear(targets)) {
    const k = group.length;
    const inDim = group[0].inDim;
    const total = group[0].total;
    const nameB = peftName(linear, 'B');
    const a = get(peftName(linear, 'A'), [k * r, inDim], k);
    const b = get(nameB, [total, k * r], k);
    const owner = new Int32Array(total).fill(-1);
    group.forEach((t, i) => owner.fill(i, t.start, t.start + t.outDim));
    for (let o = 0; o < total; o++)
      for (let c = 0; c < k * r; c++)
        if (b[o * k * r + c] !== 0 && owner[o] !== Math.floor(c / r))
          throw new Error(
            `LoRA weights: ${nameB} has a value at row ${o}, column ${c}, outside the row slices ${group.map((t) => `${t.path.slice(t.path.lastIndexOf('.') + 1)} (rows ${t.start}–${t.start + t.outDim - 1})`).join(', ')} it adapts`,
          );
    group.forEach((t, i) => {
      const bi = new Float32Array(r * t.outDim);
      for (let j = 0; j < r; j++)
        for (let o = 0; o < t.outDim; o++) bi[j * t.outDim + o] = b[(t.start + o) * k * r + i * r + j];
      out.set(t.path, { a: transpose(a.subarray(i * r * inDim, (i + 1) * r * inDim), r, inDim), b: bi });
    });
  }
  const known = new Set([...byLinear(targets).keys()].flatMap((p) => [peftName(p, 'A'), peftName(p, 'B')]));
  for (const name of weights.keys())
    if (!known.has(name)) throw new Error(`LoRA weights: unexpected tensor ${name} (not a selected module)`);
  return out;
}

/** The key in adapter_config.json of the studio's own target patterns when PEFT's differ (slice targets). */
export const PEFT_STM_TARGETS_KEY = 'stm_target_modules';

/**
 * What adapter_config.json needs beyond r / lora_alpha for weights whose slice adapters were fused
 * (hostToPeft): target_modules naming the fused modules PEFT has (q_proj -> qkv_proj), and for a module
 * holding k > 1 slice adapters rank_pattern k·r and alpha_pattern k·α (PEFT's scale α/r per module, so
 * the fused adapter's scale is the slices' α/r). The studio's own patterns are kept under
 * PEFT_STM_TARGETS_KEY (PEFT keeps keys it does not know), so an import adapts the same slices. Null when
 * the weights hold no slice adapters.
 */
export function peftSliceConfig(
  targetModules: 'all-linear' | readonly string[],
  rank: number,
  alpha: number,
  weights: PeftWeights,
): {
  target_modules: string[];
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  [PEFT_STM_TARGETS_KEY]: string[];
} | null {
  if (targetModules === 'all-linear') return null;
  const modules = [...weights.keys()]
    .filter((n) => n.startsWith('base_model.model.') && n.endsWith('.lora_A.weight'))
    .map((n) => n.slice('base_model.model.'.length, -'.lora_A.weight'.length));
  const targets = new Set<string>();
  let changed = false;
  for (const p of targetModules) {
    const f = fusedPattern(p);
    if (!modules.some((m) => matchesTarget(m, p)) && f && modules.some((m) => matchesTarget(m, f))) {
      targets.add(f);
      changed = true;
    } else targets.add(p);
  }
  if (!changed) return null;
  // keyed by the module's last name when every module of that name has the same rank (PEFT matches a key
  // as a suffix after a "."), else by each module's path
  const rows = new Map(modules.map((m) => [m, weights.get(peftName(m, 'A'))!.shape[0]]));
  const leaf = (m: string) => m.slice(m.lastIndexOf('.') + 1);
  const rank_pattern: Record<string, number> = {};
  const alpha_pattern: Record<string, number> = {};
  for (const [m, k] of rows) {
    if (k === rank) continue;
    const same = modules.filter((o) => leaf(o) === leaf(m));
    const key = same.every((o) => rows.get(o) === k) ? leaf(m) : m;
    rank_pattern[key] = k;
    alpha_pattern[key] = (alpha * k) / rank;
  }
  return {
    target_modules: [...targets],
    rank_pattern,
    alpha_pattern,
    [PEFT_STM_TARGETS_KEY]: [...targetModules],
  };
}
