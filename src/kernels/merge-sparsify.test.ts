import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import type { MergeSparsifyOptions, SparsifyMethod } from '../core/merge-ops';
import { backendCases, randomInts, rng } from '../testing/backends';
import { KEEP_ONE, keepThreshold, maskHash, pcg } from './merge-rng';
import { digitPasses, keyLo, magnitudeBits, selectKey } from './merge-select';
import { rowRanks, sparsifyCpu, sparsifyMaskCpu, sparsifyPlan } from './merge-sparsify';

// Oracles by sorting (the former src/merge/sparsify.ts): |δ| order, ties by index.
function order(delta: Float32Array, lowerFirst: boolean): Uint32Array {
  const mag = magnitudeBits(delta);
  const idx = new Uint32Array(delta.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => mag[a] - mag[b] || (lowerFirst ? a - b : b - a));
}
function topKOracle(desc: Uint32Array, density: number): Uint8Array {
  const n = desc.length;
  const keep = new Uint8Array(n);
  for (let j = 0; j < Math.floor(density * n); j++) keep[desc[n - 1 - j]] = 1;
  return keep;
}
function outliersOracle(asc: Uint32Array, density: number, gamma: number): Uint8Array {
  const n = asc.length;
  const target = Math.floor(density * n);
  let nTop = Math.floor(gamma * n);
  let nBot = n - target - nTop;
  if (nBot < 0) {
    nTop += nBot;
    nBot = 0;
  }
  const keep = new Uint8Array(n);
  for (let j = nBot; j < n - nTop; j++) keep[asc[j]] = 1;
  return keep;
}
const mask = (
  delta: Float32Array,
  method: SparsifyMethod,
  density: number,
  gamma = 0,
  shape = [delta.length],
) =>
  sparsifyMaskCpu(
    delta,
    sparsifyPlan(shape, 1, { method, params: [{ density, gamma, epsilon: 0.1 }], rescale: false, keys: [5] }),
    0,
  ) as Uint8Array;
/** index of the first difference, -1 when equal (toEqual is slow on 1e6 elements) */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
const f32 = (xs: number[]) => Float32Array.from(xs);
/** many ties: small integers, a quarter of them zero, with random signs */
function tieHeavy(n: number, seed: number): Float32Array {
  return randomInts(n, seed, -3, 3);
}

