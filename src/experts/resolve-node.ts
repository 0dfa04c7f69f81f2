import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadHfModel } from '../models/hf';
import { loadOrtEmbedderFromFolder } from '../models/ort/node';
import { isBuiltinModel, listModels, loadEmbedder } from '../models/registry';
import { nodeAssetFetcher } from '../models/node-assets';
import type { Embedder } from '../models/types';
import { expertEmbedder } from './embedder';
import { isExpertDir, readExpertDir } from './files-node';

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/**
 * Resolves a CLI --model value in Node: a built-in id; a local folder holding a Hugging Face model
 * (config.json + model.safetensors: the studio's own kernels) or an ONNX export (onnx/model.onnx:
 * onnxruntime-web; "onnx:<folder>" forces ONNX when a folder has both); otherwise a hub id "org/name" or an http(s) URL, downloaded with progress.
 */
export async function resolveModelNode(spec: string, log: (msg: string) => void): Promise<Embedder> {
  if (isBuiltinModel(spec)) return loadEmbedder(spec, nodeAssetFetcher());
  if (spec.startsWith('onnx:')) return loadOrtEmbedderFromFolder(spec.slice(5));
  if (isDir(spec)) {
    if (isExpertDir(spec)) return loadExpertNode(spec, log);
    if (existsSync(join(spec, 'model.safetensors'))) return loadHfModel(spec);
    if (existsSync(join(spec, 'onnx', 'model.onnx'))) return loadOrtEmbedderFromFolder(spec);
    throw new Error(`${spec}: neither model.safetensors (Hugging Face) nor onnx/model.onnx found`);
  }
  if (/^https?:\/\//i.test(spec) || /^[\w.-]+\/[\w.-]+$/.test(spec)) {
    let last = '';
    return loadHfModel(spec, {
      onProgress: (p) => {
        const pct = p.total ? ` ${Math.round((100 * p.loaded) / p.total)}%` : ` ${p.loaded} bytes`;
        const line = `${p.file}${p.fromCache ? ' (cache)' : ''}${pct}`;
        if (line !== last && (p.loaded === p.total || p.loaded === 0)) log(line);
        last = line;
      },
    });
  }
  throw new Error(
    `unknown model "${spec}": not a built-in (${listModels()
      .map((m) => m.id)
      .join(', ')}), a folder, or a hub id`,
  );
}

/**
 * An expert folder (expert.json + adapter.safetensors, or PEFT adapter_model.safetensors): its base model
 * (resolved like any --model value) with the trained weights, under the templates it was trained with.
 */
async function loadExpertNode(dir: string, log: (msg: string) => void): Promise<Embedder> {
  const { record, weights } = await readExpertDir(dir);
  const base = await resolveModelNode(record.baseModel, log);
  const e = expertEmbedder(base, record, weights, `${record.baseModel}+${record.id}`);
  log(
    `expert ${record.id}: ${record.method} over ${record.baseModel}, ${record.data.pairs} pairs (${record.data.negatives})`,
  );
  return e;
}
