import { describe, expect, it } from 'vitest';
import { activationCpu, activationRef } from '../../kernels/activation';
import { addCpu } from '../../kernels/elementwise';
import { gatherCpu } from '../../kernels/gather';
import { layerNormCpu } from '../../kernels/layernorm';
import { createCpuBackend } from '../cpu';
import { GEMM_WASM_BASE64 } from './gemm-wasm';
import { blocks, WasmGemm } from './gemm';
import { BufferPool } from './pool';
import { geluWasm } from './rows';
import type { KernelExports } from './thread-kernels';

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

/** gemm.wat on its own (unshared memory, one thread): the row kernels called directly */
function kernels(): { k: KernelExports & { exp4(src: number, dst: number): void }; f32: () => Float32Array } {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536 });
  const bytes = Uint8Array.from(atob(GEMM_WASM_BASE64), (c) => c.charCodeAt(0));
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return { k: inst.exports as never, f32: () => new Float32Array(memory.buffer) };
}

describe("gemm.wat's row kernels (f32 SIMD)", () => {
  const { k, f32 } = kernels();

  it('exp is within 2 ulp of Math.exp on [-87, 88]', () => {
    const h = f32();
    let worst = 0;
    for (let x = -87; x <= 88; x += 0.0137) {
      h.set([x, -x / 3, x / 7, 0], 0);
      k.exp4(0, 16);
      for (let l = 0; l < 4; l++) {
        const want = Math.exp(Math.fround(h[l]));
        worst = Math.max(worst, Math.abs(h[4 + l] - want) / want);
      }
    }
    expect(worst).toBeLessThan(2.4e-7);
  });

  it('gelu is within 3e-7·max(1, |v|) of the f64 reference, and follows it at ±inf and NaN', () => {
    const n = 40_003; // not a multiple of 4
    const v = rand(n, 7, 12);
    v.set([0, -0, 1e-30, -1e-30, 40, -40, Infinity, -Infinity, NaN], 0);
    const h = f32();
    h.set(v, 64);
    k.gelu(256, n);
    for (let i = 0; i < n; i++) {
      const want = activationRef(v[i], 'gelu');
      if (!Number.isFinite(want)) expect(h[64 + i]).toBe(Math.fround(want));
      else expect(Math.abs(h[64 + i] - want)).toBeLessThanOrEqual(3e-7 * Math.max(1, Math.abs(v[i])));
    }
  });

  it('softmax_row: masked keys and keys outside [lo, hi) get 0, the rest the f64 softmax within 1e-6', () => {
    const Tk8 = 24;
    const s = rand(Tk8, 3, 8);
    const mask = new Float32Array(Tk8 + 8).map((_, j) => (j % 5 === 2 ? 0 : 1));
    for (const [lo, hi] of [
      [0, 21],
      [3, 17],
      [5, 6],
      [2, 2], // no key: all 0
    ]) {
      const h = f32();
      h.set(s, 0);
      h.set(mask, 64);
      k.softmax_row(0, 256, lo, hi, 0.37);
      const vis = (j: number) => j >= lo && j < hi && mask[j] !== 0;
      const e = Array.from(s, (x, j) => (vis(j) ? Math.exp(x * 0.37) : 0));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = lo & ~3; j < Math.ceil(hi / 4) * 4; j++)
        expect(Math.abs(h[j] - (sum ? e[j] / sum : 0))).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe('the CPU backend on the module (gelu, layer norm, recycled outputs, thread split)', () => {
  it('activation gelu on the engine threads matches the reference within 3e-7·max(1, |v|)', () => {
    const gemm = WasmGemm.create({ threads: 2 })!;
    const x = rand(300_001, 11, 6); // several chunks of 2^15
    const got = geluWasm(gemm, x);
    const want = activationCpu(x, 'gelu');
    for (let i = 0; i < x.length; i++)
      expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(3e-7 * Math.max(1, Math.abs(x[i])));
    gemm.release();
  });

  it('add gives the reference bit for bit and layerNorm within 1.2e-7·max(1, |y|), also into recycled arrays', async () => {
    const be = createCpuBackend({ threads: 2 });
    for (const [R, D, withBeta] of [
      [300, 384, true], // > 2^16 floats: pooled; several chunks of rows
      [7, 12, false],
      [5, 30, true], // dim not a multiple of 4: the JS loop
    ] as const) {
      const [a, b, g, beta] = [rand(R * D, 1, 3), rand(R * D, 2), rand(D, 3), rand(D, 4)];
      for (let round = 0; round < 2; round++) {
        const ta = be.tensor(a, [R, D]);
        const tb = be.tensor(b, [R, D]);
        const tg = be.tensor(g, [D]);
        const tbeta = be.tensor(beta, [D]);
        const sum = be.add(ta, tb);
        expect(await be.readF32(sum)).toEqual(addCpu(a, b));
        const ln = be.layerNorm(sum, tg, withBeta ? tbeta : null, 1e-12);
        const got = await be.readF32(ln);
        const want = layerNormCpu(addCpu(a, b), g, withBeta ? beta : null, 1e-12, { rows: R, dim: D });
        for (let i = 0; i < want.length; i++)
          expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1.2e-7 * Math.max(1, Math.abs(want[i])));
        be.dispose(ta, tb, tg, tbeta, sum, ln); // the second round takes these arrays back
      }
    }
    be.destroy();
  });

  it('gather into recycled arrays gives the reference bit for bit and still names a bad id', async () => {
    const be = createCpuBackend({ threads: 1 });
    const [V, D, N] = [50, 384, 400];
    const tableData = rand(V * D, 9);
    const idData = Uint32Array.from({ length: N }, (_, i) => (i * 7) % V);
    const table = be.tensor(tableData, [V, D]);
    for (let round = 0; round < 2; round++) {
      const ids = be.tensor(idData, [N]);
      const rows = be.gather(table, ids);
      expect(await be.readF32(rows)).toEqual(gatherCpu(tableData, idData, V, D));
      be.dispose(ids, rows);
    }
    const bad = be.tensor(Uint32Array.from([1, V]), [2]);
    expect(() => be.gather(table, bad)).toThrow(/id 50 at position 1/);
    be.destroy();
  });

  it('the pool hands back only arrays it made, once each, and never one still in use', () => {
    const pool = new BufferPool();
    const a = pool.take(1 << 16);
    const outside = new Float32Array(1 << 16);
    pool.give(outside);
    pool.give(a);
    pool.give(a); // twice: kept once
    expect(pool.bytes).toBe(a.byteLength);
    expect(pool.take(1 << 16)).toBe(a);
    expect(pool.take(1 << 16)).not.toBe(a);
    expect(pool.take(1 << 16)).not.toBe(outside);
  });

  it('small arrays come from power-of-two classes as views, and the class array comes back under any length', () => {
    const pool = new BufferPool();
    const a = pool.take(1000); // class 1024
    expect(a).toHaveLength(1000);
    expect(a.buffer.byteLength).toBe(1024 * 4);
    a.fill(7);
    pool.give(a);
    pool.give(a); // twice: kept once
    expect(pool.bytes).toBe(1024 * 4);
    const b = pool.take(600); // same class: the same memory, a view of the new length
    expect(b).toHaveLength(600);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.bytes).toBe(0);
    const c = pool.take(600); // the class array is in use: a fresh one
    expect(c.buffer).not.toBe(a.buffer);
    pool.give(new Float32Array(512)); // not the pool's: ignored
    expect(pool.bytes).toBe(0);
    expect(pool.take(3)).toHaveLength(3);
    expect(pool.take(0)).toHaveLength(0);
  });

  it('a disposed linear output is reused without changing the next results; a reshaped view is given back once', async () => {
    const be = createCpuBackend({ threads: 2 });
    const [M, K, N] = [256, 64, 512];
    const w = be.tensor(rand(K * N, 5), [K, N]);
    const x1 = be.tensor(rand(M * K, 6), [M, K]);
    const x2 = be.tensor(rand(M * K, 7), [M, K]);
    const first = await be.readF32(be.linear(x2, w, null, 'kn'));
    const y1 = be.linear(x1, w, null, 'kn');
    const view = be.reshape(y1, [M * N]);
    be.dispose(view, y1); // one array: recycled once
    const a = be.linear(x2, w, null, 'kn');
    const b = be.linear(x1, w, null, 'kn');
    expect(await be.readF32(a)).toEqual(first);
    expect(await be.readF32(b)).not.toEqual(first);
    be.destroy();
  });

  it('a short product is split by columns so every thread has two chunks', () => {
    expect(blocks(12, 384, 1536, 2)).toEqual([12, 384]); // 1 x 4 chunks
    expect(blocks(12, 384, 384, 2)).toEqual([12, 96]);
    expect(blocks(2048, 384, 1536, 2)).toEqual([128, 80]); // large: rows of 128, ~4M multiply-adds
    expect(blocks(12, 384, 384, 1)).toEqual([12, 384]);
  });
});
