/**
 * The three linear programs are one tiling (shaders/linear.wgsl) behind a weight-format prelude
 * (shaders/lib/linear_weights_*.wgsl). Their assembled sources: one tiling body each, `enable f16;` as the
 * f16 module's first statement, and the f32 and packed modules compile on the device without errors
 * (the f16 one needs `shader-f16`, which SwiftShader lacks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadShader } from '../gpu/shader-source';
import type { WebGPUBackend } from '../gpu/webgpu';
import { makeWebGPU, SKIP_WEBGPU } from '../testing/backends';
import { linearF16Shader, linearF16wShader, linearShader } from './linear';

const VARIANTS = [linearShader, linearF16wShader, linearF16Shader];

function count(src: string, re: RegExp): number {
  return src.match(new RegExp(re.source, 'gm'))?.length ?? 0;
}

describe('assembled linear programs', () => {
  it.each(VARIANTS.map((s) => [s.key, s] as const))(
    '%s holds one tiling body, one weight format',
    async (_key, ref) => {
      const src = await loadShader(ref);
      expect(count(src, /@compute @workgroup_size\(WG, WGY\)/)).toBe(1);
      expect(count(src, /^fn main\(/)).toBe(1);
      expect(count(src, /^var<workgroup> tileX:/)).toBe(1);
      expect(count(src, /^var<workgroup> tileW:/)).toBe(1);
      expect(count(src, /^@group\(0\) @binding\(1\) var<storage, read> W: /)).toBe(1);
      expect(count(src, /^alias WTile = /)).toBe(1);
      expect(count(src, /^fn weight\(i: u32\) -> WTile/)).toBe(1);
    },
  );

  it('opens the f16 module with its one `enable f16;` and keeps the others free of it', async () => {
    const f16 = await loadShader(linearF16Shader);
    const statements = f16.split('\n').filter((l) => !/^\s*(\/\/.*)?$/.test(l));
    expect(statements[0]).toBe('enable f16;');
    expect(count(f16, /^\s*enable /)).toBe(1);
    for (const ref of [linearShader, linearF16wShader])
      expect(count(await loadShader(ref), /^\s*enable /)).toBe(0);
  });
});

describe.skipIf(SKIP_WEBGPU)('linear programs compile on the device', () => {
  let be: WebGPUBackend;
  beforeAll(async () => {
    be = await makeWebGPU();
  });
  afterAll(() => be?.destroy());

  it.each([linearShader, linearF16wShader].map((s) => [s.key, s] as const))(
    '%s compiles without errors',
    async (key, ref) => {
      const module = be.device.createShaderModule({ label: key, code: await loadShader(ref) });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}: ${m.message}`);
      expect(errors).toEqual([]);
    },
  );
});
