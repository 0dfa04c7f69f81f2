/**
 * The gemm's threads: one WebAssembly memory (shared when helper threads run), the calling thread's
 * instance of the kernel, and helper threads (Node: worker_threads; browser: module Web Workers) that
 * sleep on the control block until a job is posted. The poster takes chunks too and sleeps (Atomics.wait:
 * Node's main thread and the studio's engine worker may block) until the last chunk is done.
 *
 * One engine per thread count serves every CPU backend of the process (the weight panels it caches are
 * keyed by weight array); each backend holds a reference, and the helpers are stopped when the last
 * backend is destroyed. Node's helpers are unref'd: a process that forgets to destroy its backend exits.
 *
 * Without SharedArrayBuffer (a page that is not cross-origin isolated), without workers, or with one
 * thread asked for, the engine runs every chunk on the calling thread (unshared memory) and says why.
 */
import { GEMM_WASM_BASE64, GEMM_WASM_SHARED_BASE64 } from './gemm-wasm';
import { Heap } from './heap';
import {
  createRunner,
  CTL,
  CTL_BYTES,
  helperLoop,
  takeChunks,
  type GemmFn,
  type KernelExports,
  type Runner,
} from './thread-kernels';

/** the most threads the CPU backend starts by itself (STM_CPU_THREADS / the threads option may ask for more, up to 32) */
export const DEFAULT_MAX_THREADS = 8;
const MAX_THREADS = 32;
/** 32768 pages = 2 GiB: offsets stay positive i32 */
const MAX_PAGES = 32768;

interface Helper {
  terminate(): unknown;
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

type NodeProcess = {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
};
const nodeProcess = (): NodeProcess | undefined =>
  (globalThis as { process?: NodeProcess }).process?.versions?.node
    ? (globalThis as { process?: NodeProcess }).process
    : undefined;

/** Threads wanted: the option, else STM_CPU_THREADS (Node), else the core count capped at DEFAULT_MAX_THREADS. */
export function wantedThreads(requested?: number): number {
  const env = nodeProcess()?.env?.STM_CPU_THREADS;
  const asked = requested ?? (env !== undefined && env !== '' ? Number(env) : undefined);
  if (asked !== undefined) {
    if (!Number.isInteger(asked) || asked < 1 || asked > MAX_THREADS)
      throw new RangeError(
        `CPU threads: ${String(requested ?? `STM_CPU_THREADS=${env}`)} is not a whole number from 1 to ${MAX_THREADS}`,
      );
    return asked;
  }
  const os = nodeProcess()?.getBuiltinModule?.('node:os') as
    { availableParallelism?: () => number } | undefined;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const cores = os?.availableParallelism?.() ?? nav?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, cores));
}

/** Why helper threads cannot run here, or null. */
export function threadsUnavailable(): string | null {
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; Worker?: unknown };
  if (typeof SharedArrayBuffer === 'undefined' || g.crossOriginIsolated === false)
    return 'page not cross-origin isolated';
  if (nodeProcess()) return nodeProcess()?.getBuiltinModule ? null : 'no worker_threads in this Node';
  if (g.document !== undefined) return "the page's main thread cannot wait";
  return typeof g.Worker === 'function' ? null : 'no Web Workers here';
}

function startHelper(memory: WebAssembly.Memory, module: WebAssembly.Module, tid: number): Helper {
  const node = nodeProcess();
  if (node) {
    const wt = node.getBuiltinModule!('node:worker_threads') as {
      Worker: new (src: string, o: object) => Helper & { unref(): void; on(e: string, f: () => void): void };
    };
    // esbuild's keepNames (tsx, vitest) may wrap functions in __name(): give the helper a no-op one
    const src =
      `var __name = (f) => f;\nconst { workerData } = require('node:worker_threads');\n` +
      `const createRunner = ${createRunner.toString()};\nconst takeChunks = ${takeChunks.toString()};\n` +
      `(${helperLoop.toString()})(workerData.memory, workerData.module, workerData.tid);\n`;
    const w = new wt.Worker(src, { eval: true, workerData: { memory, module, tid } });
    w.on('error', () => undefined); // a helper that fails to start leaves its share to the others
    w.unref();
    return w;
  }
  const w = new Worker(new URL('./gemm-worker.ts', import.meta.url), { type: 'module', name: `gemm ${tid}` });
  w.postMessage({ memory, module, tid });
  return w;
}

export class GemmEngine {
  readonly gemm: GemmFn;
  readonly heap: Heap;
  private readonly run: Runner;
  private helpers: Helper[] = [];
  private tag = 0;
  refs = 0;

  private constructor(
    readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    /** threads taking part (the caller included) */
    readonly threads: number,
    /** why only one thread runs, when fewer than asked */
    readonly note: string | null,
  ) {
    const inst = new WebAssembly.Instance(module, { env: { memory } });
    const k = inst.exports as unknown as KernelExports;
    this.gemm = k.gemm;
    this.run = createRunner(memory, k);
    this.heap = new Heap(memory, CTL_BYTES, MAX_PAGES * 65536);
    for (let tid = 1; tid < threads; tid++) this.helpers.push(startHelper(memory, module, tid));
  }

