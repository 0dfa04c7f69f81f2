/**
 * Training checkpoints on disk: <dir>/checkpoint.json (run, step, config, history, identity) +
 * <dir>/checkpoint.safetensors (params and moments; its __metadata__ repeats the step and the identity).
 * Both are written through temporary names (fsynced, then renamed, the json last), and a resume checks that
 * the two files are from the same step and the same run, and that the run's inputs are the ones it started with.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  parseSafetensors,
  SafetensorsFile,
  writeSafetensors,
  type WritableTensor,
} from '../models/hf/safetensors';
import { writeFilesAtomic } from '../util/fs-node';
import type { TrainCheckpoint, TrainConfig } from './types';

const JSON_FILE = 'checkpoint.json';
const TENSOR_FILE = 'checkpoint.safetensors';

/** What a run started with (hashes are sha256 hex); a resume must find the same. */
export interface RunInputs {
  /** the training pairs file and the sha256 of its bytes */
  dataFile: string;
  dataSha256: string;
  /** sha256 of the pairs drawn from it for training (--max-pairs and the seed decide which) */
  pairsSha256: string;
  /** the base model as given, and the sha256 of its files (of the id for a built-in or hub model) */
  baseModel: string;
  baseSha256: string;
  /** sha256 of the query and passage templates the texts are put in */
  templatesSha256: string;
  /** the query prompt policy (src/prompts/policy.ts) and its sha256; absent: none (and in older checkpoints) */
  prompts?: string;
  promptsSha256?: string;
}

/** The identity a checkpoint carries in both files. */
interface CheckpointIdentity extends RunInputs {
  step: number;
  runId: string;
  configSha256: string;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
export const configSha256 = (config: TrainConfig) => sha256Hex(JSON.stringify(config));

const META_KEYS: Record<keyof CheckpointIdentity, string> = {
  step: 'step',
  runId: 'run_id',
  configSha256: 'config_sha256',
  dataFile: 'data_file',
  dataSha256: 'data_sha256',
  pairsSha256: 'pairs_sha256',
  baseModel: 'base_model',
  baseSha256: 'base_sha256',
  templatesSha256: 'templates_sha256',
  prompts: 'prompts',
  promptsSha256: 'prompts_sha256',
};

const FIELD_NAMES: Record<keyof CheckpointIdentity, string> = {
  step: 'step',
  runId: 'run id',
  configSha256: 'configuration hash',
  dataFile: 'pairs file',
  dataSha256: 'pairs file hash',
  pairsSha256: 'drawn pairs hash',
  baseModel: 'base model',
  baseSha256: 'base model hash',
  templatesSha256: 'templates hash',
  prompts: 'query prompts',
  promptsSha256: 'query prompts hash',
};

/**
 * Writes both files through temporary names, the json renamed last: a crash leaves the previous checkpoint
 * whole, or (between the renames) a pair whose steps differ, which readCheckpointDir refuses.
 */
export async function writeCheckpointDir(
  dir: string,
  ck: TrainCheckpoint,
  inputs?: RunInputs,
): Promise<void> {
  const tensors = new Map<string, WritableTensor>();
  for (const [kind, rec] of [
    ['param', ck.params],
    ['m', ck.m],
    ['v', ck.v],
  ] as const) {
    for (const [name, data] of Object.entries(rec))
      tensors.set(`${kind}/${name}`, { shape: [data.length], data });
  }
  const identity: Partial<CheckpointIdentity> = {
    step: ck.step,
    runId: ck.runId,
    configSha256: configSha256(ck.config),
    ...inputs,
  };
  const metadata: Record<string, string> = { format: 'stm-checkpoint' };
  for (const [k, v] of Object.entries(identity))
    if (v !== undefined) metadata[META_KEYS[k as keyof CheckpointIdentity]] = String(v);
  const { params: _p, m: _m, v: _v, ...meta } = ck;
  await writeFilesAtomic(dir, [
    [TENSOR_FILE, writeSafetensors(tensors, metadata)],
    [JSON_FILE, JSON.stringify({ ...meta, identity })],
  ]);
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, JSON_FILE)) && existsSync(join(dir, TENSOR_FILE));
}

const startOver = (dir: string) =>
  `delete ${join(dir, JSON_FILE)} and ${join(dir, TENSOR_FILE)} to start the run over (without --resume)`;

/**
 * Reads a checkpoint; throws a CheckpointError naming the file when it is unreadable, when its two files
 * are not from the same step and run, or (given `expected`) when the run's inputs have changed since.
 */
