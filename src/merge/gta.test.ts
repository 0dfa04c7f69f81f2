import { describe, expect, it } from 'vitest';
import { expectClose, merge1d } from './test-helpers';

// Hand-worked: base 0, δ1 = [3,-1,0,2] (w 2), δ2 = [-1,2,0,-2] (w 1).
// w·δ1 = [6,-2,0,4], w·δ2 = [-1,2,0,-2], Σ = [5,0,0,2] → majority + everywhere (0 counts as +).
// kept: e1 at 0 and 3, e2 at 1; index 2 is zero in both (a zero agrees with neither) → divisor 0 → 1.
const base = [0, 0, 0, 0];
const e1 = [3, -1, 0, 2];
const e2 = [-1, 2, 0, -2];

describe('ties (sign election, magnitude sparsify)', () => {
  it('elects sum signs, 0 counts as +, zero entries agree with neither, normalizes by agreeing weights', () => {
    const got = merge1d('ties', base, [e1, e2], [{ weight: 2 }, { weight: 1 }]);
    // mixed [6,2,0,4] / divisor [2,1,1,2]
    expectClose(got, [3, 2, 0, 2]);
  });
  it('without normalize keeps the weighted sum of agreeing entries', () => {
    const got = merge1d('ties', base, [e1, e2], [{ weight: 2 }, { weight: 1 }], { normalize: false });
    expectClose(got, [6, 2, 0, 4]);
  });
  it('keeps the top int(density·n) |δ| per tensor, then mixes; lambda scales; adds the base', () => {
    const got = merge1d(
      'ties',
      [1, 1, 1, 1],
      [
        [5, -2, 2, 1.5], // δ [4,-3,1,.5] → top 2 [4,-3,0,0]
        [0, 2, 3, -4], // δ [-1,1,2,-5] → top 2 [0,0,2,-5]
      ],
      [
        { weight: 1, density: 0.5 },
        { weight: 1, density: 0.5 },
      ],
      { lambda: 0.5 },
    );
    expectClose(got, [1 + 2, 1 - 1.5, 1 + 1, 1 - 2.5]);
  });
  it('breaks magnitude ties by index and rescales by ‖δ‖₁/‖kept‖₁ when rescale is on', () => {
    expectClose(merge1d('ties', [0, 0, 0], [[1, -1, 1]], [{ weight: 1, density: 0.34 }]), [1, 0, 0]);
    const got = merge1d('ties', [0, 0, 0, 0], [[4, -3, 1, 0.5]], [{ weight: 1, density: 0.5 }], {
      rescale: true,
    });
    expectClose(got, [(4 * 8.5) / 7, (-3 * 8.5) / 7, 0, 0], 1e-6);
  });
  it('a zero weight never agrees (its w·δ is 0), and zero deltas give the base back', () => {
    // e2 alone elects: Σ = [-1,2,0,-2] → majority [-,+,+,-]; e2 kept except at its 0 entry; divisor 1
    expectClose(merge1d('ties', base, [e1, e2], [{ weight: 0 }, { weight: 1 }]), [-1, 2, 0, -2]);
    expectClose(
      merge1d(
        'ties',
        [1, 2, 3],
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
        [{ weight: 1 }, { weight: 1 }],
      ),
      [1, 2, 3],
    );
  });
  it('a negative weight flips the sign of w·δ and the divisor (mergekit: Σ w·mask)', () => {
    // w·δ = -1 → majority −, kept; divisor −1 → mixed/divisor = 1
    expectClose(merge1d('ties', [0], [[1]], [{ weight: -1 }]), [1]);
  });
  it('agreeing weights that sum to 0 give divisor 0, which becomes 1', () => {
    // w·δ = 1·1 = 1 and −1·(−2) = 2 → both +, kept; mixed 3; divisor 1 + (−1) = 0 → 1
    expectClose(merge1d('ties', [0], [[1], [-2]], [{ weight: 1 }, { weight: -1 }]), [3]);
  });
  it('density giving int(density·n) = 0 is an error naming the tensor (mergekit asserts)', () => {
    expect(() =>
      merge1d('ties', [0, 0], [[1, 2]], [{ weight: 1, density: 0.4 }], {}, undefined, 'layer.0.bias'),
    ).toThrow(/layer\.0\.bias.*raise density/);
  });
});

