/** Compute pipelines keyed by shader key + entry point + override constants; shader modules by key. */
export interface PipelineCacheStats {
  hits: number;
  misses: number;
}

export function pipelineKey(
  shaderKey: string,
  entryPoint: string,
  overrides: Readonly<Record<string, number>>,
): string {
  const consts = Object.keys(overrides)
    .sort()
    .map((k) => `${k}=${overrides[k]}`)
    .join(',');
  return `${shaderKey}:${entryPoint}{${consts}}`;
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  readonly stats: PipelineCacheStats = { hits: 0, misses: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly sources: ReadonlyMap<string, string>,
  ) {}

  get(
    shaderKey: string,
    entryPoint: string,
    overrides: Readonly<Record<string, number>>,
  ): GPUComputePipeline {
    const key = pipelineKey(shaderKey, entryPoint, overrides);
    const cached = this.pipelines.get(key);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module: this.module(shaderKey), entryPoint, constants: { ...overrides } },
    });
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private module(shaderKey: string): GPUShaderModule {
    let m = this.modules.get(shaderKey);
    if (!m) {
      const code = this.sources.get(shaderKey);
      if (code === undefined) throw new Error(`shader '${shaderKey}' was not loaded`);
      m = this.device.createShaderModule({ label: shaderKey, code });
      this.modules.set(shaderKey, m);
    }
    return m;
  }
}
