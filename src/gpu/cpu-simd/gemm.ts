/**
 * WebAssembly SIMD matrix multiply for the CPU backend's `linear` (the hot op of every transformer).
 * The kernel (gemm.wat) needs M % 4 == 0 and N % 8 == 0; this wrapper pads rows, prepares the weight
 * once per weight array (column panels of 8, packPanels) in the engine's memory, where
 * it stays (the panel cache, bounded: least recently used panels go first), copies x in by blocks of rows,
 * and posts each block as a job whose chunks (<= 128 rows, blocks) the engine's threads share (threads.ts);
 * each chunk pre-fills its block of C with the bias (or 0) before the product.
 */
import { OutOfHeapError } from './heap';
import { BufferPool } from './pool';
import { acquireEngine, releaseEngine, type GemmEngine } from './threads';
import { KIND_GEMM } from './thread-kernels';

type Layout = 'kn' | 'nk';

/** rows of x per chunk: a 128-row block of A stays in L2 while the B panels stream past it (measured: 6 -> 24 GFLOP/s at K=512, N=1536) */
const ROW_CHUNK = 128;
/** multiply-adds per chunk when threads share a product (~0.5 ms of one thread) */
const CHUNK_MACS = 1 << 22;
/** rows of x copied into the heap per job */
const ROWS_PER_JOB = 2048;
/** multiply-adds below which a product stays on the calling thread (waking helpers costs ~10-50 µs) */
export const SMALL_JOB = 1 << 18;
/** bytes of prepared weights kept in the heap */
const PANEL_BUDGET = 1 << 30;

interface Panel {
  off: number;
  bytes: number;
  layout: Layout;
  K: number;
  N: number;
  used: number;
  live: boolean;
}

/**
 * Chunk shape [rows, cols] of an [M4 x N8] product: <= 128 rows (the A block stays in L2) and columns for
 * about CHUNK_MACS multiply-adds, so a thread that is descheduled holding a chunk (a busy machine) delays
 * the others by little; then narrower columns until every thread has at least two chunks. A short product
 * (one text at a time: M4 = 12) is thus split by columns, so each thread streams only its share of the
 * weight instead of all of it (the weight, not the arithmetic, is the cost there).
 */
export function blocks(M4: number, K: number, N8: number, threads: number): [number, number] {
  const rows = Math.min(ROW_CHUNK, M4);
  if (threads === 1) return [rows, N8];
  let cols = Math.min(N8, Math.max(8, Math.floor(CHUNK_MACS / (rows * K) / 8) * 8));
  const rowChunks = Math.ceil(M4 / rows);
  const want = 2 * threads;
  if (rowChunks * Math.ceil(N8 / cols) < want)
    cols = Math.max(8, Math.ceil(N8 / Math.ceil(want / rowChunks) / 8) * 8);
  return [rows, cols];
}

/**
 * w as the kernel's B: column panels of 8 ([K x 8] row-major each, panel after panel), columns past N zero.
 * `kn`: w is [K, N] row-major; `nk`: [N, K].
 */
export function packPanels(
  heap: Float32Array,
  base: number,
  w: Float32Array,
  K: number,
  N: number,
  layout: Layout,
): void {
  const N8 = Math.ceil(N / 8) * 8;
  for (let j = 0; j < N8; j += 8) {
    const panel = base + j * K;
    const cols = Math.min(8, N - j);
    for (let k = 0; k < K; k++) {
      const o = panel + k * 8;
      if (layout === 'kn') for (let c = 0; c < cols; c++) heap[o + c] = w[k * N + j + c];
      else for (let c = 0; c < cols; c++) heap[o + c] = w[(j + c) * K + k];
      for (let c = cols; c < 8; c++) heap[o + c] = 0;
    }
  }
}

export class WasmGemm {
  private readonly panels = new WeakMap<Float32Array, Panel>();
  private readonly cached = new Set<Panel>();
  private panelBytes = 0;
  private clock = 0;
  private readonly gone = new FinalizationRegistry<Panel>((p) => this.drop(p));
  private released = false;
  /** the fast paths' output arrays, recycled when their tensors are disposed */
  readonly pool = new BufferPool();

  private constructor(readonly engine: GemmEngine) {}

  /** null where WebAssembly or its SIMD proposal is unavailable (the caller keeps its JS loop). */
  static create(opts: { threads?: number } = {}): WasmGemm | null {
    const engine = acquireEngine(opts.threads);
    return engine ? new WasmGemm(engine) : null;
  }

  /** threads taking part in each product, and why only one when fewer than asked */
  get threads(): { count: number; note: string | null } {
    return { count: this.engine.threads, note: this.engine.note };
  }

