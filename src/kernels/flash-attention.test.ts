/**
 * The tiled (flash-attention style) WebGPU attention, forward and backward, against the CPU references at
 * T = 1, 7, 128, 512 (the tiled programs forced on with attentionTuning.flashMinQueries = 0), with padding,
 * grouped-query heads, causal, softcap, window and a KV cache (forward); head dims up to 256; a
 * directional finite-difference check of the GPU backward against the GPU forward; and the tiles' workgroup
 * memory for head dims 64, 128, 256 under SwiftShader's and WebGPU's default limits.
 * Tolerances: forward 1e-5 |ref| + 2e-6 (attention.test.ts), backward 1e-4 |ref| + 2e-5
 * (grad-backends.test.ts); T = 512 sums 512 f32 terms per score row: forward 2e-5 |ref| + 4e-6.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import type { AttentionOptions } from '../core/transformer-ops';
import { assertClose, makeWebGPU, randomF32, SKIP_WEBGPU } from '../testing/backends';
import { attentionCpu, flashAttentionProgram, type AttentionDims } from './attention';
import { attentionTuning, flashFits } from './flash-tiles';
import { attentionBackwardCpu, flashAttentionBackwardProgram } from './grad-attention';

interface Case {
  d: AttentionDims;
  opts: AttentionOptions;
  /** real keys per batch row */
  lens: number[];
}

const c = (
  B: number,
  T: number,
  Tk: number,
  Hq: number,
  Hkv: number,
  Dh: number,
  opts: Omit<AttentionOptions, 'scale'>,
  lens: number[],
): Case => ({ d: { B, T, Tk, Hq, Hkv, Dh }, opts: { ...opts, scale: 1 / Math.sqrt(Dh) }, lens });

function inputs({ d, lens }: Case, seed: number) {
  const Tk = d.Tk ?? d.T;
  return {
    q: randomF32(d.B * d.T * d.Hq * d.Dh, seed, -2, 2),
    k: randomF32(d.B * Tk * d.Hkv * d.Dh, seed + 1, -2, 2),
    v: randomF32(d.B * Tk * d.Hkv * d.Dh, seed + 2),
    dy: randomF32(d.B * d.T * d.Hq * d.Dh, seed + 3),
    mask: Float32Array.from({ length: d.B * Tk }, (_, i) => (i % Tk < lens[Math.floor(i / Tk)] ? 1 : 0)),
  };
}

