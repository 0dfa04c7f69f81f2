/**
 * A merged LoRA model (src/merge/lora-merge.ts makes the deltas): per adapted linear one dense ΔW [out, in]
 * (PyTorch / PEFT layout), folded into the weights the engine runs, W' = W + ΔW, uploaded once per backend.
 * The embedder is the base's one forward (embedNative) with a Linear source that serves W' for the merged
 * modules and the base's own weights for the rest: no low-rank path, no copy of any forward.
 *
 * Exports:
 *   - mergedLinear(base, folded, layout): the Linear source over uploaded folded weights.
 *   - foldDelta(host, module, delta): W + ΔW in the model's layout (host).
 *   - loadMergedLora(base, deltas, id): the Embedder of a merged LoRA model.
 * How the deltas are stored: lora-deltas.ts.
 */
import type { Backend } from '../core/backend';
import { plainLinear, type LinearWeights } from '../nn/linear';
import type { Linear, LinearModule } from '../nn/ops';
import { HfEmbedder } from '../models/hf/embedder';
import { PerBackend } from '../models/hf/per-backend';
import { embedNative, type HostLinear, type NativeEmbedder } from '../models/native';
import { UseLiteEmbedder } from '../models/use-lite/model';
import type { Embedder, Role } from '../models/types';
import type { ModuleDeltas } from './lora-deltas';

/** W + ΔW in the model's own layout (ΔW is [out, in]). */
export function foldDelta(h: HostLinear, m: LinearModule, delta: Float32Array): Float32Array {
  const n = m.inDim * m.outDim;
  if (h.w.length !== n || delta.length !== n)
    throw new Error(
      `merged LoRA: ${m.path} has ${h.w.length} weights and ${delta.length} delta values, expected ${n}`,
    );
  const out = Float32Array.from(h.w);
  if (h.layout === 'nk') for (let j = 0; j < n; j++) out[j] += delta[j];
  else
    for (let o = 0; o < m.outDim; o++)
      for (let i = 0; i < m.inDim; i++) out[i * m.outDim + o] += delta[o * m.inDim + i];
  return out;
}

/** The Linear source: folded weights (uploaded) at their paths, `base` elsewhere. */
export function mergedLinear(
  base: Linear,
  folded: ReadonlyMap<string, LinearWeights>,
  layout: 'kn' | 'nk',
): Linear {
  const merged = plainLinear(layout, (path) => folded.get(path)!);
  return {
    forward: (be, x, path) => (folded.has(path) ? merged : base).forward(be, x, path),
    record: (be, x, path) => (folded.has(path) ? merged : base).record(be, x, path),
  };
}

function nativeModel(base: NativeEmbedder): NativeEmbedder {
  if (base instanceof UseLiteEmbedder || base instanceof HfEmbedder) return base;
  throw new Error(
    'merged LoRA: the base model must be USE-lite or a Hugging Face model on the studio kernels',
  );
}

/**
 * The Embedder of a merged LoRA model: the base's forward with W + ΔW at every module of `deltas`. Each
 * backend gets the folded weights uploaded on its first use (host copies are not kept: only the deltas);
 * release() frees them (a merge panel makes a new merged model on every change).
 */
export function loadMergedLora(
  base: NativeEmbedder,
  deltas: ModuleDeltas,
  id = `${base.id}+merge`,
): Embedder & { release(be?: Backend): void } {
  const model = nativeModel(base);
  const byPath = new Map(model.linears.map((m) => [m.path, m]));
  for (const [path, d] of deltas) {
    const m = byPath.get(path);
    if (!m) throw new Error(`merged LoRA: the base model has no linear "${path}"`);
    if (d.length !== m.inDim * m.outDim)
      throw new Error(
        `merged LoRA: ΔW of ${path} has ${d.length} values, [${m.outDim}, ${m.inDim}] needs ${m.inDim * m.outDim}`,
      );
  }
  // the folded weights on each backend, freed by release()
  const uploaded = new PerBackend<Map<string, LinearWeights>>((m) =>
    [...m.values()].flatMap((w) => (w.b ? [w.w, w.b] : [w.w])),
  );
  let layout: 'kn' | 'nk' = 'nk';
  const linearOn = (be: Backend): Linear => {
    const folded = uploaded.get(be, () => {
      const out = new Map<string, LinearWeights>();
      try {
        for (const [path, d] of deltas) {
          const m = byPath.get(path)!;
          const h = model.hostLinear(path);
          layout = h.layout;
          const w = foldDelta(h, m, d);
          const shape = h.layout === 'nk' ? [m.outDim, m.inDim] : [m.inDim, m.outDim];
          out.set(path, { w: be.tensor(w, shape), b: h.b ? be.tensor(h.b, [m.outDim]) : null });
        }
      } catch (e) {
        for (const t of out.values()) be.dispose(t.w, ...(t.b ? [t.b] : []));
        throw e;
      }
      return out;
    });
    return mergedLinear(model.weightsLinear(be), folded, layout);
  };
  return {
    id,
    dim: model.dim,
    templates: model.templates,
    embed: (be: Backend, texts: readonly string[], _role: Role) =>
      embedNative(model, be, texts, linearOn(be)),
    release: (be?: Backend) => uploaded.release(be),
  };
}
