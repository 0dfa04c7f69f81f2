/**
 * The remaining time of a training run, from the steps done since this (re)start only: a resumed run
 * knows nothing of the time its earlier steps took. The first step of a start pays one-off costs
 * (shader and pipeline compilation, first allocations, a cold tokenizer), so once later steps exist it
 * is left out of the rate; dev evaluations are timed apart and added per evaluation still to come.
 */
export class EtaClock {
  private readonly steps: number[] = [];
  private readonly evals: number[] = [];

  /** `devEvery` 0 = no dev evaluations; `totalSteps` the run's last step. */
  constructor(
    private readonly totalSteps: number,
    private readonly devEvery = 0,
  ) {}

  /** Seconds one optimiser step took. */
  step(seconds: number): void {
    this.steps.push(seconds);
  }

  /** Seconds one dev evaluation took. */
  devEval(seconds: number): void {
    this.evals.push(seconds);
  }

  /** Seconds left after `step` (the absolute step number just done); NaN until a second step is timed. */
  remaining(step: number): number {
    const left = Math.max(0, this.totalSteps - step);
    const n = this.steps.length;
    if (left === 0) return 0;
    // the first step of a (re)start is the warm-up: no estimate from it alone
    if (n < 2) return NaN;
    // the steady rate: the latest steps (up to 50), without the warm-up step
    const window = this.steps.slice(Math.max(1, n - 50));
    const perStep = window.reduce((a, b) => a + b, 0) / window.length;
    let evalS = 0;
    if (this.devEvery > 0 && this.evals.length > 0) {
      const perEval = this.evals.reduce((a, b) => a + b, 0) / this.evals.length;
      let due = 0;
      for (let s = step + 1; s <= this.totalSteps; s++)
        if (s % this.devEvery === 0 || s === this.totalSteps) due++;
      evalS = due * perEval;
    }
    return left * perStep + evalS;
  }
}