describe.skipIf(SKIP_WEBGPU)('tiled attention on WebGPU', () => {
  let be: Backend;
  beforeAll(async () => {
    be = await makeWebGPU();
    attentionTuning.flashMinQueries = 0;
  });
  afterAll(() => {
    attentionTuning.flashMinQueries = 16;
    be?.destroy();
  });

  const run = (x: ReturnType<typeof inputs>, { d, opts }: Case) => {
    const Tk = d.Tk ?? d.T;
    const t = (a: Float32Array, s: number[]) => be.tensor(a, s);
    const [qs, ks] = [
      [d.B, d.T, d.Hq, d.Dh],
      [d.B, Tk, d.Hkv, d.Dh],
    ];
    return {
      q: t(x.q, qs),
      k: t(x.k, ks),
      v: t(x.v, ks),
      mask: t(x.mask, [d.B, Tk]),
      dy: t(x.dy, qs),
      y: () => be.attention(t(x.q, qs), t(x.k, ks), t(x.v, ks), t(x.mask, [d.B, Tk]), opts),
    };
  };

  const forward: [string, Case][] = [
    ['T=1', c(2, 1, 1, 2, 1, 8, { causal: true }, [1, 0])],
    [
      'T=1 against a KV cache of 40, window 8, softcap',
      c(1, 1, 40, 4, 2, 8, { causal: true, softcap: 2, window: 8 }, [40]),
    ],
    ['T=7, GQA 4:2, padding, Dh 12', c(2, 7, 7, 4, 2, 12, { causal: true }, [7, 4])],
    ['T=7 against 20 keys, bidirectional window 3', c(1, 7, 20, 2, 2, 8, { causal: false, window: 3 }, [18])],
    ['T=128, causal, softcap, padding', c(1, 128, 128, 4, 2, 32, { causal: true, softcap: 3 }, [120])],
    ['T=128, bidirectional window 16', c(1, 128, 128, 2, 1, 16, { causal: false, window: 16 }, [128])],
    ['T=512, causal', c(1, 512, 512, 2, 1, 16, { causal: true }, [512])],
    ['T=512, bidirectional, padding, softcap', c(1, 512, 512, 1, 1, 8, { causal: false, softcap: 5 }, [500])],
    ['Dh=128, T=24', c(1, 24, 24, 2, 1, 128, { causal: false }, [21])],
    ['Dh=256, T=20, causal, window 6', c(1, 20, 20, 2, 1, 256, { causal: true, window: 6 }, [20])],
  ];
  it.each(forward)('forward %s', async (_n, cs) => {
    const x = inputs(cs, cs.d.T + cs.d.Dh);
    const want = attentionCpu(x.q, x.k, x.v, x.mask, cs.d, cs.opts);
    const [rtol, atol] = cs.d.T >= 512 ? [2e-5, 4e-6] : [1e-5, 2e-6];
    assertClose(await be.readF32(run(x, cs).y()), want, rtol, atol, 'attention');
  });

  const backward: [string, Case][] = [
    ['T=1', c(2, 1, 1, 2, 1, 8, { causal: false }, [1, 0])],
    ['T=7, GQA 4:2, causal, padding, no key for a row', c(2, 7, 7, 4, 2, 6, { causal: true }, [7, 0])],
    [
      'T=7, softcap, bidirectional window 2',
      c(1, 7, 7, 2, 1, 8, { causal: false, softcap: 1, window: 2 }, [6]),
    ],
    [
      'T=128, causal, softcap, window 20, GQA',
      c(1, 128, 128, 4, 2, 16, { causal: true, softcap: 2, window: 20 }, [125]),
    ],
    ['T=512, causal', c(1, 512, 512, 1, 1, 8, { causal: true }, [512])],
    ['Dh=256, T=9', c(1, 9, 9, 2, 1, 256, { causal: true, softcap: 4 }, [9])],
  ];
  it.each(backward)('backward %s', async (_n, cs) => {
    const x = inputs(cs, 3 * cs.d.T + cs.d.Dh);
    const ref = attentionBackwardCpu(x.q, x.k, x.v, x.mask, x.dy, cs.d, cs.opts);
    const t = run(x, cs);
    const g = be.attentionBackward(t.q, t.k, t.v, t.mask, t.dy, cs.opts);
    assertClose(await be.readF32(g.dq), ref.dq, 1e-4, 2e-5, 'dq');
    assertClose(await be.readF32(g.dk), ref.dk, 1e-4, 2e-5, 'dk');
    assertClose(await be.readF32(g.dv), ref.dv, 1e-4, 2e-5, 'dv');
  });

  it('backward: directional finite difference of the GPU forward matches the GPU gradients', async () => {
    // L(x) = Σ r ⊙ attention(x); (L(x + h u) - L(x - h u)) / 2h = <dL/dx, u>, h = 1e-2; the forward in f32:
    // tolerance 2e-3 + 2e-3 |<g, u>| as the CPU finite-difference checks
    const cs = c(1, 18, 18, 2, 1, 4, { causal: true, softcap: 1.5, window: 6 }, [17]);
    const x = inputs(cs, 5);
    const u = [randomF32(x.q.length, 6), randomF32(x.k.length, 7), randomF32(x.v.length, 8)];
    const h = 1e-2;
    const loss = async (sign: number) => {
      const moved = { ...x, q: x.q.slice(), k: x.k.slice(), v: x.v.slice() };
      [moved.q, moved.k, moved.v].forEach((a, n) => a.forEach((_, i) => (a[i] += sign * h * u[n][i])));
      const y = await be.readF32(run(moved, cs).y());
      return y.reduce((s, yi, i) => s + yi * x.dy[i], 0);
    };
    const fd = ((await loss(1)) - (await loss(-1))) / (2 * h);
    const t = run(x, cs);
    const g = be.attentionBackward(t.q, t.k, t.v, t.mask, t.dy, cs.opts);
    const grads = [await be.readF32(g.dq), await be.readF32(g.dk), await be.readF32(g.dv)];
    const an = grads.reduce((s, gr, n) => s + gr.reduce((a, gi, i) => a + gi * u[n][i], 0), 0);
    expect(Math.abs(an)).toBeGreaterThan(1e-2);
    expect(Math.abs(fd - an)).toBeLessThanOrEqual(2e-3 + 2e-3 * Math.abs(an));
  });
});

