/**
 * A small (μ/μ_w, λ)-CMA-ES (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016, the purecma
 * formulation): weighted recombination, cumulative step-size adaptation, rank-one and rank-μ covariance
 * updates, the covariance's eigen-decomposition by Jacobi rotations (the dimension is small: a few weights
 * and densities). Minimises; seeded by the project's Rng, so a run is reproducible. No npm package for
 * CMA-ES is in node_modules, and none is added.
 */
import { Rng } from '../../util/rng';
import { symmetricEigen } from '../../util/symmetric-eigen';

export interface CmaesOptions {
  /** starting mean */
  mean: readonly number[];
  /** starting step size (in the coordinates' units) */
  sigma: number;
  seed: number;
  /** population size (default 4 + floor(3 ln n)) */
  lambda?: number;
}

export class Cmaes {
  readonly n: number;
  readonly lambda: number;
  readonly mu: number;
  private readonly weights: Float64Array;
  private readonly mueff: number;
  private readonly cc: number;
  private readonly cs: number;
  private readonly c1: number;
  private readonly cmu: number;
  private readonly damps: number;
  private readonly chiN: number;
  mean: Float64Array;
  sigma: number;
  private readonly pc: Float64Array;
  private readonly ps: Float64Array;
  private readonly C: Float64Array;
  private B: Float64Array;
  private D: Float64Array;
  private readonly rng: Rng;
  /** generations told so far */
  generation = 0;
  /** evaluations told so far */
  evaluations = 0;

  constructor(opts: CmaesOptions) {
    const n = opts.mean.length;
    if (n < 1) throw new RangeError('cmaes: the mean needs at least one coordinate');
    if (!(opts.sigma > 0)) throw new RangeError(`cmaes: sigma must be positive, got ${opts.sigma}`);
    this.n = n;
    this.lambda = opts.lambda ?? 4 + Math.floor(3 * Math.log(n));
    if (!Number.isInteger(this.lambda) || this.lambda < 2)
      throw new RangeError(`cmaes: lambda must be an integer ≥ 2, got ${this.lambda}`);
    this.mu = Math.floor(this.lambda / 2);
    const w = new Float64Array(this.mu);
    for (let i = 0; i < this.mu; i++) w[i] = Math.log((this.lambda + 1) / 2) - Math.log(i + 1);
    const sw = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < this.mu; i++) w[i] /= sw;
    this.weights = w;
    this.mueff = 1 / w.reduce((a, b) => a + b * b, 0);
    const me = this.mueff;
    this.cc = (4 + me / n) / (n + 4 + (2 * me) / n);
    this.cs = (me + 2) / (n + me + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + me);
    this.cmu = Math.min(1 - this.c1, (2 * (me - 2 + 1 / me)) / ((n + 2) ** 2 + me));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((me - 1) / (n + 1)) - 1) + this.cs;
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.mean = Float64Array.from(opts.mean);
    this.sigma = opts.sigma;
    this.pc = new Float64Array(n);
    this.ps = new Float64Array(n);
    this.C = new Float64Array(n * n);
    this.B = new Float64Array(n * n);
    this.D = new Float64Array(n).fill(1);
    for (let i = 0; i < n; i++) this.C[i * n + i] = this.B[i * n + i] = 1;
    this.rng = new Rng(opts.seed);
  }

  /** λ new candidates x = m + σ·B·D·z, z ~ N(0, I). */
  ask(): number[][] {
    const { n } = this;
    const out: number[][] = [];
    for (let k = 0; k < this.lambda; k++) {
      const z = new Float64Array(n);
      for (let i = 0; i < n; i++) z[i] = this.D[i] * this.rng.normal();
      const x = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += this.B[i * n + j] * z[j];
        x[i] = this.mean[i] + this.sigma * s;
      }
      out.push(x);
    }
    return out;
  }

  /** The candidates of the last ask() with their costs (lower is better). */
  tell(xs: readonly (readonly number[])[], costs: readonly number[]): void {
    const { n, mu, weights: w } = this;
    if (xs.length !== costs.length || xs.length < mu)
      throw new RangeError(`cmaes: tell needs at least ${mu} candidates with one cost each`);
    const order = costs.map((_, i) => i).sort((a, b) => costs[a] - costs[b]);
    const old = Float64Array.from(this.mean);
    const mean = new Float64Array(n);
    for (let k = 0; k < mu; k++) for (let i = 0; i < n; i++) mean[i] += w[k] * xs[order[k]][i];
    this.mean = mean;
    this.evaluations += xs.length;
    this.generation++;
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = (mean[i] - old[i]) / this.sigma;
    // C^(-1/2)·y = B·D⁻¹·Bᵀ·y
    const bty = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.B[i * n + j] * y[i];
      bty[j] = s / this.D[j];
    }
    const csn = Math.sqrt(this.cs * (2 - this.cs) * this.mueff);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += this.B[i * n + j] * bty[j];
      this.ps[i] = (1 - this.cs) * this.ps[i] + csn * s;
    }
    const psNorm = Math.hypot(...this.ps);
    const hsig =
      psNorm / Math.sqrt(1 - (1 - this.cs) ** (2 * this.generation)) / this.chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
    const ccn = Math.sqrt(this.cc * (2 - this.cc) * this.mueff);
    for (let i = 0; i < n; i++) this.pc[i] = (1 - this.cc) * this.pc[i] + hsig * ccn * y[i];
    const c1a = this.c1 * (1 - (1 - hsig) * this.cc * (2 - this.cc));
    const ys = order.slice(0, mu).map((k) => xs[k].map((v, i) => (v - old[i]) / this.sigma));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let rmu = 0;
        for (let k = 0; k < mu; k++) rmu += w[k] * ys[k][i] * ys[k][j];
        const v =
          (1 - c1a - this.cmu) * this.C[i * n + j] + this.c1 * this.pc[i] * this.pc[j] + this.cmu * rmu;
        this.C[i * n + j] = this.C[j * n + i] = v;
      }
    }
    this.sigma *= Math.exp(Math.min(1, (this.cs / this.damps) * (psNorm / this.chiN - 1)));
    const { values, vectors } = symmetricEigen(this.C, n);
    this.B = vectors;
    this.D = values.map((v) => Math.sqrt(Math.max(v, 1e-20)));
  }
}
