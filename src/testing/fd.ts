/**
 * Test support: central finite-difference gradient checks. The scalar loss is L = Σ r ⊙ y (r random,
 * summed in f64) over a forward that maps f32 inputs to outputs; each input element is moved by ±h as
 * stored in f32 (the actual step (x+ - x-) divides the difference), and the analytic gradient must match
 * within atol + rtol * |analytic|.
 */
import { randomF32 } from './backends';

export interface FdOptions {
  h: number;
  rtol: number;
  atol: number;
}

export type Forward = (inputs: Float32Array[]) => ArrayLike<number>;

export function weightedSum(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += r[i] * y[i];
  return s;
}

/** r of the right length for forward(inputs), seeded */
export function randomCotangent(forward: Forward, inputs: Float32Array[], seed: number): Float32Array {
  return randomF32(forward(inputs).length, seed);
}

/**
 * Checks analytic[k] (dL/dinputs[k], or null to skip input k) against central differences.
 * Returns the largest |fd - analytic| seen (so tests can also assert the check is not vacuous).
 */
export function checkGradients(
  label: string,
  forward: Forward,
  inputs: Float32Array[],
  r: ArrayLike<number>,
  analytic: (ArrayLike<number> | null)[],
  { h, rtol, atol }: FdOptions,
): number {
  let worst = 0;
  inputs.forEach((x, k) => {
    const g = analytic[k];
    if (!g) return;
    if (g.length !== x.length)
      throw new Error(`${label}: gradient ${k} has length ${g.length}, input ${x.length}`);
    for (let e = 0; e < x.length; e++) {
      const orig = x[e];
      x[e] = orig + h;
      const xp = x[e];
      const lp = weightedSum(forward(inputs), r);
      x[e] = orig - h;
      const xm = x[e];
      const lm = weightedSum(forward(inputs), r);
      x[e] = orig;
      const fd = (lp - lm) / (xp - xm);
      const err = Math.abs(fd - g[e]);
      worst = Math.max(worst, err);
      if (!(err <= atol + rtol * Math.abs(g[e]))) {
        throw new Error(
          `${label}: input ${k} element ${e}: analytic ${g[e]}, finite difference ${fd} (|diff| ${err} > ${atol} + ${rtol}*|analytic|)`,
        );
      }
    }
  });
  return worst;
}
