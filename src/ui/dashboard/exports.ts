/** The dashboard's downloads as files: a run's MTEB results JSON and its TREC run file (kept hits only). */
import { mtebFileName, mtebResult } from '../../eval/mteb';
import { formatTrecRun } from '../../eval/trec';
import type { Hit } from '../../eval/types';
import type { DatasetMeta, RunRecord } from '../../store/db';

export interface FileOut {
  name: string;
  text: string;
  type: string;
}

/** letters, digits, . _ - only (the rest become '_'), for file names and run tags */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
}

/**
 * MTEB results JSON of a run (task_name = the dataset, the split as the scores' key, dataset_revision =
 * the dataset's fingerprint), named "<retriever>__<task>.json": MTEB keeps <task>.json under
 * results/<model>/<revision>/, the prefix keeps the files of several models apart in a downloads folder.
 */
export function mtebFile(run: RunRecord, meta: DatasetMeta | undefined, retrieverName: string): FileOut {
  const result = mtebResult(run.report, { taskName: run.dataset, revision: meta?.fingerprint || undefined });
  return {
    name: `${slug(retrieverName)}__${mtebFileName(result)}`,
    text: `${JSON.stringify(result, null, 2)}\n`,
    type: 'application/json',
  };
}

/**
 * The TREC run file of a stored run ("qid Q0 docid rank score tag"). A stored run keeps only its best
 * `kept` hits per query (the evaluation itself ranked deeper), so the name says "top<kept>": a metric
 * at a deeper cutoff computed from this file is lower than the studio's.
 */
export function trecFile(run: RunRecord, hits: Record<string, Hit[]>, kept: number): FileOut {
  const tag = slug(run.retriever);
  const text = formatTrecRun(new Map(Object.entries(hits)), tag, kept);
  return {
    name: `${slug(run.dataset)}-${slug(run.split)}-${tag}-top${kept}.trec`,
    text,
    type: 'text/plain',
  };
}