describe('exact rank selection (CPU reference) = sorting', () => {
  it('hand-worked: all-equal |δ| with sign ties keeps the lowest indices (top-k) / ascending ranks (breadcrumbs)', () => {
    const d = f32([2, -2, 2, -2, 2, -2]);
    expect([...mask(d, 'magnitude', 0.5)]).toEqual([1, 1, 1, 0, 0, 0]);
    // ascending order is index order: drop the top int(0.2·6)=1 (index 5), keep int(0.5·6)=3 below it
    expect([...mask(d, 'magnitude_outliers', 0.5, 0.2)]).toEqual([0, 0, 1, 1, 1, 0]);
  });
  it('hand-worked: zero deltas rank lowest, -0 equals 0, larger magnitudes win over index', () => {
    const d = f32([0, -0, 3, -1, 0, 1, -3]);
    expect([...mask(d, 'magnitude', 3 / 7)]).toEqual([0, 0, 1, 1, 0, 0, 1]);
    expect([...mask(f32([0, 0, 0, 0]), 'magnitude', 0.5)]).toEqual([1, 1, 0, 0]);
    expect([...mask(f32([5, 1, 4, 2, 3]), 'magnitude_outliers', 0.4, 0)]).toEqual([1, 0, 1, 0, 0]);
    expect([...mask(f32([5, 1, 4, 2, 3]), 'magnitude_outliers', 0.4, 0.2)]).toEqual([0, 0, 1, 0, 1]);
  });
  it('one element, density 0 and density just below 1', () => {
    expect([...mask(f32([-4]), 'magnitude', 0.999)]).toEqual([0]); // int(0.999) = 0 (src/merge rejects it)
    expect([...mask(f32([-4, 1]), 'magnitude', 0.5)]).toEqual([1, 0]);
    expect([...mask(f32([1, 2, 3]), 'magnitude_outliers', 0, 0)]).toEqual([0, 0, 0]);
  });
  it('selectKey(r) is the r-th smallest key, every rank, many ties, n = 1..300', () => {
    const r = rng(3);
    for (const n of [1, 2, 3, 7, 99, 100, 255, 256, 257, 300]) {
      const d = tieHeavy(n, n);
      const mag = magnitudeBits(d);
      for (const desc of [false, true]) {
        const keys = Array.from(mag, (hi, i) => hi * 2 ** 32 + keyLo(i, n, desc)).sort((a, b) => a - b);
        for (let rank = 0; rank < n; rank += 1 + Math.floor(r() * 5)) {
          const k = selectKey(mag, desc, rank);
          expect(k.hi * 2 ** 32 + k.lo).toBe(keys[rank]);
        }
        expect(selectKey(mag, desc, n)).toEqual({ hi: 0xffffffff, lo: 0xffffffff });
      }
    }
  });
  it('digit passes: 4 over |δ| bits, then whole digits of the index', () => {
    expect(digitPasses(100).map((p) => [p.word, p.shift])).toEqual([
      [0, 24],
      [0, 16],
      [0, 8],
      [0, 0],
      [1, 0],
    ]);
    expect(digitPasses(1_000_000).length).toBe(7);
    expect(digitPasses(100)[1].maskHi).toBe(0xff000000);
    expect(digitPasses(1_000_000)[5].maskLo).toBe(0xff0000);
  });
  it.each([
    ['n = 37, ties', 37],
    ['n = 512·512', 512 * 512],
    ['n = 1e6', 1_000_000],
  ])('top-k and breadcrumbs masks equal the sort oracle (%s)', (_, n) => {
    const d =
      n < 1000 ? tieHeavy(n, 9) : Float32Array.from(tieHeavy(n, 9), (v, i) => v * (1 + (i % 97) / 97));
    // ascending |δ|; for top-k equal magnitudes put the higher index lower (so the lower index ranks higher)
    const asc = order(d, true);
    const desc = order(d, false);
    for (const density of [0.1, 0.5, 0.9]) {
      expect(firstDiff(mask(d, 'magnitude', density), topKOracle(desc, density))).toBe(-1);
      expect(
        firstDiff(mask(d, 'magnitude_outliers', density, 0.05), outliersOracle(asc, density, 0.05)),
      ).toBe(-1);
    }
  });
  it('DELLA row ranks: ascending |δ|, ties by lower index, along dim 1 (stride of the trailing dims)', () => {
    // shape [1, 4, 2]: rows are (c = 0) entries 0,2,4,6 and (c = 1) entries 1,3,5,7
    const d = f32([2, 0, -1, 0, 2, 5, 0, -5]);
    expect([...rowRanks(d, 2, 4, 2)]).toEqual([2, 0, 1, 1, 3, 2, 0, 3]);
  });
});

describe('counter-based mask hash (merge-rng)', () => {
  it('pcg_hash reference values (computed independently in Python)', () => {
    expect([0, 1, 12345, 0xffffffff].map(pcg)).toEqual([129708002, 2831084092, 4099845390, 3861530882]);
    expect([0, 1, 2].map((i) => maskHash(7, i))).toEqual([3259384740, 715268080, 3205166083]);
  });
  it('keepThreshold: m < threshold exactly when m/2^24 < p', () => {
    for (const p of [0, 1e-9, 0.1, 0.3, 1 / 3, 0.5, 0.7, 1 - 1e-9, 1]) {
      const t = keepThreshold(p);
      expect((t - 1) / KEEP_ONE < p || t === 0).toBe(true);
      expect(t / KEEP_ONE >= p || t === KEEP_ONE).toBe(true);
    }
  });
  it('DARE masks keep ≈ density (|rate − p| < 0.005 at n = 1e6) and differ across keys', () => {
    const d = new Float32Array(1_000_000).fill(1);
    for (const p of [0.1, 0.5, 0.9]) {
      const plan = sparsifyPlan([d.length], 2, {
        method: 'random',
        params: [0, 1].map(() => ({ density: p, gamma: 0, epsilon: 0 })),
        rescale: false,
        keys: [1, 2],
      });
      const a = sparsifyMaskCpu(d, plan, 0) as Uint8Array;
      const b = sparsifyMaskCpu(d, plan, 1) as Uint8Array;
      const rate = a.reduce((s, v) => s + v, 0) / d.length;
      expect(Math.abs(rate - p)).toBeLessThan(0.005);
      let both = 0;
      for (let i = 0; i < a.length; i++) both += a[i] & b[i];
      expect(Math.abs(both / d.length - p * p)).toBeLessThan(0.005); // independent streams
    }
  });
});

const stack = (xs: Float32Array[]) => {
  const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
  xs.forEach((x, k) => out.set(x, k * xs[0].length));
  return out;
};

