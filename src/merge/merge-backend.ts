/**
 * Merging one tensor on a Backend (WebGPU or CPU): for the task-arithmetic family the whole merge runs as
 * two ops, mergeSparsify (task vectors, per-tensor masks by exact rank selection or hashed Bernoulli draws,
 * L1 rescale) then mergeMix (sign election, mixing, normalize, lambda, + base): the host uploads the base,
 * the experts and the parameter tables and reads the result, nothing in between. The other methods run
 * their CPU implementation. Same masks as mergeTensor, values to f32 rounding (see the test).
 */
import type { Backend } from '../core/backend';
import { gtaSparsifyOptions } from './gta';
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
  const sparsify = gtaSparsifyOptions(m.gta, x);
  const weights = Float32Array.from(experts.map((_, i) => resolveModel(models[i], i).weight));
  const n = base.data.length;
  const stacked = new Float32Array(n * experts.length);
  experts.forEach((e, k) => stacked.set(e.data, k * n));
  const tensors = [
    be.tensor(base.data, base.shape),
    be.tensor(stacked, [experts.length, ...base.shape]),
    be.tensor(weights, [weights.length]),
  ];
  tensors.push(be.mergeSparsify(tensors[0], tensors[1], sparsify));
  const y = be.mergeMix(tensors[0], tensors[3], tensors[2], {
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
