import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Metric, TopK } from '../core/backend';
import { backendCases, randomF32, randomInts } from '../testing/backends';
import { planSearch, searchTopK } from './search';
import { scoresCpu } from './scores';
import { PAD_INDEX, topKCpu } from './topk';

// Tolerance: exact. Integer-valued vectors make every dot product exact in f32, so the chunked search
// must equal the CPU brute force bit for bit (including tie order); cosine compares against the same
// backend's unchunked scores + topK, whose per-pair arithmetic is identical.
function same(got: TopK, want: TopK): void {
  expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
  expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
}

async function bruteOn(
  be: Backend,
  q: Float32Array,
  d: Float32Array,
  dim: number,
  k: number,
  metric: Metric,
): Promise<TopK> {
  const s = be.scores(be.tensor(q, [q.length / dim, dim]), be.tensor(d, [d.length / dim, dim]), metric);
  return be.topK(s, k);
}

describe.each(backendCases())('searchTopK on $name', ({ make }) => {
  let be: Backend;
  beforeAll(async () => {
    be = await make();
  });
  afterAll(() => be?.destroy());

  it('dot over 6 chunks equals brute force, ties included', async () => {
    const dim = 8;
    const Q = 5;
    const N = 257;
    const q = randomInts(Q * dim, 1);
    const d = randomInts(N * dim, 2, -1, 1);
    const chunks: number[] = [];
    const got = await searchTopK(be, q, d, dim, 10, {
      metric: 'dot',
      chunkRows: 50,
      onProgress: (done) => chunks.push(done),
    });
    expect(chunks).toEqual([50, 100, 150, 200, 250, 257]);
    same(got, topKCpu(scoresCpu(q, d, { Q, N, D: dim }, 'dot'), Q, N, 10));
  });

  it('cosine over chunks equals the unchunked result on the same backend', async () => {
    const dim = 16;
    const q = randomF32(3 * dim, 3);
    const d = randomF32(100 * dim, 4);
    same(await searchTopK(be, q, d, dim, 7, { chunkRows: 13 }), await bruteOn(be, q, d, dim, 7, 'cosine'));
  });

  it('k larger than N and than a chunk pads with (-Infinity, 0xffffffff)', async () => {
    const dim = 4;
    const q = randomInts(2 * dim, 5);
    const d = randomInts(6 * dim, 6);
    const got = await searchTopK(be, q, d, dim, 10, { metric: 'dot', chunkRows: 4 });
    same(got, topKCpu(scoresCpu(q, d, { Q: 2, N: 6, D: dim }, 'dot'), 2, 6, 10));
    expect(got.indices[9]).toBe(PAD_INDEX);
    expect(got.scores[9]).toBe(-Infinity);
  });

  it('an empty corpus gives all padding', async () => {
    const got = await searchTopK(be, new Float32Array(8), new Float32Array(0), 4, 3);
    expect(Array.from(got.indices)).toEqual(new Array(6).fill(PAD_INDEX));
  });

  it('honours an AbortSignal between chunks', async () => {
    const ac = new AbortController();
    const p = searchTopK(be, randomF32(8, 7), randomF32(80, 8), 4, 3, {
      chunkRows: 5,
      signal: ac.signal,
      onProgress: () => ac.abort(),
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    const pre = new AbortController();
    pre.abort();
    await expect(
      searchTopK(be, randomF32(4, 1), randomF32(4, 2), 4, 1, { signal: pre.signal }),
    ).rejects.toBeInstanceOf(DOMException);
  });

  it('validates shapes and k', async () => {
    await expect(searchTopK(be, new Float32Array(5), new Float32Array(8), 4, 1)).rejects.toThrow(
      /queries length 5/,
    );
    await expect(searchTopK(be, new Float32Array(4), new Float32Array(6), 4, 1)).rejects.toThrow(
      /corpus length 6/,
    );
    await expect(searchTopK(be, new Float32Array(4), new Float32Array(4), 4, 0)).rejects.toThrow(RangeError);
  });
});

describe('planSearch', () => {
  const fake = (max: number) => ({ maxTensorElements: max }) as Backend;
  it('keeps the chunk, the queries and the score matrix within the tensor limit', () => {
    const p = planSearch(fake(1000), 30, 500, 10);
    expect(p.queryRows * 10).toBeLessThanOrEqual(1000);
    expect(p.chunkRows * 10).toBeLessThanOrEqual(1000);
    expect(p.chunkRows * p.queryRows).toBeLessThanOrEqual(1000);
    expect(planSearch(fake(1000), 500, 500, 10).queryRows).toBe(100);
    expect(planSearch(fake(1 << 30), 2, 10, 4, 3).chunkRows).toBe(3);
    expect(() => planSearch(fake(8), 1, 1, 9)).toThrow(/exceeds the tensor budget/);
  });
});
