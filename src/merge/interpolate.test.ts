import { describe, expect, it } from 'vitest';
import { expectClose, merge1d } from './test-helpers';

const r = Math.SQRT1_2;

describe('linear', () => {
  it('Σ w_i θ_i / Σ w_i by default; the raw sum without normalize; the base is ignored', () => {
    expectClose(
      merge1d(
        'linear',
        null,
        [
          [1, 2],
          [3, 6],
        ],
        [{ weight: 1 }, { weight: 3 }],
      ),
      [2.5, 5],
    );
    expectClose(
      merge1d(
        'linear',
        [9, 9],
        [
          [1, 2],
          [3, 6],
        ],
        [{ weight: 1 }, { weight: 3 }],
        { normalize: false },
      ),
      [10, 20],
    );
  });
  it('a zero weight drops a model; weights summing to 0 with normalize is a clear error', () => {
    expectClose(
      merge1d(
        'linear',
        null,
        [
          [1, 2],
          [3, 6],
        ],
        [{ weight: 0 }, { weight: 2 }],
      ),
      [3, 6],
    );
    expect(() => merge1d('linear', null, [[1], [3]], [{ weight: 1 }, { weight: -1 }])).toThrow(/sum to 0/);
  });
});

describe('slerp', () => {
  it('interpolates on the sphere: base [1,0], other [0,1], t 0.5 → [√½, √½]; t 0 → base; t 1 → other', () => {
    expectClose(merge1d('slerp', [1, 0], [[0, 1]], [{ weight: 1 }], { t: 0.5 }), [r, r]);
    expectClose(merge1d('slerp', [1, 0], [[0, 1]], [{ weight: 1 }], { t: 0 }), [1, 0]);
    expectClose(merge1d('slerp', [1, 0], [[0, 1]], [{ weight: 1 }], { t: 1 }), [0, 1]);
    // unequal norms: angle 90°, t = 1/3 → sin(60°)/1·[2,0] + sin(30°)/1·[0,3]
    expectClose(
      merge1d('slerp', [2, 0], [[0, 3]], [{ weight: 1 }], { t: 1 / 3 }),
      [2 * Math.sin(Math.PI / 3), 1.5],
      1e-6,
    );
  });
  it('falls back to lerp when |cos| > 0.9995 (parallel and antiparallel)', () => {
    expectClose(merge1d('slerp', [1, 0], [[2, 0]], [{ weight: 1 }], { t: 0.5 }), [1.5, 0]);
    expectClose(merge1d('slerp', [1, 0], [[-3, 0]], [{ weight: 1 }], { t: 0.25 }), [0, 0]);
  });
  it('needs t and exactly one expert', () => {
    expect(() => merge1d('slerp', [1, 0], [[0, 1]], [{ weight: 1 }])).toThrow(/"t" is required/);
    expect(() =>
      merge1d(
        'slerp',
        [1, 0],
        [
          [0, 1],
          [1, 1],
        ],
        [{ weight: 1 }, { weight: 1 }],
        { t: 0.5 },
      ),
    ).toThrow(/at most 1/);
  });
});