  /** null where WebAssembly or its SIMD proposal is unavailable. */
  static create(requested?: number): GemmEngine | null {
    const want = wantedThreads(requested);
    if (typeof WebAssembly !== 'object') return null;
    let why = want > 1 ? threadsUnavailable() : null;
    if (want > 1 && why === null) {
      try {
        const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
        const module = new WebAssembly.Module(decodeBase64(GEMM_WASM_SHARED_BASE64) as BufferSource);
        return new GemmEngine(memory, module, want, null);
      } catch (e) {
        why = `no shared WebAssembly memory (${(e as Error).message})`;
      }
    }
    try {
      const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES });
      const module = new WebAssembly.Module(decodeBase64(GEMM_WASM_BASE64) as BufferSource);
      return new GemmEngine(memory, module, 1, why);
    } catch {
      return null;
    }
  }

  /** helper threads that have started (they join jobs from then on) */
  get ready(): number {
    return Atomics.load(this.ctl(), CTL.READY);
  }

  /** chunks run so far by each thread (the caller first): how the work was shared */
  chunksByThread(): number[] {
    return Array.from(this.ctl().subarray(CTL.TAKEN, CTL.TAKEN + Math.min(this.threads, 32)));
  }

  private ctl(): Int32Array {
    return new Int32Array(this.memory.buffer, 0, CTL_BYTES / 4);
  }

  /**
   * Runs `chunks` chunks of one job (kind, i32 params, then f32 params) on every thread and
   * returns when all are done. Small jobs (one chunk, or `solo`: too little work to share) stay on the
   * calling thread: the helpers are not woken (one that is still awake from the last job may take a chunk).
   */
  post(
    kind: number,
    params: readonly number[],
    chunks: number,
    floats: readonly number[] = [],
    solo = false,
  ): void {
    if (chunks === 0) return;
    const ctl = this.ctl();
    if (chunks >= 1 << 20) throw new Error(`gemm: ${chunks} chunks in one job`);
    ctl[CTL.KIND] = kind;
    params.forEach((p, i) => (ctl[CTL.PARAM + i] = p));
    if (CTL.PARAM + params.length + floats.length > CTL_BYTES / 4)
      throw new Error('gemm: too many parameters');
    new Float32Array(ctl.buffer, 0, CTL_BYTES / 4).set(floats, CTL.PARAM + params.length);
    Atomics.store(ctl, CTL.ERROR, 0);
    Atomics.store(ctl, CTL.DONE, 0);
    Atomics.store(ctl, CTL.TOTAL, chunks);
    this.tag = (this.tag + 1) & 0xfff;
    Atomics.store(ctl, CTL.NEXT, this.tag << 20);
    if (this.helpers.length > 0 && chunks > 1 && !solo) {
      Atomics.add(ctl, CTL.WAKE, 1);
      Atomics.notify(ctl, CTL.WAKE);
    }
    takeChunks(ctl, this.run, 0);
    // the helpers' last chunks: spin a little (they finish within a chunk's time), then sleep
    const until = performance.now() + 0.5;
    for (let spin = 1; ; spin++) {
      const done = Atomics.load(ctl, CTL.DONE);
      if (done >= chunks) break;
      if ((spin & 255) === 0 && performance.now() > until) Atomics.wait(ctl, CTL.DONE, done, 1000);
    }
    if (Atomics.load(ctl, CTL.ERROR) !== 0) throw new Error('gemm: a chunk failed on a helper thread');
  }

  /** Stops and terminates the helper threads (the engine stays usable on one thread). */
  stop(): void {
    if (this.helpers.length === 0) return;
    const ctl = this.ctl();
    Atomics.store(ctl, CTL.STOP, 1);
    Atomics.add(ctl, CTL.WAKE, 1);
    Atomics.notify(ctl, CTL.WAKE);
    for (const h of this.helpers) void h.terminate();
    this.helpers = [];
  }

  get helperCount(): number {
    return this.helpers.length;
  }
}

const engines = new Map<number, GemmEngine>();

/** The process's engine for this many threads (created on first use), with one more reference. */
export function acquireEngine(requested?: number): GemmEngine | null {
  const want = wantedThreads(requested);
  let e = engines.get(want);
  if (!e) {
    const made = GemmEngine.create(want);
    if (!made) return null;
    e = made;
    engines.set(want, e);
  }
  e.refs++;
  return e;
}

/** Drops one reference; the last one stops the helpers and forgets the engine. */
export function releaseEngine(e: GemmEngine): void {
  if (--e.refs > 0) return;
  e.stop();
  for (const [k, v] of engines) if (v === e) engines.delete(k);
}
