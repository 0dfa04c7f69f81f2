/**
 * `stm eval --results-dir`: the evaluation as MTEB's results JSON, <dir>/<task>.json (src/eval/mteb.ts). As
 * MTEB keeps one file per task with its splits under "scores", a file of the same task and dataset revision
 * keeps its other splits; this split's entry is replaced.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mtebFileName, mtebResult, type MtebResult } from '../eval/mteb';
import type { EvalReport } from '../eval/types';
import { writeFailed } from './writable';

async function previous(file: string): Promise<MtebResult | 'none' | string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    return (e as Error).message;
  }
  try {
    const r = JSON.parse(text) as MtebResult;
    if (typeof r === 'object' && r && typeof r.scores === 'object' && r.scores) return r;
    return 'not an MTEB results object';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Writes the report's results JSON into `dir`; returns the file written. */
export async function writeMtebResult(
  dir: string,
  report: EvalReport,
  revision: string,
  log: (m: string) => void,
): Promise<string> {
  const result = mtebResult(report, { revision });
  const file = join(dir, mtebFileName(result));
  const old = await previous(file);
  if (typeof old === 'object') {
    if (old.task_name === result.task_name && old.dataset_revision === result.dataset_revision) {
      result.scores = { ...old.scores, ...result.scores };
      result.evaluation_time += typeof old.evaluation_time === 'number' ? old.evaluation_time : 0;
    } else
      log(
        `note: ${file} held ${old.task_name} at revision ${old.dataset_revision}, now ${result.task_name} at ${result.dataset_revision}: replaced`,
      );
  } else if (old !== 'none') log(`note: ${file} could not be read (${old}): replaced`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(file, JSON.stringify(result, null, 2) + '\n');
  } catch (e) {
    throw writeFailed('the MTEB results', file, e);
  }
  return file;
}