  /** Gives the engine back (its helper threads stop when no backend holds it). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.pool.clear();
    for (const p of [...this.cached]) this.drop(p);
    releaseEngine(this.engine);
  }

  private drop(p: Panel): void {
    if (!p.live) return;
    p.live = false;
    this.cached.delete(p);
    this.panelBytes -= p.bytes;
    if (!this.released || this.engine.refs > 0) this.engine.heap.release(p.off);
  }

  /** Drop the prepared panel of `w`: its contents were changed in place (an optimiser step, addInPlace, zero). */
  forget(w: Float32Array): void {
    const p = this.panels.get(w);
    if (p) {
      this.panels.delete(w);
      this.drop(p);
    }
  }

  /** a heap block, evicting least recently used panels (not `keep`) when the heap is full */
  alloc(bytes: number, keep?: Panel): number {
    for (;;) {
      try {
        return this.engine.heap.alloc(bytes);
      } catch (e) {
        if (!(e instanceof OutOfHeapError)) throw e;
        const victim = [...this.cached].filter((p) => p !== keep).sort((a, b) => a.used - b.used)[0];
        if (!victim) throw e;
        this.drop(victim);
      }
    }
  }

  free(off: number): void {
    this.engine.heap.release(off);
  }

  get f32(): Float32Array {
    return new Float32Array(this.engine.memory.buffer);
  }

  /** The weight as the kernel's B (packPanels) in the heap; cached per weight array when `cache`. */
  private panel(w: Float32Array, K: number, N: number, layout: Layout, cache: boolean): Panel {
    const hit = cache ? this.panels.get(w) : undefined;
    if (hit?.live && hit.layout === layout && hit.K === K && hit.N === N) {
      hit.used = ++this.clock;
      return hit;
    }
    if (hit) this.forget(w);
    const N8 = Math.ceil(N / 8) * 8;
    const bytes = K * N8 * 4;
    const cacheIt = cache && bytes <= PANEL_BUDGET / 4;
    if (cacheIt)
      while (this.panelBytes + bytes > PANEL_BUDGET && this.cached.size > 0)
        this.drop([...this.cached].sort((a, b) => a.used - b.used)[0]);
    const p: Panel = { off: this.alloc(bytes), bytes, layout, K, N, used: ++this.clock, live: true };
    packPanels(this.f32, p.off / 4, w, K, N, layout);
    if (cacheIt) {
      this.panels.set(w, p);
      this.cached.add(p);
      this.panelBytes += bytes;
      this.gone.register(w, p, p);
    }
    return p;
  }

  /**
   * y = x·w + bias. The prepared weight is cached per `w` array (weights never change in place);
   * pass cacheWeight false for operands whose contents change between calls.
   */
  linear(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    M: number,
    K: number,
    N: number,
    layout: Layout,
    cacheWeight = true,
  ): Float32Array {
    if (M === 0 || N === 0) return new Float32Array(M * N);
    const y = this.pool.take(M * N);
    const p = this.panel(w, K, N, layout, cacheWeight);
    try {
      const N8 = Math.ceil(N / 8) * 8;
      const rows = Math.min(ROWS_PER_JOB, Math.ceil(M / 4) * 4);
      const aOff = this.alloc(rows * K * 4, p);
      const cOff = this.alloc(rows * N8 * 4, p);
      const bOff = bias ? this.alloc(N8 * 4, p) : -1;
      if (bias) {
        const hb = this.f32.subarray(bOff / 4, bOff / 4 + N8);
        hb.set(bias);
        hb.fill(0, N);
      }
      try {
        for (let r0 = 0; r0 < M; r0 += rows) {
          const m = Math.min(rows, M - r0);
          const m4 = Math.ceil(m / 4) * 4;
          const heap = this.f32;
          const a = heap.subarray(aOff / 4, aOff / 4 + m4 * K);
          a.set(x.subarray(r0 * K, (r0 + m) * K));
          a.fill(0, m * K);
          const [rb, cb] = blocks(m4, K, N8, m4 * K * N8 >= SMALL_JOB ? this.engine.threads : 1);
          const chunks = Math.ceil(m4 / rb) * Math.ceil(N8 / cb);
          // each chunk starts its block of C from the bias (or 0) itself: in parallel, and C is then in cache
          this.engine.post(KIND_GEMM, [aOff, p.off, cOff, m4, K, N8, rb, cb, bOff], chunks);
          const out = this.f32;
          if (N === N8) y.set(out.subarray(cOff / 4, cOff / 4 + m * N), r0 * N);
          else
            for (let i = 0; i < m; i++)
              y.set(out.subarray(cOff / 4 + i * N8, cOff / 4 + i * N8 + N), (r0 + i) * N);
        }
      } finally {
        this.free(aOff);
        this.free(cOff);
        if (bOff >= 0) this.free(bOff);
      }
    } finally {
      if (!this.panels.has(w) || this.panels.get(w) !== p) this.free(p.off);
    }
    return y;
  }
}
