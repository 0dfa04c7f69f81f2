/**
 * WebGPU for Node through the npm `webgpu` package (Dawn). Only reached from `getGPU()` when running
 * in Node; the specifier is built at run time so browser bundles never include the package.
 * The GPU object returned by `create()` must stay referenced for the life of the process, or Dawn
 * aborts when it is collected while a device lives: it is kept on globalThis.
 */
interface NodeWebGPUModule {
  create(options: string[]): GPU;
  globals: object;
}

const RETAIN = Symbol.for('stm-studio.webgpu.node-gpu');

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
      return mod.create([]);
    })();
    g[RETAIN].catch(() => {
      delete g[RETAIN];
    });
  }
  return g[RETAIN];
}
