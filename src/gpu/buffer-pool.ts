/**
 * Reuses GPU buffers by size class. Classes are four per power of two (<= 25% slack), so a released
 * buffer serves any later request that rounds to the same class. Buffers of one pool share a usage.
 */
export interface PoolStats {
  created: number;
  reused: number;
  /** buffers currently parked in the pool */
  free: number;
}

export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes));
  const step = Math.max(16, 2 ** (Math.floor(Math.log2(b)) - 2));
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  readonly stats: PoolStats = { created: 0, reused: 0, free: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
    /** class sizes are clamped to this (the device's maxBufferSize) */
    private readonly maxBytes: number,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = Math.min(sizeClass(bytes), Math.max(16, Math.ceil(bytes / 4) * 4, this.maxBytes));
    const list = this.free.get(size);
    const hit = list?.pop();
    if (hit) {
      this.stats.reused++;
      this.stats.free--;
      return hit;
    }
    this.stats.created++;
    return this.device.createBuffer({ size, usage: this.usage, label: `${this.label}:${size}` });
  }

  release(buf: GPUBuffer): void {
    let list = this.free.get(buf.size);
    if (!list) this.free.set(buf.size, (list = []));
    list.push(buf);
    this.stats.free++;
  }

  /** destroy every parked buffer */
  clear(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.stats.free = 0;
  }
}
