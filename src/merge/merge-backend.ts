/**
 * Merging one tensor on a Backend (WebGPU or CPU): for the task-arithmetic family the per-tensor masks
 * are drawn on the host (sparsifiedDeltas) and the element-wise mixing runs as the mergeMix op; the other
 * methods run their CPU implementation. Same results as mergeTensor (to f32 rounding, see the test).
 */
import type { Backend } from '../core/backend';
import { sparsifiedDeltas } from './gta';
import { checkInput, resolveModel } from './params';
import { getMergeMethod, mergeTensor } from './registry';
import { MergeError, type MergeOptions, type ModelParams, type NamedTensor } from './types';

export async function mergeTensorOnBackend(
  be: Backend,
  method: string,
  base: NamedTensor | null,
  experts: NamedTensor[],
  models: ModelParams[],
  options: MergeOptions = {},
): Promise<NamedTensor> {
  const m = getMergeMethod(method);
  if (!m.gta || !base || experts.length === 0) return mergeTensor(method, base, experts, models, options);
  if (models.length !== experts.length) {
    throw new MergeError(
      `${method}: ${experts.length} experts but ${models.length} parameter sets; give one per expert`,
    );
  }
  const x = {
    name: base.name,
    shape: base.shape,
    base: base.data,
    experts: experts.map((e) => e.data),
    models,
    options,
  };
  checkInput(method, x, true, 1);
  experts.forEach((e, i) => {
    if (e.name !== base.name || e.shape.join(',') !== base.shape.join(',')) {
      throw new MergeError(
        `${method}: expert ${i} tensor "${e.name}" [${e.shape.join(',')}] does not match "${base.name}" [${base.shape.join(',')}]`,
      );
    }
  });
  const deltas = sparsifiedDeltas(m.gta, x);
  const weights = Float32Array.from(experts.map((_, i) => resolveModel(models[i], i).weight));
  const n = base.data.length;
  const stacked = new Float32Array(n * deltas.length);
  deltas.forEach((d, k) => stacked.set(d, k * n));
  const tensors = [
    be.tensor(base.data, base.shape),
    be.tensor(stacked, [deltas.length, ...base.shape]),
    be.tensor(weights, [weights.length]),
  ];
  const y = be.mergeMix(tensors[0], tensors[1], tensors[2], {
    consensus: m.gta.consensus,
    normalize: options.normalize ?? m.gta.defaultNormalize,
    lambda: options.lambda ?? 1,
  });
  try {
    return { name: base.name, shape: [...base.shape], data: await be.readF32(y) };
  } finally {
    be.dispose(...tensors, y);
  }
}
