/**
 * Blocks of the gemm's WebAssembly memory (first fit, freed blocks coalesce). Only the posting thread
 * allocates; helper threads see offsets in the job. The memory grows on demand (a shared memory grows in
 * place: helpers' code sees the new size at once) up to `maxBytes`.
 */
const ALIGN = 64;
const PAGE = 65536;

export class OutOfHeapError extends Error {}

export class Heap {
  /** free blocks [offset, bytes], sorted by offset, never adjacent */
  private free: [number, number][] = [];
  private top: number;
  private readonly sizes = new Map<number, number>();

  constructor(
    private readonly memory: WebAssembly.Memory,
    reserved: number,
    readonly maxBytes: number,
  ) {
    this.top = Math.ceil(reserved / ALIGN) * ALIGN;
  }

  /** bytes handed out now */
  get used(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  /** A block of at least `bytes` (64-byte aligned offset); throws OutOfHeapError past maxBytes. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const [off, n] = this.free[i];
      if (n < size) continue;
      if (n === size) this.free.splice(i, 1);
      else this.free[i] = [off + size, n - size];
      this.sizes.set(off, size);
      return off;
    }
    const off = this.top;
    if (off + size > this.maxBytes)
      throw new OutOfHeapError(`gemm heap: ${size} bytes more would pass ${this.maxBytes}`);
    const have = this.memory.buffer.byteLength;
    if (off + size > have) this.memory.grow(Math.ceil((off + size - have) / PAGE));
    this.top = off + size;
    this.sizes.set(off, size);
    return off;
  }

  release(off: number): void {
    const size = this.sizes.get(off);
    if (size === undefined) throw new Error(`gemm heap: no block at ${off}`);
    this.sizes.delete(off);
    let i = 0;
    while (i < this.free.length && this.free[i][0] < off) i++;
    let start = off;
    let end = off + size;
    if (i > 0 && this.free[i - 1][0] + this.free[i - 1][1] === start) {
      start = this.free[i - 1][0];
      this.free.splice(--i, 1);
    }
    if (i < this.free.length && this.free[i][0] === end) {
      end += this.free[i][1];
      this.free.splice(i, 1);
    }
    if (end === this.top) this.top = start;
    else this.free.splice(i, 0, [start, end - start]);
  }
}
