import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { attentionCpu, type AttentionDims } from './attention';

// Tolerance: |got - ref| <= 1e-5 * |ref| + 2e-6 (outputs are convex combinations of values in [-1, 1);
// the GPU uses an online softmax in f32, the reference an f64 two-pass softmax).
const RTOL = 1e-5;
const ATOL = 2e-6;

/** mask [B,T] with lens[b] leading ones */
function padMask(lens: number[], T: number): Float32Array {
  return Float32Array.from({ length: lens.length * T }, (_, i) => (i % T < lens[Math.floor(i / T)] ? 1 : 0));
}

describe('attentionCpu', () => {
  const d1: AttentionDims = { B: 1, T: 3, Hq: 1, Hkv: 1, Dh: 2 };
  const q = Float32Array.of(1, 0, 0, 1, 1, 1);
  const k = Float32Array.of(1, 0, 0, 1, 5, 5);
  const v = Float32Array.of(1, 2, 3, 4, 5, 6);

  it("a single visible key returns that key's value; no visible key gives zeros", () => {
    const y = attentionCpu(q, k, v, Float32Array.of(0, 1, 0), d1, { causal: false, scale: 1 });
    expect([...y]).toEqual([3, 4, 3, 4, 3, 4]);
    const z = attentionCpu(q, k, v, Float32Array.of(0, 0, 0), d1, { causal: false, scale: 1 });
    expect([...z]).toEqual([0, 0, 0, 0, 0, 0]);
    // causal + padding: query 0 sees only key 0, which is padding
    const c = attentionCpu(q, k, v, Float32Array.of(0, 1, 1), d1, { causal: true, scale: 1 });
    expect([...c.subarray(0, 4)]).toEqual([0, 0, 3, 4]);
  });

  it('weights two keys by softmax of scaled scores', () => {
    // query 0 = [1,0] scores keys 0,1 as 1, 0; with scale ln 2 the weights are 2/3, 1/3
    const y = attentionCpu(q, k, v, Float32Array.of(1, 1, 0), d1, { causal: false, scale: Math.LN2 });
    assertClose(y.subarray(0, 2), [(2 * 1 + 3) / 3, (2 * 2 + 4) / 3], 1e-7, 0, 'weights');
  });

  it('grouped-query heads read kv head h / (Hq / Hkv)', () => {
    const dims: AttentionDims = { B: 1, T: 4, Hq: 4, Hkv: 2, Dh: 3 };
    const qq = randomF32(4 * 4 * 3, 1);
    const kk = randomF32(4 * 2 * 3, 2);
    const vv = randomF32(4 * 2 * 3, 3);
    const mask = Float32Array.of(1, 1, 1, 0);
    const got = attentionCpu(qq, kk, vv, mask, dims, { causal: true, scale: 0.5 });
    // repeat each kv head twice and run plain multi-head attention
    const rep = (x: Float32Array) =>
      Float32Array.from(
        { length: 4 * 4 * 3 },
        (_, i) => x[Math.floor(i / 12) * 6 + Math.floor((i % 12) / 6) * 3 + (i % 3)],
      );
    const want = attentionCpu(qq, rep(kk), rep(vv), mask, { ...dims, Hkv: 4 }, { causal: true, scale: 0.5 });
    expect([...got]).toEqual([...want]);
  });
});

