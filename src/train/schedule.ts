/** Learning-rate schedule: linear warm-up from 0 to lr over warmupSteps, then linear decay to 0 at totalSteps. */
export function lrAt(step: number, lr: number, warmupSteps: number, totalSteps: number): number {
  // step is 0-based: the first optimiser step uses lrAt(0)
  if (warmupSteps > 0 && step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const decay = totalSteps - warmupSteps;
  if (decay <= 0) return lr;
  return Math.max(0, (lr * (totalSteps - step)) / decay);
}

/** The paper's 100 warm-up steps, capped at 10% of a short run. */
export function effectiveWarmup(warmupSteps: number, totalSteps: number): number {
  return Math.max(0, Math.min(warmupSteps, Math.floor(totalSteps * 0.1)));
}
