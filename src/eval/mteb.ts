/**
 * MTEB-style results JSON of one evaluation (one task = one dataset split), as the `mteb` package writes
 * them in results/<model>/<revision>/<Task>.json: the measures under MTEB's names for every cutoff
 * (ndcg_at_10, map_at_100, recall_at_100, precision_at_10, mrr_at_10, …) with main_score = ndcg_at_10.
 */
import { CUTOFFS, type EvalReport, type Measure, type MetricKey } from './types';

/** The mteb version whose results layout this follows. */
export const MTEB_VERSION = '1.14.0';

const MTEB_NAMES: Record<Measure, string> = {
  ndcg: 'ndcg_at',
  map: 'map_at',
  recall: 'recall_at',
  p: 'precision_at',
  mrr: 'mrr_at',
};

export interface MtebScoreEntry {
  [key: string]: number | string | string[];
  main_score: number;
  hf_subset: string;
  languages: string[];
}

export interface MtebResult {
  dataset_revision: string;
  task_name: string;
  mteb_version: string;
  evaluation_time: number;
  kg_co2_emissions: null;
  scores: Record<string, MtebScoreEntry[]>;
}

export interface MtebOptions {
  /** default: the dataset name */
  taskName?: string;
  /** default: the dataset's fingerprint when known, else "local" */
  revision?: string;
  /** default ["eng-Latn"] */
  languages?: string[];
}

/** The MTEB name of a studio metric key ("ndcg@10" -> "ndcg_at_10", "p@5" -> "precision_at_5"). */
export function mtebKey(key: MetricKey): string {
  const [measure, k] = key.split('@') as [Measure, string];
  return `${MTEB_NAMES[measure]}_${k}`;
}

/** The results JSON of one report; the split is the report's (MTEB's "test" for a test split). */
export function mtebResult(report: EvalReport, opts: MtebOptions = {}): MtebResult {
  const entry: MtebScoreEntry = {
    main_score: report.metrics['ndcg@10'],
    hf_subset: 'default',
    languages: opts.languages ?? ['eng-Latn'],
  };
  for (const measure of Object.keys(MTEB_NAMES) as Measure[])
    for (const k of CUTOFFS) {
      const key = `${measure}@${k}` as MetricKey;
      const v = report.metrics[key];
      if (typeof v === 'number') entry[mtebKey(key)] = v;
    }
  return {
    dataset_revision: opts.revision ?? 'local',
    task_name: opts.taskName ?? report.dataset,
    mteb_version: MTEB_VERSION,
    evaluation_time: report.seconds,
    kg_co2_emissions: null,
    scores: { [report.split]: [entry] },
  };
}

/** A file name for a task's results: MTEB names them <task_name>.json; unsafe characters become '_'. */
export function mtebFileName(result: MtebResult): string {
  return `${result.task_name.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`;
}
