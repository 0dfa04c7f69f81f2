/** Experts as folders on disk (Node: CLI and tests). */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPERT_JSON, expertFiles, readExpert, type ExpertWeights } from './files';
import type { ExpertRecord } from './record';

export async function writeExpertDir(
  dir: string,
  record: ExpertRecord,
  weights: ExpertWeights,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (const [name, body] of expertFiles(record, weights)) {
    await writeFile(join(dir, name), typeof body === 'string' ? body : new Uint8Array(body));
    names.push(name);
  }
  return names;
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
