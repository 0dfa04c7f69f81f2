import { afterEach, describe, expect, it, vi } from 'vitest';
import { attentionCpu, type AttentionDims } from '../../kernels/attention';
import { linearCpu } from '../../kernels/linear';
import { createCpuBackend } from '../cpu';
import { attentionGemm } from './attention';
import { SMALL_JOB, WasmGemm } from './gemm';
import { acquireEngine, releaseEngine, wantedThreads, type GemmEngine } from './threads';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

async function helpersUp(e: GemmEngine): Promise<void> {
  for (let i = 0; i < 200 && e.ready < e.threads - 1; i++) await new Promise((r) => setTimeout(r, 25));
  expect(e.ready).toBe(e.threads - 1);
}

describe('the gemm on helper threads (shared WebAssembly memory)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('3 threads give the 1-thread results bit for bit, and the reference within 1e-5', async () => {
    const multi = WasmGemm.create({ threads: 3 })!;
    const single = WasmGemm.create({ threads: 1 })!;
    expect(multi.threads).toEqual({ count: 3, note: null });
    await helpersUp(multi.engine);
    for (const [M, K, N, layout] of [
      [520, 96, 104, 'kn'],
      [37, 512, 64, 'nk'], // few rows: split by columns (1 x 4)
      [4100, 16, 24, 'kn'], // more rows than one job
      [132, 512, 264, 'nk'], // blocks of rows and of columns (2 x 5, partial row and column blocks)
    ] as const) {
      const x = rand(M * K, M + K);
      const w = rand(K * N, N);
      const bias = rand(N, 3);
      const got = multi.linear(x, w, bias, M, K, N, layout);
      expect(got).toEqual(single.linear(x, w, bias, M, K, N, layout));
      const want = linearCpu(x, w, bias, { M, K, N }, layout);
      for (let i = 0; i < want.length; i += 7)
        expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(want[i]));
    }
    // every chunk ran once, on some thread (how they were shared depends on the machine's load)
    const shared = multi.engine.chunksByThread();
    expect(shared.length).toBe(3);
    expect(shared.reduce((a, b) => a + b, 0)).toBe(10 + 4 + 16 + 16 + 1 + 10);
    multi.release();
    single.release();
  });

  it('attention on 3 threads: every (batch, head) matches attentionCpu within 1e-5 and 1 thread exactly (causal, softcap, window)', async () => {
    const multi = WasmGemm.create({ threads: 3 })!;
    const single = WasmGemm.create({ threads: 1 })!;
    await helpersUp(multi.engine);
    // enough work to be shared (a short one runs on the calling thread: attention.ts `solo`)
    const d: AttentionDims = { B: 3, T: 29, Hq: 6, Hkv: 2, Dh: 12 };
    expect(d.B * d.Hq * 32 * 32 * (12 + 16)).toBeGreaterThan(SMALL_JOB);
    const q = rand(d.B * d.T * d.Hq * d.Dh, 5);
    const k = rand(d.B * d.T * d.Hkv * d.Dh, 6);
    const v = rand(d.B * d.T * d.Hkv * d.Dh, 7);
    const mask = new Float32Array(d.B * d.T).map((_, i) => (i % d.T < d.T - 4 * Math.floor(i / d.T) ? 1 : 0));
    for (const opts of [
      { causal: false, scale: 0.3 },
      { causal: true, scale: 0.3 },
      { causal: true, scale: 0.3, softcap: 0.5, window: 5 },
      { causal: false, scale: 0.3, window: 3 },
    ]) {
      const got = attentionGemm(multi, q, k, v, mask, d, opts);
      expect(got).toEqual(attentionGemm(single, q, k, v, mask, d, opts));
      const want = attentionCpu(q, k, v, mask, d, opts);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5);
    }
    multi.release();
    single.release();
  });

  it('the last backend destroyed stops the helpers; a new backend starts new ones', async () => {
    const a = createCpuBackend({ threads: 2 });
    const b = createCpuBackend({ threads: 2 });
    expect(a.label).toBe('CPU (JS + WASM SIMD, 2 threads)');
    const probe = acquireEngine(2)!;
    expect(probe.helperCount).toBe(1);
    releaseEngine(probe);
    a.destroy();
    expect(probe.helperCount).toBe(1);
    b.destroy();
    expect(probe.helperCount).toBe(0);
    const c = createCpuBackend({ threads: 2 });
    const fresh = acquireEngine(2)!;
    expect(fresh).not.toBe(probe);
    await helpersUp(fresh);
    const xs = rand(96 * 96, 1);
    const x = c.tensor(xs, [96, 96]);
    const y = await c.readF32(c.matmul(x, x));
    const want = linearCpu(xs, xs, null, { M: 96, K: 96, N: 96 }, 'kn');
    for (let i = 0; i < want.length; i++) expect(Math.abs(y[i] - want[i])).toBeLessThanOrEqual(1e-5);
    releaseEngine(fresh);
    c.destroy();
    expect(fresh.helperCount).toBe(0);
  });

  it('falls back to one thread, saying why, without SharedArrayBuffer or cross-origin isolation', async () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    const be = createCpuBackend({ threads: 4 });
    expect(be.label).toBe('CPU (JS + WASM SIMD, 1 thread: page not cross-origin isolated)');
    const w = rand(24 * 40, 2);
    const x = rand(9 * 24, 3);
    const y = await be.readF32(be.linear(be.tensor(x, [9, 24]), be.tensor(w, [24, 40]), null, 'kn'));
    const want = linearCpu(x, w, null, { M: 9, K: 24, N: 40 }, 'kn');
    for (let i = 0; i < want.length; i++) expect(Math.abs(y[i] - want[i])).toBeLessThanOrEqual(1e-5);
    be.destroy();
    vi.unstubAllGlobals();
    vi.stubGlobal('crossOriginIsolated', false);
    const be2 = createCpuBackend({ threads: 3 });
    expect(be2.label).toMatch(/1 thread: page not cross-origin isolated/);
    be2.destroy();
  });

  it('asks for a whole number of threads', () => {
    expect(() => wantedThreads(0)).toThrow(/whole number from 1 to 32/);
    expect(() => wantedThreads(2.5)).toThrow(RangeError);
    vi.stubEnv('STM_CPU_THREADS', '3');
    expect(wantedThreads()).toBe(3);
    vi.stubEnv('STM_CPU_THREADS', 'many');
    expect(() => wantedThreads()).toThrow(/STM_CPU_THREADS=many/);
    vi.unstubAllEnvs();
  });
});
