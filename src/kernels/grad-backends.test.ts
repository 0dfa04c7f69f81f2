/**
 * Every backward op on each backend against its CPU reference (f64 math rounded to f32).
 * Tolerance |got - ref| <= RTOL |ref| + ATOL with RTOL 1e-4, ATOL 2e-5 (GPU: f32 sums of <= 64 terms, f32
 * exp/log/tanh, A&S erf with |error| <= 1.5e-7); rope 1e-5 / 1e-5 (f32 angles, as the forward kernel).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { ACTIVATIONS } from './activation';
import { linearBackwardCpu } from './grad-linear';
import { layerNormBackwardCpu, rmsNormBackwardCpu } from './grad-norm';
import { attentionBackwardCpu } from './grad-attention';
import * as g from './grad-pointwise';
import { softmaxCpu } from './softmax';

const [RTOL, ATOL] = [1e-4, 2e-5];
// linear cases above 2^20 multiply-adds ([300,70]x60, [300,64]x60) take the transpose + tiled-linear dW path

describe.each(backendCases())('backward ops on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());
  const read = (t: Parameters<Backend['readF32']>[0] | null): Promise<Float32Array> => {
    if (!t) throw new Error('missing tensor');
    return be.readF32(t);
  };

  it.each([
    ['kn', [2, 3, 37], 19],
    ['nk', [2, 3, 37], 19],
    ['kn', [70, 5], 66],
    ['nk', [1, 1], 1],
    ['kn', [300, 70], 60],
    ['nk', [2, 150, 64], 60],
  ] as const)('linearBackward %s x %j -> N %d', async (layout, xs, N) => {
    const K = xs[xs.length - 1];
    const M = xs.reduce<number>((a, b) => a * b, 1) / K;
    const [x, w, dy] = [randomF32(M * K, 1), randomF32(K * N, 2), randomF32(M * N, 3)];
    const ref = linearBackwardCpu(x, w, dy, { M, K, N }, layout, true);
    const wShape = layout === 'kn' ? [K, N] : [N, K];
    const out = be.linearBackward(
      be.tensor(x, xs),
      be.tensor(w, wShape),
      be.tensor(dy, [...xs.slice(0, -1), N]),
      layout,
      true,
    );
    expect(out.dx?.shape).toEqual(xs);
    expect(out.dw.shape).toEqual(wShape);
    assertClose(await read(out.dx), ref.dx ?? [], RTOL, ATOL, 'dx');
    assertClose(await read(out.dw), ref.dw, RTOL, ATOL, 'dw');
    assertClose(await read(out.db), ref.db, RTOL, ATOL, 'db');
    const noDx = be.linearBackward(
      be.tensor(x, xs),
      be.tensor(w, wShape),
      be.tensor(dy, [...xs.slice(0, -1), N]),
      layout,
      false,
    );
    expect(noDx.dx).toBeNull();
  });

  it.each(['kn', 'nk'] as const)(
    'linearBackward with an f16 weight (%s): dx through the f16 linear kernel',
    async (layout) => {
      const [M, K, N] = [5, 9, 7];
      const [x, w, dy] = [randomF32(M * K, 21), randomF32(K * N, 22), randomF32(M * N, 23)];
      const wShape = layout === 'kn' ? [K, N] : [N, K];
      const wT = be.tensorF16(w, wShape);
      const wRounded = (await be.read(wT)) as Float32Array; // read() gives f16 weights back as f32
      const ref = linearBackwardCpu(x, wRounded, dy, { M, K, N }, layout, true);
      const out = be.linearBackward(be.tensor(x, [M, K]), wT, be.tensor(dy, [M, N]), layout, true);
      expect(out.dw.dtype).toBe('f32');
      assertClose(await read(out.dx), ref.dx ?? [], RTOL, ATOL, 'dx');
      assertClose(await read(out.dw), ref.dw, RTOL, ATOL, 'dw');
    },
  );

  it('linearBackward rejects dy of the wrong shape', () => {
    expect(() =>
      be.linearBackward(
        be.tensor(new Float32Array(6), [2, 3]),
        be.tensor(new Float32Array(12), [3, 4]),
        be.tensor(new Float32Array(6), [2, 3]),
        'kn',
        true,
      ),
    ).toThrow(ShapeError);
  });

  it.each([[[3, 5]], [[2, 2, 300]], [[1, 1]]])('layerNorm / rmsNorm backward %j', async (shape) => {
    const dim = shape[shape.length - 1];
    const rows = shape.reduce((a, b) => a * b, 1) / dim;
    const [x, gamma, dy] = [
      randomF32(rows * dim, 4, -2, 3),
      randomF32(dim, 5, 0.5, 1.5),
      randomF32(rows * dim, 6),
    ];
    const [xT, gT, dT] = [be.tensor(x, shape), be.tensor(gamma, [dim]), be.tensor(dy, shape)];
    const ln = layerNormBackwardCpu(x, gamma, dy, 1e-5, { rows, dim });
    const lo = be.layerNormBackward(xT, gT, dT, 1e-5);
    assertClose(await read(lo.dx), ln.dx, RTOL, ATOL, 'ln dx');
    assertClose(await read(lo.dgamma), ln.dgamma, RTOL, ATOL, 'ln dgamma');
    assertClose(await read(lo.dbeta), ln.dbeta, RTOL, ATOL, 'ln dbeta');
    for (const addOne of [false, true]) {
      const rr = rmsNormBackwardCpu(x, gamma, dy, 1e-6, addOne, { rows, dim });
      const ro = be.rmsNormBackward(xT, gT, dT, 1e-6, { addOne });
      assertClose(await read(ro.dx), rr.dx, RTOL, ATOL, `rms dx ${addOne}`);
      assertClose(await read(ro.dgamma), rr.dgamma, RTOL, ATOL, `rms dgamma ${addOne}`);
    }
  });

  it.each(ACTIVATIONS)('activationBackward %s', async (kind) => {
    const x = randomF32(300, 7, -6, 6);
    const dy = randomF32(300, 8);
    const got = await read(be.activationBackward(be.tensor(x, [3, 100]), be.tensor(dy, [3, 100]), kind));
    assertClose(got, g.activationBackwardCpu(x, dy, kind), RTOL, ATOL, kind);
  });

  it('swigluBackward', async () => {
    const [gate, up, dy] = [randomF32(260, 9, -8, 8), randomF32(260, 10), randomF32(260, 11)];
    const ref = g.swigluBackwardCpu(gate, up, dy);
    const out = be.swigluBackward(be.tensor(gate, [260]), be.tensor(up, [260]), be.tensor(dy, [260]));
    assertClose(await read(out.dgate), ref.dgate, RTOL, ATOL, 'dgate');
    assertClose(await read(out.dup), ref.dup, RTOL, ATOL, 'dup');
  });

  it.each([[[4, 7]], [[2, 3, 300]]])('softmaxBackward and l2NormalizeBackward %j', async (shape) => {
    const dim = shape[shape.length - 1];
    const rows = shape.reduce((a, b) => a * b, 1) / dim;
    const y = softmaxCpu(randomF32(rows * dim, 12, -3, 3), { rows, dim });
    const dy = randomF32(rows * dim, 13);
    const sm = await read(be.softmaxBackward(be.tensor(y, shape), be.tensor(dy, shape)));
    assertClose(sm, g.softmaxBackwardCpu(y, dy, { rows, dim }), RTOL, ATOL, 'softmax');
    const x = randomF32(rows * dim, 14);
    x.fill(0, 0, dim); // a zero row: the 1e-12 clamp
    const l2 = await read(be.l2NormalizeBackward(be.tensor(x, [rows, dim]), be.tensor(dy, [rows, dim])));
    assertClose(l2, g.l2NormalizeBackwardCpu(x, dy, rows, dim), RTOL, ATOL, 'l2');
  });

  it.each([
    ['half', 8],
    ['interleaved', 8],
    ['half', 4],
  ] as const)('ropeBackward %s rotaryDim %d', async (style, r) => {
    const dims = { B: 2, T: 5, H: 3, Dh: 8, r, style };
    const dy = randomF32(2 * 5 * 3 * 8, 15);
    const got = await read(
      be.ropeBackward(be.tensor(dy, [2, 5, 3, 8]), { theta: 10000, rotaryDim: r, style }),
    );
    assertClose(got, g.ropeBackwardCpu(dy, dims, 10000), 1e-5, 1e-5, 'rope');
  });

  it('ropeBackward with invFreq and mscale', async () => {
    const invFreq = Float32Array.of(1, 0.3, 0.02);
    const dims = { B: 2, T: 5, H: 3, Dh: 8, r: 6, style: 'half' as const, invFreq, mscale: 1.2 };
    const dy = randomF32(2 * 5 * 3 * 8, 17);
    const got = await read(
      be.ropeBackward(be.tensor(dy, [2, 5, 3, 8]), { theta: 10000, rotaryDim: 6, invFreq, mscale: 1.2 }),
    );
    assertClose(got, g.ropeBackwardCpu(dy, dims, 10000), 1e-5, 1e-5, 'rope scaled');
  });

  it('maskedMeanPoolBackward and poolBackward (cls, last, a row with no token)', async () => {
    const d = { B: 3, T: 4, D: 5 };
    const mask = Float32Array.of(1, 1, 0, 0, 0.5, 1, 1, 1, 0, 0, 0, 0);
    const dy = randomF32(15, 16);
    const [mT, dT] = [be.tensor(mask, [3, 4]), be.tensor(dy, [3, 5])];
    const mp = be.maskedMeanPoolBackward(mT, dT, 4);
    expect(mp.shape).toEqual([3, 4, 5]);
    assertClose(await read(mp), g.maskedMeanPoolBackwardCpu(mask, dy, d), RTOL, ATOL, 'mean');
    for (const mode of ['cls', 'last'] as const) {
      assertClose(
        await read(be.poolBackward(mT, dT, 4, mode)),
        g.poolBackwardCpu(mask, dy, d, mode),
        0,
        0,
        mode,
      );
    }
    expect(() => be.poolBackward(mT, dT, 3, 'cls')).toThrow(ShapeError);
  });

  it.each([
    ['padding', { B: 2, T: 5, Hq: 2, Hkv: 2, Dh: 8 }, false, [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]],
    ['causal GQA 4:2', { B: 1, T: 6, Hq: 4, Hkv: 2, Dh: 4 }, true, [1, 1, 1, 1, 1, 0]],
    ['no visible key for query 0', { B: 1, T: 3, Hq: 2, Hkv: 1, Dh: 3 }, true, [0, 1, 1]],
  ] as const)('attentionBackward %s', async (_n, d, causal, m) => {
    const opts = { causal, scale: 1 / Math.sqrt(d.Dh) };
    const q = randomF32(d.B * d.T * d.Hq * d.Dh, 17, -2, 2);
    const k = randomF32(d.B * d.T * d.Hkv * d.Dh, 18, -2, 2);
    const v = randomF32(d.B * d.T * d.Hkv * d.Dh, 19);
    const dy = randomF32(q.length, 20);
    const mask = Float32Array.from(m);
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
    assertClose(await read(out.dq), ref.dq, RTOL, ATOL, 'dq');
    assertClose(await read(out.dk), ref.dk, RTOL, ATOL, 'dk');
    assertClose(await read(out.dv), ref.dv, RTOL, ATOL, 'dv');
  });
});