export async function readCheckpointDir(dir: string, expected?: RunInputs): Promise<TrainCheckpoint> {
  const jsonFile = join(dir, JSON_FILE);
  const file = join(dir, TENSOR_FILE);
  let meta: Omit<TrainCheckpoint, 'params' | 'm' | 'v'> & { identity?: Partial<CheckpointIdentity> };
  try {
    meta = JSON.parse(await readFile(jsonFile, 'utf8')) as typeof meta;
    if (typeof meta !== 'object' || meta === null || typeof meta.step !== 'number')
      throw new Error('no "step" number');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    throw new CheckpointError(
      `${jsonFile}: not a readable checkpoint (${(e as Error).message}; truncated by a crash or an edit?): ${startOver(dir)}`,
    );
  }
  const b = await readFile(file);
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  const stored = SafetensorsFile.open(buf, file).metadata;
  const mismatch: string[] = [];
  const id = meta.identity ?? {};
  for (const [k, mk] of Object.entries(META_KEYS) as [keyof CheckpointIdentity, string][]) {
    const inJson = k === 'step' ? meta.step : k === 'runId' ? meta.runId : id[k];
    if (String(stored[mk] ?? '') !== String(inJson ?? ''))
      mismatch.push(`${FIELD_NAMES[k]} ${String(stored[mk] ?? '(none)')} vs ${String(inJson ?? '(none)')}`);
  }
  if (mismatch.length > 0)
    throw new CheckpointError(
      `${dir}: ${TENSOR_FILE} and ${JSON_FILE} are not from the same checkpoint (${mismatch.join('; ')}, safetensors vs json): a crash between their writes or a copied file; ${startOver(dir)}`,
    );
  if (id.configSha256 === undefined)
    throw new CheckpointError(
      `${jsonFile}: written without the step and input hashes a resume checks (an older version of the studio): ${startOver(dir)}`,
    );
  if (configSha256(meta.config) !== id.configSha256)
    throw new CheckpointError(
      `${jsonFile}: its configuration does not match its hash (edited?): ${startOver(dir)}`,
    );
  if (expected) checkInputs(dir, id, expected);
  const ck: TrainCheckpoint = {
    runId: meta.runId,
    step: meta.step,
    config: meta.config,
    history: meta.history,
    params: {},
    m: {},
    v: {},
  };
  for (const [key, t] of parseSafetensors(buf, file)) {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (kind === 'param') ck.params[name] = t.data;
    else if (kind === 'm' || kind === 'v') ck[kind][name] = t.data;
    else throw new Error(`${file}: unexpected tensor "${key}"`);
  }
  return ck;
}

function checkInputs(dir: string, had: Partial<CheckpointIdentity>, now: RunInputs): void {
  const where = `--resume: the checkpoint in ${dir}`;
  const short = (h: string | undefined) => (h ? h.slice(0, 12) : '(none)');
  const redo = `resume with the original, or start a new run (another --out, or without --resume)`;
  if (had.dataSha256 !== now.dataSha256)
    throw new CheckpointError(
      `${where} was trained on ${had.dataFile ?? '(unknown)'} (sha256 ${short(had.dataSha256)}), but the pairs file ${now.dataFile} differs (sha256 ${short(now.dataSha256)}): ${redo}`,
    );
  if (had.pairsSha256 !== now.pairsSha256)
    throw new CheckpointError(
      `${where} was trained on other pairs drawn from ${now.dataFile} than this command draws (--max-pairs or --seed changed?): ${redo}`,
    );
  if (had.baseModel !== now.baseModel || had.baseSha256 !== now.baseSha256)
    throw new CheckpointError(
      `${where} started from base model ${had.baseModel ?? '(unknown)'} (sha256 ${short(had.baseSha256)}), but the base model is now ${now.baseModel} (sha256 ${short(now.baseSha256)}): ${redo}`,
    );
  if (had.templatesSha256 !== now.templatesSha256)
    throw new CheckpointError(
      `${where} was trained under other query/passage templates than ${now.baseModel} has now (sha256 ${short(had.templatesSha256)} vs ${short(now.templatesSha256)}): ${redo}`,
    );
  if ((had.promptsSha256 ?? '') !== (now.promptsSha256 ?? ''))
    throw new CheckpointError(
      `${where} was trained under query prompts ${had.prompts ?? 'none'}${had.promptsSha256 ? ` (sha256 ${short(had.promptsSha256)})` : ''}, but this command asks for ${now.prompts ?? 'none'}${now.promptsSha256 ? ` (sha256 ${short(now.promptsSha256)})` : ''}: give the run's --prompts and --prompt-format again, or ${redo}`,
    );
}
