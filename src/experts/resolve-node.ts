import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadHfModel } from '../models/hf';
import type { DeviceFitLimits, WeightFormatChoice } from '../models/hf/fit';
import { SHARD_INDEX } from '../models/hf/shards';
import { loadOrtEmbedderFromFolder } from '../models/ort/node';
import { isBuiltinModel, listModels, loadEmbedder } from '../models/registry';
import { nodeAssetFetcher } from '../models/node-assets';
import type { Embedder } from '../models/types';
import { expertEmbedder } from './embedder';
import { EXPERT_JSON, PEFT_CONFIG, PEFT_WEIGHTS } from './files';
import { isExpertDir, readExpertDir } from './files-node';

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const isRemote = (spec: string) => /^https?:\/\//i.test(spec) || /^[\w.-]+\/[\w.-]+$/.test(spec);

export interface ResolveOptions {
  /** an expert's recorded base may be downloaded (a hub id or URL); a --model the user typed always may */
  allowNetwork?: boolean;
  /** the model is the base of a new expert: an expert folder is refused (experts over experts are not supported) */
  forTraining?: boolean;
  /** Hugging Face models: how linear weights are uploaded (default 'auto': f16 on WebGPU, f32 on the CPU) */
  weightFormat?: WeightFormatChoice;
  /** the device: a hub model that cannot fit it fails before its weights are downloaded (fit.ts) */
  limits?: DeviceFitLimits;
}

/**
 * Resolves a CLI --model value in Node: a built-in id; a local folder holding a Hugging Face model
 * (config.json + model.safetensors: the studio's own kernels) or an ONNX export (onnx/model.onnx:
 * onnxruntime-web; "onnx:<folder>" forces ONNX when a folder has both); an expert folder (over a model,
 * never over another expert); otherwise a hub id "org/name" or an http(s) URL, downloaded with progress.
 */
export function resolveModelNode(
  spec: string,
  log: (msg: string) => void,
  opts: ResolveOptions = {},
): Promise<Embedder> {
  return resolve(spec, log, opts, null);
}

/** `baseOf`: the expert folder whose recorded base model `spec` is (null: the user's own --model). */
async function resolve(
  spec: string,
  log: (msg: string) => void,
  opts: ResolveOptions,
  baseOf: string | null,
): Promise<Embedder> {
  if (isBuiltinModel(spec)) return loadEmbedder(spec, nodeAssetFetcher());
  if (spec.startsWith('onnx:')) return loadOrtEmbedderFromFolder(spec.slice(5));
  if (isDir(spec)) {
    if (isExpertDir(spec)) {
      if (baseOf !== null) throw new Error(expertChainMessage(baseOf));
      if (opts.forTraining)
        throw new Error(
          `--base ${spec} is an expert: an expert over an expert is not supported; train over its base model (${baseModelOf(spec) ?? 'see its expert.json'}), and merge the experts if you want both`,
        );
      return loadExpertNode(spec, log, opts);
    }
    if (existsSync(join(spec, 'model.safetensors')) || existsSync(join(spec, SHARD_INDEX)))
      return loadHfModel(spec, { weightFormat: opts.weightFormat, limits: opts.limits });
    if (existsSync(join(spec, 'onnx', 'model.onnx'))) return loadOrtEmbedderFromFolder(spec);
    if (existsSync(join(spec, PEFT_CONFIG))) throw new Error(peftOnlyMessage(spec));
    throw new Error(`${spec}: neither model.safetensors (Hugging Face) nor onnx/model.onnx found`);
  }
  if (isRemote(spec)) {
    if (baseOf !== null && !opts.allowNetwork)
      throw new Error(
        `${join(baseOf, EXPERT_JSON)}: its base model "${spec}" is a ${/^https?:/i.test(spec) ? 'URL' : 'hub id'} and would be downloaded; pass --allow-network to allow that, or download the model yourself and set "baseModel" to its folder`,
      );
    let last = '';
    return loadHfModel(spec, {
      weightFormat: opts.weightFormat,
      limits: opts.limits,
      onProgress: (p) => {
        const pct = p.total ? ` ${Math.round((100 * p.loaded) / p.total)}%` : ` ${p.loaded} bytes`;
        const line = `${p.file}${p.fromCache ? ' (cache)' : ''}${pct}`;
        if (line !== last && (p.loaded === p.total || p.loaded === 0)) log(line);
        last = line;
      },
    });
  }
  throw new Error(
    `unknown model "${spec}"${baseOf === null ? '' : ` (the base model in ${join(baseOf, EXPERT_JSON)})`}: not a built-in (${listModels()
      .map((m) => m.id)
      .join(', ')}), a folder, or a hub id`,
  );
}