describe('tiled attention programs: workgroup memory', () => {
  // the tiles use min(budget, device limit): a 32 KiB budget on SwiftShader's 32 KiB, the default budget on
  // WebGPU's default 16 KiB, and on a device with 8 KiB
  it.each([
    [32768, 256, 32768],
    [16384, 256, undefined],
    [8192, 128, undefined],
  ])('head dims 64, 128, 256 fit %i bytes with %i invocations (budget %s)', (bytes, inv, budget) => {
    const limits = { maxWorkgroupStorageBytes: bytes, maxInvocationsPerWorkgroup: inv };
    const saved = attentionTuning.flashBudgetBytes;
    if (budget) attentionTuning.flashBudgetBytes = budget;
    try {
      for (const Dh of [64, 128, 256]) {
        const d: AttentionDims = { B: 1, T: 512, Tk: 512, Hq: 8, Hkv: 4, Dh };
        const opts = { causal: true, scale: 1 };
        const specs = [
          flashAttentionProgram(d, opts, limits),
          flashAttentionBackwardProgram(d, opts, limits, 'dq'),
          flashAttentionBackwardProgram(d, opts, limits, 'dkv'),
        ];
        for (const s of specs) {
          const { QW, KW, SW, RW, WG } = s.overrides;
          const [BQ, BK] = new Uint32Array(s.uniforms, 40, 2);
          const words =
            s.entryPoint === 'fwd'
              ? 2 * QW + KW + SW + 3 * RW
              : s.entryPoint === 'dq'
                ? 3 * QW + 2 * KW + 2 * SW + 2 * RW
                : 2 * QW + 4 * KW + 2 * SW + 2 * RW;
          const label = `${s.entryPoint} Dh=${Dh}`;
          expect(words * 4, label).toBeLessThanOrEqual(bytes);
          expect(BQ * Dh, label).toBeLessThanOrEqual(QW);
          expect(BK * Dh, label).toBeLessThanOrEqual(KW);
          expect(BQ * BK, label).toBeLessThanOrEqual(SW);
          expect(BQ, label).toBeLessThanOrEqual(RW);
          const small = Math.min(bytes, attentionTuning.flashBudgetBytes) < 16384 && Dh >= 256;
          expect(BQ * BK, label).toBeGreaterThanOrEqual(small ? 1 : 4);
          expect(WG).toBeLessThanOrEqual(inv);
        }
      }
      expect(() =>
        flashAttentionProgram({ B: 1, T: 8, Hq: 1, Hkv: 1, Dh: 4096 }, { causal: false, scale: 1 }, limits),
      ).toThrow(/head dim 4096 does not fit/);
      // a head dim the tiles cannot hold takes the per-query programs
      expect(flashFits(256, limits)).toBe(true);
      expect(flashFits(512, limits)).toBe(bytes >= 32768 && (budget ?? 0) >= 32768);
    } finally {
      attentionTuning.flashBudgetBytes = saved;
    }
  });
});
