/**
 * InfoNCE: hand-worked losses on 2x2 cases, finite-difference checks of dq/ddocs (the loss is f64: h = 1e-3,
 * |fd - analytic| <= 1e-4 + 1e-4 |analytic|), and each backend against the CPU reference
 * (loss rtol 1e-5; gradients |got - ref| <= 1e-4 |ref| + 2e-5: f32 exp/log of logits up to scale = 20).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, type Backend } from '../core/backend';
import { assertClose, backendCases, randomF32 } from '../testing/backends';
import { checkGradients } from '../testing/fd';
import { infoNceCpu } from './infonce';
import { l2NormalizeCpu } from './l2norm';

const lse = (...xs: number[]): number => Math.log(xs.reduce((a, x) => a + Math.exp(x), 0));

describe('infoNce CPU reference', () => {
  it('identity 2x2, scale 1: every term is ln(1 + e^-1), symmetric or not', () => {
    const I = Float32Array.of(1, 0, 0, 1);
    const pos = Uint32Array.of(0, 1);
    const want = Math.log(1 + Math.exp(-1));
    const dims = { Bq: 2, Nd: 2, D: 2 };
    expect(infoNceCpu(I, I, pos, dims, { scale: 1, symmetric: false }).loss).toBeCloseTo(want, 12);
    expect(infoNceCpu(I, I, pos, dims, { scale: 1, symmetric: true }).loss).toBeCloseTo(want, 12);
  });

  it('hand-worked 2x2, scale 2: logits [[2,0],[1.2,1.6]]', () => {
    const q = Float32Array.of(1, 0, 0.6, 0.8);
    const docs = Float32Array.of(1, 0, 0, 1);
    const pos = Uint32Array.of(0, 1);
    const dims = { Bq: 2, Nd: 2, D: 2 };
    const [a, b, c, d] = [2, 0, Math.fround(0.6) * 2, Math.fround(0.8) * 2];
    const rows = (lse(a, b) - a + (lse(c, d) - d)) / 2;
    const cols = (lse(a, c) - a + (lse(b, d) - d)) / 2;
    expect(infoNceCpu(q, docs, pos, dims, { scale: 2, symmetric: false }).loss).toBeCloseTo(rows, 12);
    expect(infoNceCpu(q, docs, pos, dims, { scale: 2, symmetric: true }).loss).toBeCloseTo(
      (rows + cols) / 2,
      12,
    );
    // dL/dq_0 = scale/2 * (softmax([2,0]) - [1,0]) · docs
    const p0 = Math.exp(a - lse(a, b));
    const g = infoNceCpu(q, docs, pos, dims, { scale: 2, symmetric: false });
    assertClose(g.dq.subarray(0, 2), [(2 / 2) * (p0 - 1), (2 / 2) * (1 - p0)], 1e-6, 1e-7, 'dq0');
  });

  it.each([false, true])(
    'finite differences, symmetric %s, hard negatives and a shared positive',
    (symmetric) => {
      const [Bq, Nd, D] = [3, 5, 4];
      const q = l2NormalizeCpu(randomF32(Bq * D, 31), Bq, D);
      const docs = l2NormalizeCpu(randomF32(Nd * D, 32), Nd, D);
      const pos = Uint32Array.of(0, 2, 2);
      const opts = { scale: 5, symmetric };
      const ref = infoNceCpu(q, docs, pos, { Bq, Nd, D }, opts);
      const worst = checkGradients(
        'infoNce',
        ([a, b]) => [infoNceCpu(a, b, pos, { Bq, Nd, D }, opts).loss],
        [q, docs],
        [1],
        [ref.dq, ref.ddocs],
        { h: 1e-3, rtol: 1e-4, atol: 1e-4 },
      );
      expect(worst).toBeLessThan(1e-4);
      expect(Math.max(...Array.from(ref.dq, Math.abs))).toBeGreaterThan(1e-2);
    },
  );
});

describe.each(backendCases())('infoNce on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it.each([
    [4, 8, 16, false],
    [4, 8, 16, true],
    [5, 5, 33, true],
    [1, 3, 7, false],
  ])('Bq %d, Nd %d, D %d, symmetric %s (scale 20)', async (Bq, Nd, D, symmetric) => {
    const q = l2NormalizeCpu(randomF32(Bq * D, Bq * 7 + 1), Bq, D);
    const docs = l2NormalizeCpu(randomF32(Nd * D, Nd * 5 + 2), Nd, D);
    const pos = Uint32Array.from({ length: Bq }, (_, i) => (i * 2) % Nd);
    const opts = { scale: 20, symmetric };
    const ref = infoNceCpu(q, docs, pos, { Bq, Nd, D }, opts);
    const out = await be.infoNce(be.tensor(q, [Bq, D]), be.tensor(docs, [Nd, D]), pos, opts);
    expect(Math.abs(out.loss - ref.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(ref.loss) + 1e-6);
    expect(out.dq.shape).toEqual([Bq, D]);
    expect(out.ddocs.shape).toEqual([Nd, D]);
    assertClose(await be.readF32(out.dq), ref.dq, 1e-4, 2e-5, 'dq');
    assertClose(await be.readF32(out.ddocs), ref.ddocs, 1e-4, 2e-5, 'ddocs');
  });

  it('rejects a positive index outside docs', async () => {
    const t = be.tensor(new Float32Array(4), [2, 2]);
    await expect(be.infoNce(t, t, Uint32Array.of(0, 2), { scale: 1, symmetric: false })).rejects.toThrow(
      ShapeError,
    );
  });
});
