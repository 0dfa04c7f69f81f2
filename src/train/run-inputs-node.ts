/** The identity of a training run's inputs (pairs file, base model, templates), for checkpoints to carry. */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { TextTemplates } from '../models/types';
import { sha256Hex, type RunInputs } from './checkpoint-node';
import type { TrainingPair } from './types';
import { policyLabel, type PromptPolicy } from '../prompts/policy';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** sha256 of a model: of its folder's files (names and bytes, checkpoints left out), or of its id. */
export async function modelSha256(spec: string): Promise<string> {
  if (!(existsSync(spec) && statSync(spec).isDirectory())) return sha256Hex(`model id ${spec}`);
  const h = createHash('sha256');
  for (const f of await listFiles(spec)) {
    const name = relative(spec, f);
    if (/^checkpoint\.|\.tmp$/.test(name)) continue;
    h.update(`${name}\0`);
    for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

export async function runInputs(
  dataFile: string,
  dataBytes: Uint8Array,
  pairs: readonly TrainingPair[],
  baseModel: string,
  templates: TextTemplates,
  prompts?: PromptPolicy,
): Promise<RunInputs> {
  return {
    dataFile,
    dataSha256: sha256Hex(dataBytes),
    pairsSha256: sha256Hex(JSON.stringify(pairs)),
    baseModel,
    baseSha256: await modelSha256(baseModel),
    templatesSha256: sha256Hex(JSON.stringify({ query: templates.query, passage: templates.passage })),
    ...(prompts && prompts.kind !== 'none'
      ? { prompts: policyLabel(prompts), promptsSha256: sha256Hex(JSON.stringify(prompts)) }
      : {}),
  };
}
