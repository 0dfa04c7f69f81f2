import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { backendCases } from '../testing/backends';
import { Rng } from '../util/rng';
import { mergeTensorOnBackend } from './merge-backend';
import { mergeTensor } from './registry';
import type { NamedTensor } from './types';

// Tolerance 2e-6 absolute: the masks are identical (the same selections and hashes on both sides); the
// mixing and the L1 rescale sum in f32 on the GPU, in f64 in the CPU merge.

describe.each(backendCases())('merge methods on the $name backend agree with the CPU merge', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  const r = new Rng(9);
  const shape = [6, 17];
  const mk = (): NamedTensor => ({
    name: 'enc.0.w',
    shape,
    data: Float32Array.from({ length: 102 }, () => r.normal()),
  });
  const base = mk();
  const experts = [mk(), mk(), mk()];
  const models = [
    { weight: 0.6, density: 0.5 },
    { weight: 0.3, density: 0.4 },
    { weight: -0.2, density: 0.6 },
  ];

  it.each([
    'task_arithmetic',
    'ties',
    'dare_linear',
    'dare_ties',
    'breadcrumbs',
    'breadcrumbs_ties',
    'della',
    'della_linear',
    'linear',
    'model_stock',
  ])('%s', async (method) => {
    const opts = { seed: 3, lambda: 0.9 };
    const want = mergeTensor(method, base, experts, models, opts).data;
    const got = await mergeTensorOnBackend(be, method, base, experts, models, opts);
    expect(got.shape).toEqual(shape);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got.data[i] - want[i])).toBeLessThan(2e-6);
  });

  // Hand-worked, n = 6 < 100: all-equal |δ| with alternating signs (ties broken by index), a zero task
  // vector, a zero weight. δ1 = [2,-2,2,-2,2,-2], δ2 = 0, δ3 = [1,1,-1,-1,0,0], weights [1, 0.5, 0].
  const ones = { name: 'b', shape: [6], data: new Float32Array(6).fill(1) };
  const plus = (d: number[]): NamedTensor => ({
    name: 'b',
    shape: [6],
    data: Float32Array.from(d, (v) => 1 + v),
  });
  const hand = [plus([2, -2, 2, -2, 2, -2]), plus([0, 0, 0, 0, 0, 0]), plus([1, 1, -1, -1, 0, 0])];
  const handModels = [1, 0.5, 0].map((weight) => ({ weight, density: 0.5, gamma: 0.2 }));
  it.each([
    // top 3 of |δ1| by lower index: [2,-2,2,0,0,0]; δ3 → [1,1,-1,0,0,0] but w = 0 agrees with nothing
    ['ties', [3, -1, 3, 1, 1, 1]],
    // ascending ranks [n_bot = 2, n − n_top = 5): δ1 keeps indices 2,3,4; no normalize
    ['breadcrumbs', [1, 1, 3, -1, 3, 1]],
    ['breadcrumbs_ties', [1, 1, 3, -1, 3, 1]],
    ['task_arithmetic', [3, -1, 3, -1, 3, -1]],
  ])('hand-worked %s (sign ties, zero weight, zero deltas, tied magnitudes)', async (method, want) => {
    const got = await mergeTensorOnBackend(be, method as string, ones, hand, handModels);
    expect([...got.data]).toEqual(want);
    expect([...mergeTensor(method as string, ones, hand, handModels).data]).toEqual(want);
  });

  it.each([
    ['ties', [512, 512]],
    ['dare_ties', [512, 512]],
    ['della_linear', [512, 512]],
    ['breadcrumbs_ties', [1_000_000]],
    ['dare_linear', [1_000_000]],
  ])('%s on a large tensor %j agrees with the CPU merge', async (method, shape) => {
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    const big = (seed: number): NamedTensor => ({
      name: 'big',
      shape: shape as number[],
      data: new Rng(seed).normals(n, 1),
    });
    const b = big(1);
    const ex = [big(2), big(3), big(4)];
    const want = mergeTensor(method as string, b, ex, models, { seed: 5 }).data;
    const got = (await mergeTensorOnBackend(be, method as string, b, ex, models, { seed: 5 })).data;
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
    expect(worst).toBeLessThan(2e-6);
  });

  it('names the tensor on a mismatch', async () => {
    const bad = { ...experts[0], name: 'enc.1.w' };
    await expect(mergeTensorOnBackend(be, 'ties', base, [bad], [{ weight: 1 }])).rejects.toThrow(
      /"enc\.1\.w".*"enc\.0\.w"/,
    );
  });
});
