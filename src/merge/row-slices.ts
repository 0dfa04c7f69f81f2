/**
 * Merging fused tensors by row slices. Phi-3 stores q|k|v as the rows of self_attn.qkv_proj and gate|up as
 * the rows of mlp.gate_up_proj; a merge method whose result depends on tensor boundaries (TIES / DARE /
 * DELLA / breadcrumbs top-k and rescale, SLERP / multislerp / NuSLERP norms and angles, model_stock's
 * cosine, Karcher means) must see each slice as its own tensor, so that a merge of Phi-3 checkpoints equals
 * the same merge of the unfused (Llama-layout) tensors, row block by row block. This is the one place that
 * knows it: a RowSlices view gives a tensor's slices (each named as the unfused tensor it stands for, e.g.
 * "model.layers.0.self_attn.q_proj.weight"), and mergeByRows runs a tensor merge per slice and places the
 * results. Per-tensor parameters (mergekit gradients and `filter` rules) resolve by the slice's name, so
 * `filter: q_proj` applies to the q rows. Checkpoint merges take the view from the model's config.json
 * (fusedRowSlices); LoRA merges from the base model's linears (LinearModule.slices, linearRowSlices).
 */
import { fusedSlices } from '../models/hf/decoder-block';
import { parseConfig } from '../models/hf/config';
import type { LinearModule } from '../nn/ops';
import { MergeError, type NamedTensor } from './types';

/** Rows start..start+rows-1 of a fused tensor, merged as the tensor `name`. */
export interface RowSlice {
  readonly name: string;
  readonly start: number;
  readonly rows: number;
}

/** A tensor's row slices (by its name and shape), or null: merged whole. */
export type RowSlices = (tensor: string, shape: readonly number[]) => readonly RowSlice[] | null;

function slicesOf(
  names: readonly string[],
  lens: readonly number[],
  nameOf: (n: string) => string,
): RowSlice[] {
  let start = 0;
  return names.map((n, i) => {
    const s = { name: nameOf(n), start, rows: lens[i] };
    start += lens[i];
    return s;
  });
}

const FUSED = /^(.*?)(self_attn\.qkv_proj|mlp\.gate_up_proj)(\.weight|\.bias)?$/;

/**
 * The row slices of a checkpoint's fused tensors, from its config.json (text or parsed): Phi-3's
 * qkv_proj and gate_up_proj (weight and bias); null for a model without fused projections (or a
 * config the studio does not read: its tensors merge whole).
 */
export function fusedRowSlices(config: unknown, file = 'config.json'): RowSlices | null {
  let o: Record<string, unknown> | null;
  try {
    o = (typeof config === 'string' ? JSON.parse(config) : config) as Record<string, unknown> | null;
  } catch (e) {
    throw new MergeError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!o || o.model_type !== 'phi3') return null;
  const c = parseConfig(o, file);
  if (!('fusedProjections' in c) || !c.fusedProjections) return null;
  const { qkv, gateUp } = fusedSlices(c);
  return (tensor) => {
    const m = FUSED.exec(tensor);
    if (!m) return null;
    const [, pre, fused, suffix = ''] = m;
    const at = (n: string) => `${pre}${fused.slice(0, fused.indexOf('.') + 1)}${n}${suffix}`;
    return fused === 'self_attn.qkv_proj'
      ? slicesOf(['q_proj', 'k_proj', 'v_proj'], qkv, at)
      : slicesOf(['gate_proj', 'up_proj'], gateUp, at);
  };
}

/** The row slices of a model's fused linears (LoRA merges: tensors named by module path). */
export function linearRowSlices(linears: readonly LinearModule[]): RowSlices {
  const byPath = new Map(linears.map((m) => [m.path, m]));
  return (tensor) => {
    const m = byPath.get(tensor);
    if (!m?.slices?.length) return null;
    const dir = m.path.slice(0, m.path.lastIndexOf('.') + 1);
    return m.slices.map((s) => ({ name: dir + s.name, start: s.start, rows: s.len }));
  };
}

/**
 * `merge` run on each row slice of the tensor (as its own tensor, named as the slice) and the results
 * placed at their rows; the whole tensor when `slices` gives none. `merge` gets the name to resolve
 * per-tensor parameters by.
 */
export async function mergeByRows(
  slices: RowSlices | null | undefined,
  base: NamedTensor | null,
  experts: readonly NamedTensor[],
  merge: (
    base: NamedTensor | null,
    experts: NamedTensor[],
    name: string,
  ) => Promise<NamedTensor> | NamedTensor,
): Promise<NamedTensor> {
  const ref = base ?? experts[0];
  const parts = slices?.(ref.name, ref.shape) ?? null;
  if (!parts) return merge(base, [...experts], ref.name);
  const [rows, ...rest] = ref.shape;
  const covered = parts.reduce((s, p) => s + p.rows, 0);
  if (covered !== rows)
    throw new MergeError(
      `tensor "${ref.name}": its row slices (${parts.map((p) => `${p.name} ${p.rows}`).join(', ')}) cover ${covered} rows, the tensor has ${rows} (config.json of another model?)`,
    );
  const width = rest.reduce((s, d) => s * d, 1);
  const out = new Float32Array(ref.data.length);
  for (const p of parts) {
    const cut = (t: NamedTensor): NamedTensor => ({
      name: p.name,
      shape: [p.rows, ...rest],
      data: t.data.slice(p.start * width, (p.start + p.rows) * width),
    });
    const r = await merge(base ? cut(base) : null, experts.map(cut), p.name);
    out.set(r.data, p.start * width);
  }
  return { name: ref.name, shape: [...ref.shape], data: out };
}
