/**
 * WebGPU for Node through the npm `webgpu` package (Dawn). Only reached from `getGPU()` when running
 * in Node; the specifier is built at run time so browser bundles never include the package.
 * The GPU object returned by `create()` must stay referenced for the life of the process, or Dawn
 * aborts when it is collected while a device lives: it is kept on globalThis.
 * Without VK_ICD_FILENAMES / VK_DRIVER_FILES and without an adapter from the system's drivers, it
 * retries with SwiftShader, so `npm run stm` and `npm run bench` work on a GPU-less machine.
 */
interface NodeWebGPUModule {
  create(options: string[]): GPU;
  globals: object;
}

const RETAIN = Symbol.for('stm-studio.webgpu.node-gpu');
const RETAIN_FIRST = Symbol.for('stm-studio.webgpu.node-gpu-without-driver');
/** Debian chromium's SwiftShader Vulkan ICD (a CPU implementation), used when no other driver answers */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

type Retained = { [RETAIN]?: Promise<GPU> };

export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

export function nodeGPU(): Promise<GPU> {
  const g = globalThis as Retained;
  if (!g[RETAIN]) {
    g[RETAIN] = (async () => {
      const spec = 'webgpu';
      const mod = (await import(/* @vite-ignore */ spec)) as NodeWebGPUModule;
      Object.assign(globalThis, mod.globals);
      const env = process.env;
      env.XDG_RUNTIME_DIR ??= '/tmp';
      const gpu = mod.create([]);
      if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || (await gpu.requestAdapter())) return gpu;
      // No Vulkan driver found: fall back to the software Vulkan that Debian's chromium ships, if present.
      const fs = await import(/* @vite-ignore */ 'node:fs');
      if (!fs.existsSync(SWIFTSHADER_ICD)) return gpu;
      env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      (globalThis as { [RETAIN_FIRST]?: GPU })[RETAIN_FIRST] = gpu;
      return mod.create([]);
    })();
    g[RETAIN].catch(() => {
      delete g[RETAIN];
    });
  }
  return g[RETAIN];
}
