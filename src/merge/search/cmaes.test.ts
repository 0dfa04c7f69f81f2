import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../util/symmetric-eigen';
import { Cmaes } from './cmaes';

function minimise(f: (x: number[]) => number, mean: number[], sigma: number, seed: number, evals: number) {
  const es = new Cmaes({ mean, sigma, seed });
  let best = { x: mean, f: Infinity };
  while (es.evaluations + es.lambda <= evals) {
    const xs = es.ask();
    const fs = xs.map(f);
    fs.forEach((v, i) => {
      if (v < best.f) best = { x: xs[i], f: v };
    });
    es.tell(xs, fs);
  }
  return { best, evaluations: es.evaluations };
}

describe('symmetricEigen', () => {
  it('reconstructs a symmetric matrix from its eigenpairs', () => {
    const n = 4;
    const c = Float64Array.from([4, 1, 0.5, 0, 1, 3, 0.2, 0.1, 0.5, 0.2, 2, 0.3, 0, 0.1, 0.3, 1]);
    const { values, vectors } = symmetricEigen(c, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[i * n + k] * values[k] * vectors[j * n + k];
        expect(s).toBeCloseTo(c[i * n + j], 10);
      }
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(10, 10); // the trace
  });
});

describe('Cmaes', () => {
  it('finds the minimum of a shifted sphere in 5-d within a few hundred evaluations', () => {
    const shift = [0.3, -1.2, 2, 0.7, -0.4];
    const sphere = (x: number[]) => x.reduce((a, v, i) => a + (v - shift[i]) ** 2, 0);
    const { best } = minimise(sphere, [0, 0, 0, 0, 0], 1, 7, 600);
    expect(best.f).toBeLessThan(1e-6);
    best.x.forEach((v, i) => expect(Math.abs(v - shift[i])).toBeLessThan(1e-3));
  });

  it('finds the minimum of the 4-d Rosenbrock function (a curved valley: the covariance must adapt)', () => {
    const rosen = (x: number[]) => {
      let s = 0;
      for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
      return s;
    };
    const { best } = minimise(rosen, [0, 0, 0, 0], 0.5, 3, 3000);
    expect(best.f).toBeLessThan(1e-6);
    best.x.forEach((v) => expect(v).toBeCloseTo(1, 2));
  });

  it('is reproducible under a seed and differs under another', () => {
    const f = (x: number[]) => (x[0] - 1) ** 2 + 3 * (x[1] + 2) ** 2;
    const a = minimise(f, [0, 0], 0.5, 11, 120);
    const b = minimise(f, [0, 0], 0.5, 11, 120);
    const c = minimise(f, [0, 0], 0.5, 12, 120);
    expect(b.best).toEqual(a.best);
    expect(c.best.x).not.toEqual(a.best.x);
  });

  it('refuses a bad configuration', () => {
    expect(() => new Cmaes({ mean: [], sigma: 1, seed: 0 })).toThrow(/at least one coordinate/);
    expect(() => new Cmaes({ mean: [0], sigma: 0, seed: 0 })).toThrow(/sigma must be positive/);
  });
});
