/**
 * Which linear program f16 weights get, and the `enable f16;` variant. No adapter here offers
 * `shader-f16`, so that variant is checked by (a) selection logic, (b) its WGSL text, (c) running its
 * tiling logic on SwiftShader with f16 types spelled f32, and (d) a device that claims the feature and
 * is refused the shader: proof the backend routes f16 weights to it. Its f16 types are untested on hardware.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuExecutionError } from '../core/backend';
import { getGPU, requestDevice, wantedFeatures } from '../gpu/acquire';
import type { KernelLimits } from '../core/program';
import { GpuRuntime, type RuntimeLimits } from '../gpu/runtime';
import { loadShader } from '../gpu/shader-source';
import { assertClose, makeWebGPU, randomF32, SKIP_WEBGPU } from '../testing/backends';
import { createWebGPUBackend, type WebGPUBackend } from '../gpu/webgpu';
import { roundF16Array } from './f16';
import {
  linearCpu,
  linearF16Shader,
  linearF16wShader,
  linearProgram,
  linearShader,
  linearShaderFor,
} from './linear';

const BASE: KernelLimits = { maxInvocationsPerWorkgroup: 256, maxWorkgroupStorageBytes: 32768 };

/** The f16 variant with its f16 types spelled f32, so a device without `shader-f16` can run its logic. */
function asF32(src: string): string {
  return src
    .replace(/^enable f16;$/m, '')
    .replace(/\bf16\b/g, 'f32')
    .replace(/(\d)h\b/g, '$1');
}

describe('linear f16 program selection', () => {
  it('picks linear for f32 weights, linear_f16w without shader-f16, linear_f16 with it', () => {
    expect(linearShaderFor('f32', BASE)).toBe(linearShader);
    expect(linearShaderFor('f32', { ...BASE, shaderF16: true })).toBe(linearShader);
    expect(linearShaderFor('f16', BASE)).toBe(linearF16wShader);
    expect(linearShaderFor('f16', { ...BASE, shaderF16: false })).toBe(linearF16wShader);
    expect(linearShaderFor('f16', { ...BASE, shaderF16: true })).toBe(linearF16Shader);
    const dims = { M: 3, K: 5, N: 7 };
    expect(linearProgram(dims, 'nk', true, BASE).shader.key).toBe('linear');
    expect(linearProgram(dims, 'nk', true, BASE, 'f16').shader.key).toBe('linear_f16w');
    expect(linearProgram(dims, 'kn', false, { ...BASE, shaderF16: true }, 'f16').shader.key).toBe(
      'linear_f16',
    );
  });

  it('requests shader-f16 exactly when the adapter offers it', async () => {
    expect(wantedFeatures(new Set(['shader-f16', 'timestamp-query']))).toEqual(['shader-f16']);
    expect(wantedFeatures(new Set(['timestamp-query']))).toEqual([]);
    for (const offered of [['shader-f16'], []]) {
      let asked: GPUDeviceDescriptor | undefined;
      const adapter = {
        limits: { maxStorageBufferBindingSize: 1, maxBufferSize: 1 },
        features: new Set(offered),
        info: undefined,
        requestDevice: (d: GPUDeviceDescriptor) => {
          asked = d;
          return Promise.resolve({} as GPUDevice);
        },
      };
      const gpu = { requestAdapter: () => Promise.resolve(adapter) } as unknown as GPU;
      await requestDevice(gpu);
      expect(asked?.requiredFeatures).toEqual(offered);
    }
  });

  it('ships WGSL for both variants: linear_f16 enables f16 and reads array<f16>; linear_f16w needs no extension', async () => {
    const f16 = await loadShader(linearF16Shader);
    const code = f16.split('\n').filter((l) => !l.startsWith('//') && l.trim() !== '');
    expect(code[0]).toBe('enable f16;');
    expect(f16).toMatch(/var<storage, read> W: array<f16>;/);
    expect(f16).toMatch(/var<workgroup> tileW: array<f16, BK \* BN>;/);
    const packed = await loadShader(linearF16wShader);
    expect(packed).not.toMatch(/^\s*enable /m);
    expect(packed).toMatch(/unpack2x16float\(W\[i >> 1u\]\)/);
  });
});

