/**
 * Attention's softcap (Gemma 2) and sliding window: the CPU reference against independent computations,
 * every backend (CPU = the WebAssembly gemm path, WebGPU) against the reference, forward (with a KV cache)
 * and backward, and a finite-difference check of the reference backward.
 * Tolerances: forward 1e-5 |ref| + 2e-6 (as attention.test.ts), backward 1e-4 |ref| + 2e-5 (as
 * grad-backends.test.ts), FD 2e-3 + 2e-3 |analytic| with h = 1e-2 (as grad-fd.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import type { AttentionOptions } from '../core/transformer-ops';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { checkGradients, randomCotangent } from '../testing/fd';
import { attentionCpu, type AttentionDims } from './attention';
import { attentionBackwardCpu } from './grad-attention';

/** rows [lo, hi) of a [B=1, T, H, Dh] tensor */
const rows = (x: Float32Array, lo: number, hi: number, width: number) => x.slice(lo * width, hi * width);

describe('attention reference: softcap and window', () => {
  const [T, H, Dh] = [9, 2, 4];
  const q = randomF32(T * H * Dh, 1, -2, 2);
  const k = randomF32(T * H * Dh, 2, -2, 2);
  const v = randomF32(T * H * Dh, 3);
  const mask = new Float32Array(T).fill(1);
  const d: AttentionDims = { B: 1, T, Hq: H, Hkv: H, Dh };

  it.each([
    [true, 1],
    [true, 3],
    [false, 1],
    [false, 3],
    [false, 20],
  ])('causal=%s window=%i: each query equals plain attention over the keys of its band', (causal, w) => {
    const got = attentionCpu(q, k, v, mask, d, { causal, scale: 0.7, window: w });
    for (let i = 0; i < T; i++) {
      const lo = Math.max(0, i - w + 1);
      const hi = causal ? i + 1 : Math.min(T, i + w);
      const dims = { B: 1, T: 1, Tk: hi - lo, Hq: H, Hkv: H, Dh };
      const ks = rows(k, lo, hi, H * Dh);
      const want = attentionCpu(
        rows(q, i, i + 1, H * Dh),
        ks,
        rows(v, lo, hi, H * Dh),
        mask.slice(lo, hi),
        dims,
        {
          causal: false,
          scale: 0.7,
        },
      );
      assertClose(rows(got, i, i + 1, H * Dh), want, 1e-12, 0, `query ${i}`);
    }
  });

  it('softcap: weights are softmax(c tanh(s / c)); a huge cap changes nothing', () => {
    const d1: AttentionDims = { B: 1, T: 1, Tk: 2, Hq: 1, Hkv: 1, Dh: 1 };
    const [s0, s1, c] = [3, -1, 2];
    const y = attentionCpu(
      Float32Array.of(1),
      Float32Array.of(s0, s1),
      Float32Array.of(10, 20),
      Float32Array.of(1, 1),
      d1,
      {
        causal: false,
        scale: 1,
        softcap: c,
      },
    );
    const [e0, e1] = [Math.exp(c * Math.tanh(s0 / c)), Math.exp(c * Math.tanh(s1 / c))];
    expect(y[0]).toBeCloseTo((10 * e0 + 20 * e1) / (e0 + e1), 5);
    const plain = attentionCpu(q, k, v, mask, d, { causal: true, scale: 0.5 });
    assertClose(
      attentionCpu(q, k, v, mask, d, { causal: true, scale: 0.5, softcap: 1e7 }),
      plain,
      1e-6,
      1e-7,
      'cap',
    );
  });
});