/** The base model an expert folder records, or null when its expert.json cannot be read. */
function baseModelOf(dir: string): string | null {
  try {
    const b = (JSON.parse(readFileSync(join(dir, EXPERT_JSON), 'utf8')) as { baseModel?: unknown }).baseModel;
    return typeof b === 'string' ? b : null;
  } catch {
    return null;
  }
}

const sameDir = (a: string, b: string) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

/** Why an expert whose base is an expert is refused: itself, a cycle, or a chain (followed up to 16 links). */
function expertChainMessage(dir: string): string {
  const file = join(dir, EXPERT_JSON);
  const first = baseModelOf(dir) as string;
  if (sameDir(first, dir))
    return `${file}: its base model "${first}" is this expert itself; set "baseModel" to the model it was trained over (a built-in id such as use-lite or glove, a model folder, or a hub id)`;
  const path = [dir];
  let cur: string | null = first;
  let cycle = false;
  while (cur !== null && path.length < 16) {
    path.push(cur);
    if (path.slice(0, -1).some((p) => sameDir(p, cur as string))) {
      cycle = true;
      break;
    }
    cur = isDir(cur) && isExpertDir(cur) ? baseModelOf(cur) : null;
  }
  const shown = path.map((p) => `"${p}"`).join(' → ');
  return cycle
    ? `${file}: its base model "${first}" is an expert, and the experts' base models form a cycle (${shown}); an expert's base must be a model, not another expert: set "baseModel" to the model it was trained over`
    : `${file}: its base model "${first}" is itself an expert (${shown}); an expert over an expert is not supported: use a model as the base (train over ${JSON.stringify(path.at(-1))}), and merge the experts if you want both`;
}

/** A folder with a PEFT adapter (adapter_config.json) but no expert.json: what it is and how to use it. */
function peftOnlyMessage(dir: string): string {
  let base = '';
  try {
    const c = JSON.parse(readFileSync(join(dir, PEFT_CONFIG), 'utf8')) as {
      base_model_name_or_path?: unknown;
    };
    if (typeof c.base_model_name_or_path === 'string') base = c.base_model_name_or_path;
  } catch {
    /* named below */
  }
  const example = JSON.stringify({
    id: 'my-lora',
    name: 'my lora',
    baseModel: base || '<the base model: id, folder or hub id>',
    method: 'lora',
    config: {},
    data: { source: 'peft', pairs: 0, negatives: 'unknown' },
  });
  return `${dir}: holds a PEFT LoRA adapter (${PEFT_CONFIG}${existsSync(join(dir, PEFT_WEIGHTS)) ? ` + ${PEFT_WEIGHTS}` : ''}), not a model: an adapter runs over its base model${base ? ` ("${base}")` : ''}. To use it as an expert, add ${join(dir, EXPERT_JSON)} such as ${example} (r, lora_alpha and target_modules are read from ${PEFT_CONFIG}); or pass the base model itself to --model`;
}

/**
 * An expert folder (expert.json + adapter.safetensors, or PEFT adapter_model.safetensors): its base model
 * (a model, never another expert) with the trained weights, under the templates it was trained with.
 */
async function loadExpertNode(
  dir: string,
  log: (msg: string) => void,
  opts: ResolveOptions,
): Promise<Embedder> {
  const { record, weights } = await readExpertDir(dir);
  const base = await resolve(record.baseModel, log, opts, dir);
  const e = expertEmbedder(base, record, weights, `${record.baseModel}+${record.id}`);
  log(
    `expert ${record.id}: ${record.method} over ${record.baseModel}, ${record.data.pairs} pairs (${record.data.negatives})`,
  );
  return e;
}
