/** Checks and defaults of the per-model and global merge parameters, with messages naming what is wrong. */
import {
  DEFAULT_DENSITY,
  DEFAULT_EPSILON,
  DEFAULT_GAMMA,
  MergeError,
  type ModelParams,
  type TensorMergeInput,
} from './types';

export interface ResolvedModel {
  weight: number;
  density: number;
  gamma: number;
  epsilon: number;
}

function finite(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new MergeError(`${what} must be a finite number, got ${String(v)}`);
  return v;
}

function inUnit(what: string, v: number): number {
  if (v < 0 || v > 1) throw new MergeError(`${what} must lie in [0, 1], got ${v}`);
  return v;
}

export function resolveModel(p: ModelParams | undefined, i: number): ResolvedModel {
  if (!p || p.weight === undefined) throw new MergeError(`expert ${i}: parameter "weight" is required`);
  return {
    weight: finite(`expert ${i} weight`, p.weight),
    density: inUnit(`expert ${i} density`, finite(`expert ${i} density`, p.density ?? DEFAULT_DENSITY)),
    gamma: inUnit(`expert ${i} gamma`, finite(`expert ${i} gamma`, p.gamma ?? DEFAULT_GAMMA)),
    epsilon: inUnit(`expert ${i} epsilon`, finite(`expert ${i} epsilon`, p.epsilon ?? DEFAULT_EPSILON)),
  };
}

/** Every data array has the tensor's size; the base is there when required; enough experts. */
export function checkInput(
  method: string,
  x: TensorMergeInput,
  needsBase: boolean,
  minExperts: number,
): void {
  const n = x.shape.reduce((a, b) => a * b, 1);
  if (needsBase && !x.base) throw new MergeError(`${method} on tensor "${x.name}": a base model is required`);
  if (x.base && x.base.length !== n) {
    throw new MergeError(
      `${method} on tensor "${x.name}": base has ${x.base.length} values, shape [${x.shape.join(',')}] needs ${n}`,
    );
  }
  if (x.experts.length < minExperts) {
    throw new MergeError(
      `${method} on tensor "${x.name}": needs at least ${minExperts} expert(s), got ${x.experts.length}`,
    );
  }
  x.experts.forEach((e, i) => {
    if (e.length !== n) {
      throw new MergeError(
        `${method} on tensor "${x.name}": expert ${i} has ${e.length} values, shape [${x.shape.join(',')}] needs ${n}`,
      );
    }
  });
}