describe.skipIf(SKIP_WEBGPU)('linear f16 variants on the device', () => {
  let be: WebGPUBackend;
  beforeAll(async () => {
    be = await makeWebGPU();
  });
  afterAll(() => be?.destroy());

  it('reports shader-f16 as the device has it', () => {
    expect(be.features.shaderF16).toBe(be.device.features.has('shader-f16'));
  });

  it("runs linear_f16's tiling (types spelled f32) and matches linearCpu on f16-rounded weights", async () => {
    const src = asF32(await loadShader(linearF16Shader));
    expect(src).not.toMatch(/\bf16\b|enable/);
    const dl = be.device.limits;
    const limits: RuntimeLimits = {
      maxTensorElements: be.maxTensorElements,
      maxWorkgroupsPerDimension: dl.maxComputeWorkgroupsPerDimension,
      maxInvocationsPerWorkgroup: Math.min(dl.maxComputeInvocationsPerWorkgroup, dl.maxComputeWorkgroupSizeX),
      maxWorkgroupStorageBytes: dl.maxComputeWorkgroupStorageSize,
      shaderF16: true,
    };
    const rt = new GpuRuntime(be.device, limits, new Map([['linear_f16', src]]));
    const [M, K, N] = [70, 37, 67];
    const x = randomF32(M * K, 11);
    const w = roundF16Array(randomF32(K * N, 12, -4, 4));
    const bias = randomF32(N, 13);
    for (const layout of ['kn', 'nk'] as const) {
      const wData =
        layout === 'kn'
          ? w
          : Float32Array.from({ length: K * N }, (_, i) => w[(i % K) * N + Math.floor(i / K)]);
      const spec = linearProgram({ M, K, N }, layout, true, limits, 'f16');
      expect(spec.shader.key).toBe('linear_f16');
      const ins = [rt.upload(x, [M, K]), rt.upload(wData, [K, N]), rt.upload(bias, [N])];
      const out = rt.alloc('linear', [M, N], 'f32');
      rt.scoped('linear_f16', () => rt.dispatch(spec, [...ins.map((t) => t.buffer), out.buffer]));
      const got = new Float32Array(await rt.readBytes(out.buffer, M * N * 4));
      assertClose(got, linearCpu(x, w, bias, { M, K, N }, 'kn'), 1e-5, 1e-5, `linear_f16 as f32, ${layout}`);
      for (const t of [...ins, out]) rt.release(t);
    }
    rt.destroy();
  });

  it('routes f16 weights to linear_f16 on a device claiming shader-f16, and not with shaderF16: false', async () => {
    const gpu = await getGPU();
    for (const optIn of [true, false]) {
      const { device } = await requestDevice(gpu);
      const claimed = new Set([...device.features, 'shader-f16']);
      const liar = new Proxy(device, {
        get(t, p) {
          if (p === 'features') return claimed;
          const v: unknown = Reflect.get(t, p, t);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
      const b = await createWebGPUBackend({ device: liar, shaderF16: optIn });
      try {
        expect(b.features.shaderF16).toBe(optIn);
        const x = Float32Array.of(1, 2, 3, 4);
        const y = b.linear(
          b.tensor(x, [2, 2]),
          b.tensorF16(Float32Array.of(1, 0.1, -1, 2), [2, 2]),
          null,
          'kn',
        );
        if (optIn && !device.features.has('shader-f16')) {
          // the real device lacks the feature, so Dawn refuses `enable f16;`: the f16 kernel was chosen
          const err: unknown = await b.readF32(y).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(GpuExecutionError);
          expect(String(err)).toMatch(/linear_f16/); // Dawn names the shader module it refused
        } else {
          const want = linearCpu(
            x,
            roundF16Array(Float32Array.of(1, 0.1, -1, 2)),
            null,
            { M: 2, K: 2, N: 2 },
            'kn',
          );
          assertClose(await b.readF32(y), want, 1e-6, 1e-6, 'packed path');
        }
      } finally {
        b.destroy();
      }
    }
  });
});