describe.each(backendCases())('attention on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  // [B, T, Hq, Hkv, Dh, causal, lens]
  const cases: [number, number, number, number, number, boolean, number[]][] = [
    [1, 1, 1, 1, 8, false, [1]],
    [1, 1, 2, 1, 4, true, [0]],
    [2, 9, 4, 1, 12, true, [9, 5]],
    [2, 7, 3, 3, 5, false, [7, 0]],
    [3, 13, 8, 2, 16, false, [13, 1, 6]],
    [2, 11, 4, 4, 7, true, [3, 11]],
    [1, 300, 2, 1, 16, true, [290]],
    [1, 40, 2, 1, 128, false, [37]],
  ];
  it.each(cases)(
    'B=%i T=%i Hq=%i Hkv=%i Dh=%i causal=%s lens=%j',
    async (B, T, Hq, Hkv, Dh, causal, lens) => {
      const seed = B * 1000 + T * 10 + Hq;
      const q = randomF32(B * T * Hq * Dh, seed, -2, 2);
      const k = randomF32(B * T * Hkv * Dh, seed + 1, -2, 2);
      const v = randomF32(B * T * Hkv * Dh, seed + 2);
      const mask = padMask(lens, T);
      const opts = { causal, scale: 1 / Math.sqrt(Dh) };
      const y = be.attention(
        be.tensor(q, [B, T, Hq, Dh]),
        be.tensor(k, [B, T, Hkv, Dh]),
        be.tensor(v, [B, T, Hkv, Dh]),
        be.tensor(mask, [B, T]),
        opts,
      );
      expect(y.shape).toEqual([B, T, Hq, Dh]);
      const want = attentionCpu(q, k, v, mask, { B, T, Hq, Hkv, Dh }, opts);
      const got = await be.readF32(y);
      assertClose(got, want, RTOL, ATOL, 'attention');
      // rows of a fully padded sequence are exactly zero
      lens.forEach((len, b) => {
        if (len === 0)
          expect(got.subarray(b * T * Hq * Dh, (b + 1) * T * Hq * Dh).every((x) => x === 0)).toBe(true);
      });
    },
  );

  it('ignores non-finite padding values and stays stable for large scores', async () => {
    const [B, T, H, Dh] = [1, 4, 1, 2];
    const q = Float32Array.of(30, 30, 30, 30, 30, 30, 30, 30);
    const k = Float32Array.of(3, 3, 3, 2, 1e30, 1e30, 1, 1);
    const v = Float32Array.of(1, 2, 3, 4, Infinity, NaN, 5, 6);
    const mask = Float32Array.of(1, 1, 0, 1);
    const y = be.attention(
      be.tensor(q, [B, T, H, Dh]),
      be.tensor(k, [B, T, H, Dh]),
      be.tensor(v, [B, T, H, Dh]),
      be.tensor(mask, [B, T]),
      { causal: false, scale: 1 },
    );
    const got = await be.readF32(y);
    expect(got.every(Number.isFinite)).toBe(true);
    assertClose(
      got,
      attentionCpu(q, k, v, mask, { B, T, Hq: H, Hkv: H, Dh }, { causal: false, scale: 1 }),
      RTOL,
      ATOL,
      'stable',
    );
  });

  // [B, Tk, T]: one chunk of keys, and several chunks (Tk > the workgroup's 256 keys per chunk)
  it.each([
    [2, 9, 3],
    [1, 300, 1],
    [1, 300, 4],
  ])(
    'keys past the queries (KV cache), B=%i Tk=%i T=%i: equal to those rows of the full attention',
    async (B, Tk, T) => {
      const [Hq, Hkv, Dh] = [4, 2, 8];
      const q = randomF32(B * Tk * Hq * Dh, 31);
      const k = randomF32(B * Tk * Hkv * Dh, 32);
      const v = randomF32(B * Tk * Hkv * Dh, 33);
      const mask = new Float32Array(B * Tk).fill(1);
      mask[1] = 0; // a padded key in the cache stays hidden
      const qTail = new Float32Array(B * T * Hq * Dh);
      for (let b = 0; b < B; b++)
        qTail.set(q.subarray((b * Tk + Tk - T) * Hq * Dh, (b + 1) * Tk * Hq * Dh), b * T * Hq * Dh);
      for (const causal of [true, false]) {
        const opts = { causal, scale: 1 / Math.sqrt(Dh) };
        const full = attentionCpu(q, k, v, mask, { B, T: Tk, Hq, Hkv, Dh }, opts);
        const want = new Float32Array(B * T * Hq * Dh);
        for (let b = 0; b < B; b++)
          want.set(full.subarray((b * Tk + Tk - T) * Hq * Dh, (b + 1) * Tk * Hq * Dh), b * T * Hq * Dh);
        const ref = attentionCpu(qTail, k, v, mask, { B, T, Tk, Hq, Hkv, Dh }, opts);
        assertClose(ref, want, 1e-6, 1e-7, `cpu ref causal=${causal}`);
        const y = be.attention(
          be.tensor(qTail, [B, T, Hq, Dh]),
          be.tensor(k, [B, Tk, Hkv, Dh]),
          be.tensor(v, [B, Tk, Hkv, Dh]),
          be.tensor(mask, [B, Tk]),
          opts,
        );
        expect(y.shape).toEqual([B, T, Hq, Dh]);
        assertClose(await be.readF32(y), want, RTOL, ATOL, `causal=${causal}`);
      }
      const q4 = be.tensor(new Float32Array(B * Tk * Hq * Dh), [B, Tk, Hq, Dh]);
      const k3 = be.tensor(new Float32Array(B * T * Hkv * Dh), [B, T, Hkv, Dh]);
      expect(() =>
        be.attention(q4, k3, k3, be.tensor(new Float32Array(B * T), [B, T]), { causal: true, scale: 1 }),
      ).toThrow(/fewer than/);
      const kk = be.tensor(k, [B, Tk, Hkv, Dh]);
      const qq = be.tensor(qTail, [B, T, Hq, Dh]);
      const mm = be.tensor(mask, [B, Tk]);
      expect(() => be.attentionBackward(qq, kk, kk, mm, qq, { causal: true, scale: 1 })).toThrow(
        /must be equal/,
      );
    },
  );

  it('rejects bad head counts and mismatched shapes', () => {
    const t = (s: number[]) => be.tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), s);
    const m = t([1, 2]);
    expect(() =>
      be.attention(t([1, 2, 3, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4]), m, { causal: false, scale: 1 }),
    ).toThrow(/multiple of key\/value heads/);
    expect(() =>
      be.attention(t([1, 2, 2, 4]), t([1, 2, 1, 4]), t([1, 2, 1, 3]), m, { causal: false, scale: 1 }),
    ).toThrow(ShapeError);
    expect(() =>
      be.attention(t([1, 2, 2, 4]), t([1, 2, 1, 4]), t([1, 2, 1, 4]), t([1, 3]), { causal: false, scale: 1 }),
    ).toThrow(/mask length/);
    expect(() =>
      be.attention(t([1, 2, 2, 4]), t([1, 3, 1, 4]), t([1, 3, 1, 4]), m, { causal: true, scale: 1 }),
    ).toThrow(/k length/);
  });
});
