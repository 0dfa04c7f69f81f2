/**
 * `stm quant-check`: the accuracy cost of lower-precision weights on a Hugging Face model, as the cosine
 * of each held-out text's embedding with f16 / q8 linear weights to its embedding with f32 weights
 * (models/hf/weight-check.ts), mean and min over the texts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDatasetsDir } from '../data/node';
import { resolveModelNode } from '../experts/resolve-node';
import { HfEmbedder } from '../models/hf/embedder';
import type { WeightFormat } from '../models/hf/fit';
import { checkWeightFormat, type WeightCheck } from '../models/hf/weight-check';
import { oneOf, strictOptions, UsageError } from './args';
import { cliBackend } from './backend';
import type { Reporter } from './progress';

export const QUANT_CHECK_USAGE = `  quant-check  the accuracy cost of f16 / q8 weights: cosine of each text's embedding to its f32 one
          --model <folder|org/name> a Hugging Face model (safetensors, single-file or sharded)
          --texts <file>|medquad    one text per line, or the medquad queries of the shared datasets
                                    ($STM_DATASETS or ../shared/datasets; default medquad)
          --n <count>               texts used, spread over the file (default 64)
          --weights f16,q8          formats compared with f32 (default f16,q8)
          --backend auto|cpu|webgpu (default auto)
          --allow-network           the model may be downloaded (a hub id)
          --json                    print {"model","texts","checks":[{format,meanCosine,minCosine}]} last`;

export interface QuantCheckArgs {
  model: string;
  texts: string;
  n: number;
  formats: WeightFormat[];
  backend: 'auto' | 'cpu' | 'webgpu';
  allowNetwork: boolean;
  json: boolean;
}

export function parseQuantCheckArgs(argv: string[]): QuantCheckArgs {
  const v = strictOptions(argv, {
    model: { type: 'string' },
    texts: { type: 'string', default: 'medquad' },
    n: { type: 'string', default: '64' },
    weights: { type: 'string', default: 'f16,q8' },
    backend: { type: 'string', default: 'auto' },
    'allow-network': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (!v.model) throw new UsageError('quant-check needs --model <folder|org/name>');
  const n = Number(v.n);
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`--n must be an integer >= 1, got "${v.n}"`);
  return {
    model: v.model,
    texts: v.texts!,
    n,
    formats: v.weights!.split(',').map((f) => oneOf('weights', f.trim(), ['f32', 'f16', 'q8'] as const)),
    backend: oneOf('backend', v.backend!, ['auto', 'cpu', 'webgpu'] as const),
    allowNetwork: v['allow-network']!,
    json: v.json!,
  };
}

/** `n` texts spread evenly over the lines of a file (JSONL lines give their "text"). */
export function heldOutTexts(spec: string, n: number): { file: string; texts: string[] } {
  const file = spec === 'medquad' ? join(sharedDatasetsDir(), 'medquad', 'queries.jsonl') : spec;
  if (!existsSync(file))
    throw new Error(
      `${file}: not found${spec === 'medquad' ? ' (set STM_DATASETS to the shared datasets folder, or pass --texts <file>)' : ''}`,
    );
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim());
  const all = lines.map((l, i) => {
    if (!file.endsWith('.jsonl')) return l;
    try {
      return String((JSON.parse(l) as { text: unknown }).text);
    } catch {
      throw new Error(`${file}: line ${i + 1} is not JSON with a "text"`);
    }
  });
  const step = Math.max(1, Math.floor(all.length / n));
  return { file, texts: all.filter((_, i) => i % step === 0).slice(0, n) };
}

export async function runQuantCheck(a: QuantCheckArgs, out: Pick<Reporter, 'log'>): Promise<WeightCheck[]> {
  const { file, texts } = heldOutTexts(a.texts, a.n);
  const backend = await cliBackend(a.backend, out.log);
  try {
    const model = await resolveModelNode(a.model, out.log, {
      allowNetwork: a.allowNetwork,
      weightFormat: 'f32',
    });
    if (!(model instanceof HfEmbedder))
      throw new Error(`${a.model}: quant-check needs a Hugging Face model (safetensors weights)`);
    out.log(`model ${model.id} (${model.dim}-d); ${texts.length} texts from ${file}`);
    const checks: WeightCheck[] = [];
    for (const f of a.formats) {
      const c = await checkWeightFormat(model, backend, texts, f);
      checks.push(c);
      out.log(`${f}: cosine to f32 mean ${c.meanCosine.toFixed(6)}, min ${c.minCosine.toFixed(6)}`);
    }
    if (a.json) console.log(JSON.stringify({ model: model.id, texts: texts.length, checks }));
    else {
      console.log('format\tmean cosine\tmin cosine\ttexts');
      for (const c of checks)
        console.log(`${c.format}\t${c.meanCosine.toFixed(6)}\t${c.minCosine.toFixed(6)}\t${c.texts}`);
    }
    return checks;
  } finally {
    backend.destroy();
  }
}
