import { describe, expect, it } from 'vitest';
import { linearCpu } from '../../kernels/linear';
import { compileWat, wasmModuleSource } from '../../../scripts/build-wasm';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WasmGemm } from './gemm';
import { attentionGemm } from './attention';
import { attentionCpu, type AttentionDims } from '../../kernels/attention';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

describe('WebAssembly SIMD gemm (CPU backend linear)', () => {
  it('the committed module is the compiled gemm.wat', async () => {
    const committed = readFileSync(fileURLToPath(new URL('./gemm-wasm.ts', import.meta.url)), 'utf8');
    expect(committed).toBe(
      wasmModuleSource('gemm', await compileWat('gemm', true), await compileWat('gemm', false)),
    );
  });

  const gemm = WasmGemm.create();
  it('is available in this runtime', () => expect(gemm).not.toBeNull());

  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 16, 8],
    [33, 70, 19],
    [130, 64, 96],
    [1100, 24, 13], // more rows than one chunk
  ];
  for (const layout of ['kn', 'nk'] as const) {
    for (const [M, K, N] of shapes) {
      for (const withBias of [false, true]) {
        it(`matches the reference: ${layout} M=${M} K=${K} N=${N}${withBias ? ' + bias' : ''} (1e-5)`, () => {
          const x = rand(M * K, M * 7 + K);
          const w = rand(K * N, N * 13 + K);
          const bias = withBias ? rand(N, 99) : null;
          const got = gemm!.linear(x, w, bias, M, K, N, layout);
          const want = linearCpu(x, w, bias, { M, K, N }, layout);
          for (let i = 0; i < want.length; i++)
            expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(want[i]));
        });
      }
    }
  }

  it('recomputes the prepared weight when the same array is used with another layout', () => {
    const x = rand(8 * 8, 1);
    const w = rand(8 * 8, 2);
    const kn = gemm!.linear(x, w, null, 8, 8, 8, 'kn');
    const nk = gemm!.linear(x, w, null, 8, 8, 8, 'nk');
    const want = linearCpu(x, w, null, { M: 8, K: 8, N: 8 }, 'nk');
    for (let i = 0; i < want.length; i++) expect(Math.abs(nk[i] - want[i])).toBeLessThanOrEqual(1e-5);
    expect(kn).not.toEqual(nk);
  });
});

describe('attention on the WebAssembly gemm', () => {
  const gemm = WasmGemm.create()!;
  const cases: [string, AttentionDims, boolean, (b: number, t: number, T: number) => number][] = [
    [
      'bidirectional, right padding',
      { B: 3, T: 9, Hq: 4, Hkv: 4, Dh: 8 },
      false,
      (b, t, T) => (t < T - b * 3 ? 1 : 0),
    ],
    [
      'causal + padding, GQA 4:1',
      { B: 2, T: 13, Hq: 8, Hkv: 2, Dh: 16 },
      true,
      (b, t, T) => (t < T - 5 * b ? 1 : 0),
    ],
    [
      'an all-padding row and a hole',
      { B: 2, T: 6, Hq: 2, Hkv: 1, Dh: 5 },
      false,
      (b, t) => (b === 0 ? 0 : t === 2 ? 0 : 1),
    ],
  ];
  for (const [name, d, causal, m] of cases) {
    it(`matches attentionCpu: ${name} (1e-5)`, () => {
      const q = rand(d.B * d.T * d.Hq * d.Dh, 5);
      const k = rand(d.B * d.T * d.Hkv * d.Dh, 6);
      const v = rand(d.B * d.T * d.Hkv * d.Dh, 7);
      const mask = new Float32Array(d.B * d.T);
      for (let b = 0; b < d.B; b++) for (let t = 0; t < d.T; t++) mask[b * d.T + t] = m(b, t, d.T);
      const opts = { causal, scale: 1 / Math.sqrt(d.Dh) };
      const got = attentionGemm(gemm, q, k, v, mask, d, opts);
      const want = attentionCpu(q, k, v, mask, d, opts);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5);
    });
  }

  it('matches attentionCpu with keys past the queries (a KV cache: Tk > T), causal, GQA, a padded key (1e-5)', () => {
    const d: AttentionDims = { B: 2, T: 3, Tk: 11, Hq: 4, Hkv: 2, Dh: 12 };
    const q = rand(d.B * d.T * d.Hq * d.Dh, 8);
    const k = rand(d.B * d.Tk! * d.Hkv * d.Dh, 9);
    const v = rand(d.B * d.Tk! * d.Hkv * d.Dh, 10);
    const mask = new Float32Array(d.B * d.Tk!).fill(1);
    mask[d.Tk! + 4] = 0;
    const opts = { causal: true, scale: 0.3 };
    const got = attentionGemm(gemm!, q, k, v, mask, d, opts);
    const want = attentionCpu(q, k, v, mask, d, opts);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5);
  });
});
