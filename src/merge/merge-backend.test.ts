import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { backendCases } from '../testing/backends';
import { Rng } from '../util/rng';
import { mergeTensorOnBackend } from './merge-backend';
import { mergeTensor } from './registry';
import type { NamedTensor } from './types';

// Tolerance 2e-6 absolute: the masks are the same (drawn on the host); the mixing sums in f32 on the GPU.

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

  it('names the tensor on a mismatch', async () => {
    const bad = { ...experts[0], name: 'enc.1.w' };
    await expect(mergeTensorOnBackend(be, 'ties', base, [bad], [{ weight: 1 }])).rejects.toThrow(
      /"enc\.1\.w".*"enc\.0\.w"/,
    );
  });
});
