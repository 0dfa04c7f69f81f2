/** Experts as folders on disk (Node: CLI and tests). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPERT_JSON, expertFiles, readExpert, type ExpertWeights } from './files';
import type { ExpertRecord } from './record';
import { writeFilesAtomic } from '../util/fs-node';

/**
 * Writes an expert's files through temporary names (each fsynced, then renamed, expert.json last), so a
 * crash leaves the old expert or the new one; returns the file names.
 */
export async function writeExpertDir(
  dir: string,
  record: ExpertRecord,
  weights: ExpertWeights,
): Promise<string[]> {
  const files = [...expertFiles(record, weights)];
  const last = files.filter(([name]) => name === EXPERT_JSON);
  await writeFilesAtomic(dir, [...files.filter(([name]) => name !== EXPERT_JSON), ...last]);
  return files.map(([name]) => name);
}

export function isExpertDir(dir: string): boolean {
  return existsSync(join(dir, EXPERT_JSON));
}

export function readExpertDir(dir: string): Promise<{ record: ExpertRecord; weights: ExpertWeights }> {
  return readExpert(async (name) => {
    const p = join(dir, name);
    if (!existsSync(p)) return null;
    const b = await readFile(p);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }).catch((e: Error) => {
    e.message = `${dir}/${e.message}`;
    throw e;
  });
}
