import { describe, expect, it } from 'vitest';
import { sizeClass } from '../gpu/buffer-pool';
import { pipelineKey } from '../gpu/pipeline-cache';
import { ceilPow2, floorPow2, layoutDispatch, packU32 } from './program';
import { loadShaderSource, shaderSourceCacheSize } from '../gpu/shader-source';
import { ALL_SHADERS } from '../kernels/ops';

describe('dispatch layout', () => {
  it('keeps small dispatches one-dimensional and folds large ones within the limit', () => {
    expect(layoutDispatch(5, 65535)).toEqual([5, 1]);
    for (const [total, max] of [
      [70000, 65535],
      [12, 4],
      [9, 3],
      [65535 * 65535, 65535],
    ]) {
      const [x, y] = layoutDispatch(total, max);
      expect(x).toBeLessThanOrEqual(max);
      expect(y).toBeLessThanOrEqual(max);
      expect(x * y).toBeGreaterThanOrEqual(total);
      expect((x - 1) * y).toBeLessThan(total);
    }
    expect(layoutDispatch(12, 4)).toEqual([4, 3]);
    expect(() => layoutDispatch(10, 3)).toThrow(/exceeds 3 x 3/);
    expect(() => layoutDispatch(17, 4)).toThrow(/exceeds/);
    expect(() => layoutDispatch(0, 4)).toThrow(RangeError);
  });

  it('packs uniforms to 16-byte blocks and rejects non-u32 values', () => {
    expect(new Uint32Array(packU32(1, 2, 3, 4, 5))).toEqual(Uint32Array.of(1, 2, 3, 4, 5, 0, 0, 0));
    expect(() => packU32(-1)).toThrow(RangeError);
    expect([floorPow2(300), ceilPow2(300), ceilPow2(1)]).toEqual([256, 512, 1]);
  });
});

describe('buffer size classes and pipeline keys', () => {
  it('rounds up to at most 25% slack, never below the request', () => {
    for (const n of [1, 16, 17, 100, 1000, 4096, 5000, 123457]) {
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c).toBeLessThanOrEqual(Math.max(16, n * 1.25 + 16));
    }
    expect(sizeClass(990 * 4)).toBe(sizeClass(1000 * 4));
  });

  it('keys pipelines by shader, entry point and sorted override constants', () => {
    expect(pipelineKey('topk', 'merge', { WG: 64, S: 128 })).toBe(
      pipelineKey('topk', 'merge', { S: 128, WG: 64 }),
    );
    expect(pipelineKey('topk', 'merge', { S: 128 })).not.toBe(pipelineKey('topk', 'tile_sort', { S: 128 }));
    expect(pipelineKey('m', 'main', { T: 1 })).not.toBe(pipelineKey('m', 'main', { T: 0 }));
  });
});

describe('shader sources', () => {
  it('loads every WGSL program from its file: URL once', async () => {
    for (const s of ALL_SHADERS) {
      expect(s.url.protocol).toBe('file:');
      expect(await loadShaderSource(s.url)).toMatch(/@compute @workgroup_size/);
    }
    const n = shaderSourceCacheSize();
    await loadShaderSource(ALL_SHADERS[0].url);
    expect(shaderSourceCacheSize()).toBe(n);
  });

  it('names a missing shader file', async () => {
    await expect(loadShaderSource(new URL('../../shaders/nope.wgsl', import.meta.url))).rejects.toThrow(
      /cannot load shader .*nope\.wgsl/,
    );
  });

  it('declares workgroup sizes as override constants', async () => {
    for (const s of ALL_SHADERS) {
      const src = await loadShaderSource(s.url);
      const size = /@workgroup_size\(([^)]*)\)/.exec(src)?.[1] ?? '';
      for (const name of size.split(',').map((x) => x.trim()))
        expect(src).toMatch(new RegExp(`override ${name}: u32`));
    }
  });
});