describe.each(backendCases())('mergeSparsify on $name = the CPU reference (identical masks)', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const params = [
    { density: 0.5, gamma: 0.05, epsilon: 0.2 },
    { density: 0.3, gamma: 0.01, epsilon: 0.1 },
    { density: 1, gamma: 0.01, epsilon: 0.15 }, // not sparsified
    { density: 0.7, gamma: 0, epsilon: 0.25 },
  ];
  const shapes: number[][] = [[1], [5], [3, 7], [2, 3, 4], [99], [3, 2500], [512, 512], [1_000_000]];
  const methods: (SparsifyMethod | null)[] = [
    null,
    'magnitude',
    'magnitude_outliers',
    'random',
    'della_magprune',
  ];
  const big = (shape: number[]) => shape[0] === 1_000_000 || shape[0] === 512;
  const cases = methods.flatMap((method) =>
    shapes
      // DELLA counts ranks in O(len²) per row: rows of 512 (16 of them) and of 2500 (several row blocks)
      // instead of 512×512 and a 1e6-entry row, which SwiftShader would take minutes over
      .map((shape) => (method === 'della_magprune' && big(shape) ? [16, 512] : shape))
      .filter((shape, i, all) => all.findIndex((x) => x.join() === shape.join()) === i)
      .flatMap((shape) =>
        // the large tensors once per method (with rescale where the method defaults to it)
        (big(shape) ? [method === 'random' || method === 'della_magprune'] : [false, true]).map(
          (rescale) => ({
            method,
            shape,
            rescale,
          }),
        ),
      ),
  );

  const inputs = new Map<number, { base: Float32Array; experts: Float32Array[] }>();
  function data(n: number) {
    let x = inputs.get(n);
    if (x) return x;
    const base = randomInts(n, 1, -2, 2);
    const a = randomInts(n, 2);
    const b = randomInts(n, 3);
    const c = randomInts(n, 4, -1000, 1000);
    const experts = [new Float32Array(n), Float32Array.from(base), new Float32Array(n), new Float32Array(n)];
    for (let i = 0; i < n; i++) {
      experts[0][i] = base[i] + a[i]; // tie-heavy deltas
      experts[2][i] = base[i] + b[i] * 0.37; // ties with sign ties
      experts[3][i] = base[i] + c[i] / 64;
    } // experts[1]: zero task vector
    x = { base, experts };
    inputs.set(n, x);
    return x;
  }

  it.each(cases)('$method $shape rescale=$rescale', async ({ method, shape, rescale }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const { base, experts } = data(n);
    const o: MergeSparsifyOptions = { method, params, rescale, keys: [11, 12, 13, 14] };
    const want = sparsifyCpu(base, experts, sparsifyPlan(shape, 4, o));
    const t = [be.tensor(base, shape), be.tensor(stack(experts), [4, ...shape])];
    const y = be.mergeSparsify(t[0], t[1], o);
    expect(y.shape).toEqual([4, ...shape]);
    const got = await be.readF32(y);
    be.dispose(...t, y);
    let kept = 0;
    let dropped = 0;
    for (let k = 0; k < 4; k++) {
      const w = want[k];
      const g = got.subarray(k * n, (k + 1) * n);
      for (let i = 0; i < n; i++) {
        if ((g[i] === 0) !== (w[i] === 0))
          throw new Error(`expert ${k} element ${i}: got ${g[i]}, want ${w[i]}`);
        if (rescale ? Math.abs(g[i] - w[i]) > 2e-6 * Math.abs(w[i]) : g[i] !== w[i])
          throw new Error(`expert ${k} element ${i}: got ${g[i]}, want ${w[i]}`);
        const delta = experts[k][i] - base[i];
        if (delta !== 0 && w[i] !== 0) kept++;
        else if (delta !== 0) dropped++;
      }
    }
    expect(kept).toBeGreaterThan(0);
    if (method && n > 1) expect(dropped).toBeGreaterThan(0);
  });

  it('rejects mismatched shapes and parameter counts', () => {
    const b = be.tensor(new Float32Array(3), [3]);
    const e = be.tensor(new Float32Array(6), [2, 3]);
    const o: MergeSparsifyOptions = { method: 'magnitude', params: [params[0]], rescale: false, keys: [1] };
    expect(() => be.mergeSparsify(b, be.tensor(new Float32Array(6), [3, 2]), o)).toThrow(ShapeError);
    expect(() => be.mergeSparsify(b, e, o)).toThrow(/2 experts but 1 parameter sets/);
    expect(() => be.mergeSparsify(b, e, { ...o, method: 'random', params: [params[0], params[1]] })).toThrow(
      /mask keys/,
    );
  });
});