describe('model_stock', () => {
  it('t = N·cos/(1+(N−1)·cos) from the mean pairwise cosine of the offsets', () => {
    // orthogonal offsets: cos 0 → t 0 → base
    expectClose(
      merge1d(
        'model_stock',
        [0, 0],
        [
          [1, 0],
          [0, 1],
        ],
        [{ weight: 1 }, { weight: 1 }],
      ),
      [0, 0],
    );
    // identical offsets: cos 1 → t 1 → mean
    expectClose(
      merge1d(
        'model_stock',
        [1, 1],
        [
          [2, 1],
          [2, 1],
        ],
        [{ weight: 1 }, { weight: 1 }],
      ),
      [2, 1],
    );
    // 45°: cos √½, t = 2c/(1+c); mean [1, .5]
    const t = (2 * r) / (1 + r);
    expectClose(
      merge1d(
        'model_stock',
        [0, 0],
        [
          [1, 1],
          [1, 0],
        ],
        [{ weight: 1 }, { weight: 1 }],
      ),
      [t, 0.5 * t],
      1e-6,
    );
  });
  it('three experts average three pairwise cosines; zero offsets (norm clamp 1e-6) give cos 0 → base', () => {
    // offsets [1,0],[1,0],[0,1]: cosines 1,0,0 → mean 1/3 → t = 3·⅓/(1+2·⅓) = 0.6; mean [2/3, 1/3]
    const got = merge1d(
      'model_stock',
      [0, 0],
      [
        [1, 0],
        [1, 0],
        [0, 1],
      ],
      [{ weight: 1 }, { weight: 1 }, { weight: 1 }],
    );
    expectClose(got, [0.6 * (2 / 3), 0.6 / 3], 1e-6);
    expectClose(
      merge1d(
        'model_stock',
        [5, 5],
        [
          [5, 5],
          [5, 5],
        ],
        [{ weight: 1 }, { weight: 1 }],
      ),
      [5, 5],
    );
  });
  it('filterWise: one t per row', () => {
    // row 0 offsets identical (t 1), row 1 orthogonal (t 0)
    const got = merge1d(
      'model_stock',
      [0, 0, 0, 0],
      [
        [1, 1, 1, 0],
        [1, 1, 0, 1],
      ],
      [{ weight: 1 }, { weight: 1 }],
      { filterWise: true },
      [2, 2],
    );
    expectClose(got, [1, 1, 0, 0]);
  });
  it('needs the base and at least two experts; no per-model parameters needed; undefined t is an error', () => {
    expect(() => merge1d('model_stock', [0], [[1]], [{ weight: 1 }])).toThrow(/at least 2/);
    expectClose(
      merge1d(
        'model_stock',
        [1, 1],
        [
          [2, 1],
          [2, 1],
        ],
        [],
      ),
      [2, 1],
    );
    // offsets [1,0] and [-1,0]: cos −1 = −1/(N−1) with N = 2
    expect(() =>
      merge1d(
        'model_stock',
        [0, 0],
        [
          [1, 0],
          [-1, 0],
        ],
        [],
      ),
    ).toThrow(/undefined/);
  });
});

describe('multislerp', () => {
  it('two orthogonal unit vectors, equal weights → the normalized mean [√½, √½]', () => {
    expectClose(
      merge1d(
        'multislerp',
        null,
        [
          [1, 0],
          [0, 1],
        ],
        [{ weight: 1 }, { weight: 1 }],
      ),
      [r, r],
      1e-6,
    );
  });
  it('weights 3:1 → tangent terms cancel, result = normalized weighted mean of units × weighted norm', () => {
    const m = Math.hypot(0.75, 0.25);
    expectClose(
      merge1d(
        'multislerp',
        null,
        [
          [2, 0],
          [0, 2],
        ],
        [{ weight: 3 }, { weight: 1 }],
      ),
      [(2 * 0.75) / m, (2 * 0.25) / m],
      1e-6,
    );
  });
  it('with a base works on θ − base and adds the base back; antipodal pairs fall back to lerp; three balanced → error', () => {
    expectClose(
      merge1d(
        'multislerp',
        [1, 1],
        [
          [2, 1],
          [1, 2],
        ],
        [{ weight: 1 }, { weight: 1 }],
      ),
      [1 + r, 1 + r],
      1e-6,
    );
    expectClose(
      merge1d(
        'multislerp',
        null,
        [
          [1, 0],
          [-1, 0],
        ],
        [{ weight: 1 }, { weight: 1 }],
      ),
      [0, 0],
    );
    expect(() =>
      merge1d(
        'multislerp',
        null,
        [
          [1, 0],
          [-1, 0],
          [0, 0],
        ],
        [{ weight: 1 }, { weight: 1 }, { weight: 0 }],
      ),
    ).toThrow(/weighted sum/);
    expect(() =>
      merge1d(
        'multislerp',
        null,
        [
          [1, 0],
          [0, 1],
        ],
        [{ weight: 1 }, { weight: -1 }],
      ),
    ).toThrow(/sum to 0/);
  });
});
