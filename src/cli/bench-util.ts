/** Timing, peak-memory sampling and table rows shared by the benchmark sections. */
let peakRss = 0;
export const sampleMemory = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

export function peakRssMiB(): number {
  sampleMemory();
  return Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20;
}

export async function time<T>(fn: () => Promise<T> | T): Promise<{ value: T; s: number }> {
  sampleMemory();
  const t0 = performance.now();
  const value = await fn();
  sampleMemory();
  return { value, s: (performance.now() - t0) / 1000 };
}

export function row(cells: (string | number)[]): string {
  return cells.map((c, i) => String(c).padEnd(i === 0 ? 34 : 14)).join('');
}