describe.each(backendCases())('attention softcap and window on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  // [B, T, Tk, Hq, Hkv, Dh, causal, softcap, window, lens of the keys]
  const cases: [number, number, number, number, number, number, boolean, number, number, number[]][] = [
    [2, 9, 9, 4, 2, 8, true, 1.5, 3, [9, 6]],
    [2, 9, 9, 4, 2, 8, false, 0, 2, [9, 5]],
    [1, 13, 13, 2, 1, 16, false, 2.5, 4, [13]],
    [1, 40, 40, 2, 2, 12, true, 0, 7, [37]],
    [1, 300, 300, 2, 1, 8, true, 5, 64, [300]],
    // KV cache: queries at positions Tk - T ..
    [2, 3, 11, 4, 2, 8, true, 2, 4, [11, 9]],
    [1, 1, 300, 2, 1, 8, true, 1, 100, [300]],
    [1, 4, 12, 2, 2, 4, false, 3, 3, [12]],
  ];
  it.each(cases)(
    'forward B=%i T=%i Tk=%i Hq=%i Hkv=%i Dh=%i causal=%s softcap=%d window=%i lens=%j',
    async (B, T, Tk, Hq, Hkv, Dh, causal, softcap, window, lens) => {
      const seed = B * 100 + T * 7 + Tk;
      const q = randomF32(B * T * Hq * Dh, seed, -2, 2);
      const k = randomF32(B * Tk * Hkv * Dh, seed + 1, -2, 2);
      const v = randomF32(B * Tk * Hkv * Dh, seed + 2);
      const mask = Float32Array.from({ length: B * Tk }, (_, i) =>
        i % Tk < lens[Math.floor(i / Tk)] ? 1 : 0,
      );
      const opts: AttentionOptions = { causal, scale: 1 / Math.sqrt(Dh), softcap, window };
      const y = be.attention(
        be.tensor(q, [B, T, Hq, Dh]),
        be.tensor(k, [B, Tk, Hkv, Dh]),
        be.tensor(v, [B, Tk, Hkv, Dh]),
        be.tensor(mask, [B, Tk]),
        opts,
      );
      const want = attentionCpu(q, k, v, mask, { B, T, Tk, Hq, Hkv, Dh }, opts);
      assertClose(await be.readF32(y), want, 1e-5, 2e-6, 'attention');
    },
  );

  it.each([
    ['causal, softcap + window', { B: 2, T: 7, Hq: 4, Hkv: 2, Dh: 8 }, true, 1.2, 3, [1, 1, 1, 1, 1, 1, 0]],
    [
      'bidirectional window, padding',
      { B: 1, T: 9, Hq: 2, Hkv: 1, Dh: 4 },
      false,
      0,
      2,
      [1, 1, 1, 1, 1, 1, 1, 0, 0],
    ],
    ['softcap only, no key for query 0', { B: 1, T: 5, Hq: 2, Hkv: 2, Dh: 3 }, true, 0.8, 0, [0, 1, 1, 1, 1]],
  ] as const)('backward %s', async (_n, d, causal, softcap, window, m) => {
    const mask = Float32Array.from({ length: d.B * d.T }, (_, i) => m[i % d.T]);
    const opts: AttentionOptions = { causal, scale: 1 / Math.sqrt(d.Dh), softcap, window };
    const q = randomF32(d.B * d.T * d.Hq * d.Dh, 17, -2, 2);
    const k = randomF32(d.B * d.T * d.Hkv * d.Dh, 18, -2, 2);
    const v = randomF32(d.B * d.T * d.Hkv * d.Dh, 19);
    const dy = randomF32(q.length, 20);
    const ref = attentionBackwardCpu(q, k, v, mask, dy, d, opts);
    const [qs, ks] = [
      [d.B, d.T, d.Hq, d.Dh],
      [d.B, d.T, d.Hkv, d.Dh],
    ];
    const out = be.attentionBackward(
      be.tensor(q, qs),
      be.tensor(k, ks),
      be.tensor(v, ks),
      be.tensor(mask, [d.B, d.T]),
      be.tensor(dy, qs),
      opts,
    );
    assertClose(await be.readF32(out.dq), ref.dq, 1e-4, 2e-5, 'dq');
    assertClose(await be.readF32(out.dk), ref.dk, 1e-4, 2e-5, 'dk');
    assertClose(await be.readF32(out.dv), ref.dv, 1e-4, 2e-5, 'dv');
  });

  it('rejects a negative softcap and a fractional window', () => {
    const t = (s: number[]) => be.tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), s);
    const [x, m] = [t([1, 2, 1, 4]), t([1, 2])];
    expect(() => be.attention(x, x, x, m, { causal: true, scale: 1, softcap: -1 })).toThrow(/softcap/);
    expect(() => be.attention(x, x, x, m, { causal: true, scale: 1, window: 1.5 })).toThrow(/window/);
  });
});

describe('finite-difference check of attention backward with softcap and window', () => {
  it.each([
    ['causal, softcap 0.9, window 2', true, 0.9, 2],
    ['bidirectional, softcap 1.5, window 2', false, 1.5, 2],
  ] as const)('%s', (_n, causal, softcap, window) => {
    const d: AttentionDims = { B: 1, T: 5, Hq: 2, Hkv: 1, Dh: 3 };
    const mask = Float32Array.of(1, 1, 1, 1, 0);
    const opts: AttentionOptions = { causal, scale: 0.8, softcap, window };
    const q = randomF32(d.B * d.T * d.Hq * d.Dh, 20, -1.5, 1.5);
    const k = randomF32(d.B * d.T * d.Hkv * d.Dh, 21, -1.5, 1.5);
    const v = randomF32(d.B * d.T * d.Hkv * d.Dh, 22);
    const f = ([a, b, c]: Float32Array[]) => attentionCpu(a, b, c, mask, d, opts);
    const r = randomCotangent(f, [q, k, v], 7);
    const o = attentionBackwardCpu(q, k, v, mask, r, d, opts);
    checkGradients('attention', f, [q, k, v], r, [o.dq, o.dk, o.dv], { h: 1e-2, rtol: 2e-3, atol: 2e-3 });
    expect(Math.max(...Array.from(o.dq, Math.abs))).toBeGreaterThan(1e-2);
  });
});