describe('task_arithmetic', () => {
  it('base + lambda·Σ w_i δ_i, no normalize by default', () => {
    expectClose(
      merge1d(
        'task_arithmetic',
        [1, 1],
        [
          [2, 0],
          [3, 3],
        ],
        [{ weight: 1 }, { weight: 0.5 }],
        { lambda: 2 },
      ),
      [1 + 2 * (1 + 1), 1 + 2 * (-1 + 1)],
    );
  });
  it('normalize divides by Σ w_i, and by 1 when |Σ w_i| < 1e-8', () => {
    expectClose(
      merge1d('task_arithmetic', [0], [[1], [3]], [{ weight: 2 }, { weight: 2 }], { normalize: true }),
      [2],
    );
    expectClose(
      merge1d('task_arithmetic', [0], [[1], [3]], [{ weight: 1 }, { weight: -1 }], { normalize: true }),
      [-2],
    );
  });
  it('zero weights and no experts give the base', () => {
    expectClose(merge1d('task_arithmetic', [4, 5], [[9, 9]], [{ weight: 0 }]), [4, 5]);
  });
});

describe('dare_ties / dare_linear (hand-worked at density 1: no mask)', () => {
  it('dare_linear at density 1 is task arithmetic; dare_ties at density 1 is TIES without normalize', () => {
    expectClose(merge1d('dare_linear', base, [e1, e2], [{ weight: 2 }, { weight: 1 }]), [5, 0, 0, 2]);
    expectClose(merge1d('dare_ties', base, [e1, e2], [{ weight: 2 }, { weight: 1 }]), [6, 2, 0, 4]);
    expectClose(
      merge1d('dare_ties', base, [e1, e2], [{ weight: 2 }, { weight: 1 }], { normalize: true }),
      [3, 2, 0, 2],
    );
  });
});

describe('breadcrumbs / breadcrumbs_ties', () => {
  const ramp = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const zeros = ramp.map(() => 0);
  it('drops the top gamma fraction, then the smallest, keeping int(density·n)', () => {
    const got = merge1d('breadcrumbs', zeros, [ramp], [{ weight: 1, density: 0.5, gamma: 0.1 }]);
    expectClose(got, [0, 0, 0, 0, 5, 6, 7, 8, 9, 0]);
  });
  it('tiny tensor, int(gamma·n) = 0: keeps the top int(density·n) (mergekit would zero the tensor)', () => {
    const got = merge1d('breadcrumbs', zeros, [ramp], [{ weight: 1, density: 0.5 }]); // gamma 0.01 default
    expectClose(got, [0, 0, 0, 0, 0, 6, 7, 8, 9, 10]);
  });
  it('drops fewer large entries when n − target − n_top < 0', () => {
    const got = merge1d('breadcrumbs', zeros, [ramp], [{ weight: 1, density: 0.95, gamma: 0.2 }]);
    expectClose(got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
  });
  it('breadcrumbs_ties elects signs, does not normalize by default', () => {
    const got = merge1d(
      'breadcrumbs_ties',
      [0, 0, 0, 0],
      [
        [1, -4, 2, 3],
        [-2, -1, 1, 5],
      ],
      [
        { weight: 1, density: 0.5, gamma: 0.25 }, // drop top 1 (|-4|), keep next 2: [0,0,2,3]
        { weight: 1, density: 0.5, gamma: 0.25 }, // drop 5, keep [-2,0,0,0] and 1 at index 2? sorted 1,1,2,5 → keep idx1? see below
      ],
    );
    // e2 |δ| ascending with index ties: [-1 (i1), 1 (i2), -2 (i0), 5 (i3)]; n_bot 1, n_top 1 → keep i2, i0
    // δ'1 = [0,0,2,3], δ'2 = [-2,0,1,0]; Σ = [-2,0,3,3] → kept: e2@0, e1@2, e2@2, e1@3
    expectClose(got, [-2, 0, 3, 3]);
  });
});
