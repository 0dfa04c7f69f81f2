/** Evaluation runs: the report in `runs`, the best-first hits kept for drill-down in `runHits`. */
import { compareHits } from '../eval/metrics';
import type { EvalReport, Hit, Run } from '../eval/types';
import { studioDb, writeTx, type RunHitsRecord, type RunRecord, type StudioDB } from './db';

/** How many hits per query a run keeps for drill-down unless told otherwise. */
export const DEFAULT_KEPT_HITS = 100;

export class RunNotFoundError extends Error {
  constructor(readonly runId: string) {
    super(`No stored run with id "${runId}".`);
    this.name = 'RunNotFoundError';
  }
}

export interface StoredRun extends RunRecord {
  /** qid -> best-first hits (at most `kept`) */
  hits: Record<string, Hit[]>;
  kept: number;
}

function newRunId(createdAt: string): string {
  const rnd = Math.floor(Math.random() * 0x100000000).toString(36);
  return `run-${Date.parse(createdAt).toString(36)}-${rnd}`;
}

/** Stores a report and the top `keep` hits of each query (10..1000) in one transaction; returns the id. */
export async function saveRun(
  report: EvalReport,
  run: Run,
  keep = DEFAULT_KEPT_HITS,
  db?: StudioDB,
): Promise<StoredRun> {
  if (!Number.isInteger(keep) || keep < 10 || keep > 1000)
    throw new RangeError(`keep must be an integer in 10..1000, got ${keep}`);
  db ??= await studioDb();
  const id = newRunId(report.createdAt);
  const hits: Record<string, Hit[]> = {};
  let n = 0;
  for (const [qid, h] of run) {
    hits[qid] = [...h]
      .sort(compareHits)
      .slice(0, keep)
      .map((x) => ({ docId: x.docId, score: x.score }));
    n += hits[qid].length;
  }
  const rec: RunRecord = {
    id,
    dataset: report.dataset,
    split: report.split,
    retriever: report.retriever,
    backend: report.backend,
    createdAt: report.createdAt,
    report,
  };
  const hitsRec: RunHitsRecord = { id, dataset: report.dataset, hits, kept: keep };
  await writeTx(
    db,
    ['runs', 'runHits'],
    `run ${report.retriever} on ${report.dataset}`,
    async (tx) => {
      await tx.objectStore('runs').put(rec);
      await tx.objectStore('runHits').put(hitsRec);
    },
    n * 40,
  );
  return { ...rec, hits, kept: keep };
}

/** Stored runs (reports only), newest first; of one dataset when given. */
export async function listRuns(dataset?: string, db?: StudioDB): Promise<RunRecord[]> {
  db ??= await studioDb();
  const all =
    dataset === undefined
      ? await db.getAllFromIndex('runs', 'by-createdAt')
      : await db.getAllFromIndex('runs', 'by-dataset', dataset);
  return all.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** A run with its hits. */
export async function getRun(id: string, db?: StudioDB): Promise<StoredRun> {
  db ??= await studioDb();
  const tx = db.transaction(['runs', 'runHits'], 'readonly');
  const [rec, hits] = await Promise.all([tx.objectStore('runs').get(id), tx.objectStore('runHits').get(id)]);
  if (!rec) throw new RunNotFoundError(id);
  return { ...rec, hits: hits?.hits ?? {}, kept: hits?.kept ?? 0 };
}

export async function deleteRun(id: string, db?: StudioDB): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['runs', 'runHits'], `deletion of run ${id}`, async (tx) => {
    await tx.objectStore('runs').delete(id);
    await tx.objectStore('runHits').delete(id);
  });
}
