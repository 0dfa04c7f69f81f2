/**
 * TensorBoard's scalar smoothing: an exponential moving average with bias correction, so the first
 * points are not pulled towards 0 (the running average starts at 0 and is divided by 1 − weightⁿ after n
 * finite values). A non-finite value is passed through as is and does not enter the average.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

/** The smoothing weight the training plot starts with (TensorBoard's default is 0.6; loss per step is noisier). */
export const DEFAULT_SMOOTHING = 0.8;
