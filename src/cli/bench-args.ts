/**
 * `npm run bench` options: --json (the figures as one JSON object on the last line), --gpu (the short GPU
 * run: GPU paths only, one table of the GPU figures at the end), --only a,b (sections by name).
 */
import type { Backend } from '../core/backend';
import { acquireBackend } from '../gpu/select';

export const BENCH_SECTIONS = [
  'glove',
  'use',
  'train',
  'merge',
  'minilm',
  'qwen3',
  'linear',
  'lora',
  'browser',
] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];
/** the sections --gpu runs (unless --only says otherwise) */
const GPU_SECTIONS: readonly BenchSection[] = ['use', 'minilm', 'qwen3', 'browser', 'linear', 'lora'];

export interface BenchOptions {
  readonly json: boolean;
  readonly gpu: boolean;
  readonly sections: ReadonlySet<BenchSection>;
  /** a section, or a path: 'cpu' is skipped under --gpu */
  wants(what: BenchSection | 'cpu' | 'webgpu'): boolean;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let json = false;
  let gpu = false;
  let only: BenchSection[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--gpu') gpu = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v) throw new Error('--only needs a list of sections, e.g. --only minilm,qwen3');
      only = v.split(',').map((s) => {
        const name = s.trim() as BenchSection;
        if (!BENCH_SECTIONS.includes(name))
          throw new Error(`--only: unknown section "${s}" (sections: ${BENCH_SECTIONS.join(', ')})`);
        return name;
      });
    } else
      throw new Error(`unknown option ${a} (options: --json, --gpu, --only ${BENCH_SECTIONS.join(',')})`);
  }
  const sections = new Set<BenchSection>(only ?? (gpu ? GPU_SECTIONS : BENCH_SECTIONS));
  return {
    json,
    gpu,
    sections,
    wants: (w) => (w === 'cpu' ? !gpu : w === 'webgpu' ? true : sections.has(w)),
  };
}

let soft: Promise<boolean | null> | null = null;

/** whether Node's WebGPU here is CPU-emulated (null: no WebGPU at all); asked once */
export function webgpuIsEmulated(): Promise<boolean | null> {
  soft ??= acquireBackend('webgpu').then(
    (b) => {
      const s = isSoftwareGpu(b);
      b.destroy();
      return s;
    },
    () => null,
  );
  return soft;
}

/** a CPU implementation of WebGPU (SwiftShader, llvmpipe): its figures are CPU-emulated */
export function isSoftwareGpu(backend: Backend): boolean {
  return backend.kind === 'webgpu' && /swiftshader|llvmpipe|software|cpu/i.test(backend.label);
}
