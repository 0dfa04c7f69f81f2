/**
 * The studio's linear kernel alone (Backend.linear, weights in the 'nk' layout Hugging Face models use):
 * GFLOP/s at transformer shapes (a batch of 512 tokens through MiniLM's and Qwen3-0.6B's FFN up
 * projections), on the CPU path and on WebGPU, beside the device's published f32 peak where it is known.
 */
import type { Backend } from '../core/backend';
import { acquireBackend } from '../gpu/select';
import { Rng } from '../util/rng';
import { type BenchOptions, isSoftwareGpu } from './bench-args';
import { recordFigure } from './bench-report';
import { row } from './bench-util';

/** published f32 (non-tensor-core) peaks, GFLOP/s, by a name the adapter's label contains */
const PEAKS: [RegExp, number][] = [
  [/H200|H100 SXM|H100 80GB HBM3/i, 66900],
  [/H100/i, 51200],
  [/A100/i, 19500],
  [/L40S/i, 91600],
  [/L4\b/i, 30300],
  [/A10\b/i, 31200],
  [/T4\b/i, 8100],
  [/V100/i, 15700],
  [/RTX 4090/i, 82600],
  [/RTX 3090/i, 35600],
];

export function knownPeakGflops(label: string): number | null {
  return PEAKS.find(([re]) => re.test(label))?.[1] ?? null;
}

/** M = 512 tokens (16 on a CPU-emulated GPU) */
const SHAPES = [
  { name: 'MiniLM FFN [512,384]x[384,1536]', M: 512, K: 384, N: 1536 },
  { name: 'Qwen3 FFN [512,1024]x[1024,3072]', M: 512, K: 1024, N: 3072 },
];

/** GFLOP/s of x [M,K] times w [N,K]^T, repeated for at least minS seconds (after one warm-up call) */
async function gflops(backend: Backend, M: number, K: number, N: number, minS: number): Promise<number> {
  const rng = new Rng(7);
  const x = backend.tensor(rng.normals(M * K, 1), [M, K]);
  const w = backend.tensor(rng.normals(N * K, 0.05), [N, K]);
  try {
    const warm = backend.linear(x, w, null, 'nk');
    await backend.readF32(warm); // warm-up: pipelines, first allocation
    backend.dispose(warm);
    let reps = 0;
    const t0 = performance.now();
    let s = 0;
    while (reps < 2 || s < minS) {
      const y = backend.linear(x, w, null, 'nk');
      await backend.readF32(y); // waits for the device
      backend.dispose(y);
      reps++;
      s = (performance.now() - t0) / 1000;
    }
    return (2 * M * K * N * reps) / s / 1e9;
  } finally {
    backend.dispose(x, w);
  }
}

export async function benchLinear(opts: BenchOptions): Promise<void> {
  console.log(`\nLinear kernel (Backend.linear, 'nk' weights), GFLOP/s = 2MKN / time, results read back`);
  console.log(row(['path', ...SHAPES.map((s) => s.name.split(' ')[0] + ' GF/s'), 'device f32 peak']));
  for (const pref of ['cpu', 'webgpu'] as const) {
    if (!opts.wants(pref)) continue;
    let backend: Backend;
    try {
      backend = await acquireBackend(pref);
    } catch (e) {
      console.log(row([`${pref}: unavailable`, (e as Error).message]));
      continue;
    }
    const soft = isSoftwareGpu(backend);
    if (pref === 'webgpu') recordFigure('webgpu_emulated', soft ? 1 : 0);
    const cells: string[] = [];
    let last = 0;
    for (const s of SHAPES) {
      // SwiftShader runs this kernel at well under 1 GFLOP/s: 16 rows instead of 512 there
      last = await gflops(backend, soft ? 16 : s.M, s.K, s.N, soft ? 0 : 1);
      cells.push(last.toFixed(last < 10 ? 2 : 1));
    }
    const peak = pref === 'webgpu' ? knownPeakGflops(backend.label) : null;
    recordFigure(`linear_gflops_${pref}`, last);
    if (peak) recordFigure(`${pref}_peak_gflops`, peak);
    const peakText = peak
      ? `${peak} (${((100 * last) / peak).toFixed(1)}% reached)`
      : soft
        ? 'peak unknown (CPU-emulated GPU; M = 16)'
        : 'peak unknown';
    console.log(row([`${backend.kind} (${backend.label})`.slice(0, 33), ...cells, peakText]));
    backend.destroy();
  }
}
