/** Training checkpoints on disk: <dir>/checkpoint.json (run, step, config, history) + <dir>/checkpoint.safetensors. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSafetensors, writeSafetensors, type WritableTensor } from '../models/hf/safetensors';
import type { TrainCheckpoint } from './types';

const JSON_FILE = 'checkpoint.json';
const TENSOR_FILE = 'checkpoint.safetensors';

/** Writes both files through temporary names, so a crash mid-write leaves the previous checkpoint whole. */
export async function writeCheckpointDir(dir: string, ck: TrainCheckpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, WritableTensor>();
  for (const [kind, rec] of [
    ['param', ck.params],
    ['m', ck.m],
    ['v', ck.v],
  ] as const) {
    for (const [name, data] of Object.entries(rec))
      tensors.set(`${kind}/${name}`, { shape: [data.length], data });
  }
  const { params: _p, m: _m, v: _v, ...meta } = ck;
  await writeFile(join(dir, `${TENSOR_FILE}.tmp`), new Uint8Array(writeSafetensors(tensors)));
  await writeFile(join(dir, `${JSON_FILE}.tmp`), JSON.stringify(meta));
  await rename(join(dir, `${TENSOR_FILE}.tmp`), join(dir, TENSOR_FILE));
  await rename(join(dir, `${JSON_FILE}.tmp`), join(dir, JSON_FILE));
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, JSON_FILE)) && existsSync(join(dir, TENSOR_FILE));
}

export async function readCheckpointDir(dir: string): Promise<TrainCheckpoint> {
  const meta = JSON.parse(await readFile(join(dir, JSON_FILE), 'utf8')) as Omit<
    TrainCheckpoint,
    'params' | 'm' | 'v'
  >;
  const b = await readFile(join(dir, TENSOR_FILE));
  const file = join(dir, TENSOR_FILE);
  const ck: TrainCheckpoint = { ...meta, params: {}, m: {}, v: {} };
  for (const [key, t] of parseSafetensors(
    b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
    file,
  )) {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (kind === 'param') ck.params[name] = t.data;
    else if (kind === 'm' || kind === 'v') ck[kind][name] = t.data;
    else throw new Error(`${file}: unexpected tensor "${key}"`);
  }
  return ck;
}
