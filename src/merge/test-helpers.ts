/** Test helper: merge plain number arrays as one 1-D (or given-shape) tensor named "t". */
import { mergeTensor } from './registry';
import type { MergeOptions, ModelParams } from './types';

export function merge1d(
  method: string,
  base: number[] | null,
  experts: number[][],
  models: ModelParams[],
  options: MergeOptions = {},
  shape?: number[],
  name = 't',
): number[] {
  const s = shape ?? [(base ?? experts[0]).length];
  const out = mergeTensor(
    method,
    base ? { name, shape: s, data: Float32Array.from(base) } : null,
    experts.map((e) => ({ name, shape: s, data: Float32Array.from(e) })),
    models,
    options,
  );
  return Array.from(out.data);
}

export function expectClose(got: ArrayLike<number>, want: number[], tol = 1e-6): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      throw new Error(
        `index ${i}: got ${got[i]}, want ${want[i]} (tol ${tol}); got [${Array.from(got).join(', ')}]`,
      );
    }
  }
}
