import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import type { ShaderRef } from '../core/program';
import { createCpuBackend } from '../gpu/cpu';
import { makeWebGPU, SKIP_WEBGPU } from '../testing/backends';
import { ALL_SHADERS, OPS } from './ops';

/** every kernel module (not the tests), imported */
const modules = import.meta.glob<Record<string, unknown>>(['./*.ts', '!./*.test.ts'], { eager: true });

function isShaderRef(v: unknown): v is ShaderRef {
  return typeof v === 'object' && v !== null && 'key' in v && 'url' in v && v.url instanceof URL;
}

const listed = new Set(ALL_SHADERS.map((s) => s.url.href));

describe('the op table', () => {
  it('names each op by its key', () => {
    for (const [name, def] of Object.entries(OPS)) expect(def.name).toBe(name);
  });

  it('derives a shader list that holds every program a kernel module declares', () => {
    const declared = Object.entries(modules).flatMap(([file, m]) =>
      Object.entries(m)
        .filter(([, v]) => isShaderRef(v))
        .map(([name, v]) => ({ file, name, ref: v as ShaderRef })),
    );
    expect(declared.length).toBeGreaterThanOrEqual(ALL_SHADERS.length);
    for (const d of declared)
      expect(listed.has(d.ref.url.href), `${d.file} ${d.name} is dispatched by no op in the table`).toBe(
        true,
      );
    expect(new Set(ALL_SHADERS.map((s) => s.key)).size).toBe(ALL_SHADERS.length);
  });

  it('lists every WGSL program in shaders/', async () => {
    const dir = new URL('../../shaders/', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.wgsl'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(listed.has(new URL(f, dir).href), `shaders/${f} is in no op`).toBe(true);
  });
});

function expectEveryOp(be: Backend): void {
  for (const name of Object.keys(OPS))
    expect(typeof (be as unknown as Record<string, unknown>)[name], `${be.kind}.${name}`).toBe('function');
}

describe('backends built from the table', () => {
  it('the CPU backend has every op, with and without WASM SIMD', () => {
    for (const simd of [true, false]) expectEveryOp(createCpuBackend({ simd }));
  });

  describe.skipIf(SKIP_WEBGPU)('WebGPU', () => {
    let be: Backend;
    beforeAll(async () => {
      be = await makeWebGPU();
    });
    afterAll(() => be?.destroy());

    it('the WebGPU backend has every op', () => {
      expectEveryOp(be);
    });
  });
});
