/**
 * Training runs and experts in IndexedDB: a run's record, its pairs and its latest checkpoint (params,
 * optimiser state, history) in `trainRuns`/`trainData`/`trainCheckpoints`; an expert's recipe in
 * `experts` and its weights apart in `expertWeights`. Every multi-store write is one transaction.
 */
import { expertModelId, type ExpertRecord } from '../experts/record';
import type { TrainCheckpoint, TrainingPair } from '../train/types';
import { studioDb, writeTx, type ExpertWeight, type StudioDB } from './db';
import { deleteEmbeddings } from './embeddings';
import type { TrainRunRecord, TrainStatus } from './training-types';

export class TrainRunNotFoundError extends Error {
  constructor(id: string) {
    super(`no training run "${id}"`);
    this.name = 'TrainRunNotFoundError';
  }
}
export class ExpertNotFoundError extends Error {
  constructor(id: string) {
    super(`no expert "${id}"`);
    this.name = 'ExpertNotFoundError';
  }
}

const ckptBytes = (c: TrainCheckpoint) =>
  [c.params, c.m, c.v].reduce((n, r) => n + Object.values(r).reduce((k, a) => k + a.byteLength, 0), 0);

export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 0x100000000).toString(36)}`;
}

/** Stores a new run with its pairs. */
export async function createTrainRun(
  rec: TrainRunRecord,
  pairs: TrainingPair[],
  db?: StudioDB,
): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['trainRuns', 'trainData'], `training run ${rec.spec.name}`, async (tx) => {
    await tx.objectStore('trainRuns').put(rec);
    await tx.objectStore('trainData').put({ runId: rec.id, pairs });
  });
}

/** Runs, newest first. */
export async function listTrainRuns(db?: StudioDB): Promise<TrainRunRecord[]> {
  db ??= await studioDb();
  return (await db.getAll('trainRuns')).sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
  );
}

export async function getTrainRun(id: string, db?: StudioDB): Promise<TrainRunRecord> {
  db ??= await studioDb();
  const rec = await db.get('trainRuns', id);
  if (!rec) throw new TrainRunNotFoundError(id);
  return rec;
}

export async function getTrainPairs(id: string, db?: StudioDB): Promise<TrainingPair[]> {
  db ??= await studioDb();
  const rec = await db.get('trainData', id);
  if (!rec) throw new TrainRunNotFoundError(id);
  return rec.pairs;
}

export async function getCheckpoint(runId: string, db?: StudioDB): Promise<TrainCheckpoint | undefined> {
  db ??= await studioDb();
  return db.get('trainCheckpoints', runId);
}

/** Replaces the run's checkpoint and moves its record to that step, in one transaction. */
export async function saveCheckpoint(c: TrainCheckpoint, db?: StudioDB): Promise<TrainRunRecord> {
  db ??= await studioDb();
  return writeTx(
    db,
    ['trainRuns', 'trainCheckpoints'],
    `checkpoint of run ${c.runId} at step ${c.step}`,
    async (tx) => {
      const rec = await tx.objectStore('trainRuns').get(c.runId);
      if (!rec) throw new TrainRunNotFoundError(c.runId);
      const next: TrainRunRecord = {
        ...rec,
        step: c.step,
        history: c.history,
        updatedAt: new Date().toISOString(),
      };
      await tx.objectStore('trainCheckpoints').put(c);
      await tx.objectStore('trainRuns').put(next);
      return next;
    },
    ckptBytes(c),
  );
}

export async function setRunStatus(
  id: string,
  status: TrainStatus,
  error: string | null = null,
  db?: StudioDB,
): Promise<TrainRunRecord> {
  db ??= await studioDb();
  return writeTx(db, ['trainRuns'], `status of run ${id}`, async (tx) => {
    const rec = await tx.objectStore('trainRuns').get(id);
    if (!rec) throw new TrainRunNotFoundError(id);
    const next: TrainRunRecord = { ...rec, status, error, updatedAt: new Date().toISOString() };
    await tx.objectStore('trainRuns').put(next);
    return next;
  });
}

/** The end of a run: its final checkpoint, the expert and its weights, and the run marked done. */
export async function finishTrainRun(
  c: TrainCheckpoint,
  expert: ExpertRecord,
  weights: ExpertWeight[],
  db?: StudioDB,
): Promise<TrainRunRecord> {
  db ??= await studioDb();
  const bytes = ckptBytes(c) + weights.reduce((n, w) => n + w.data.byteLength, 0);
  return writeTx(
    db,
    ['trainRuns', 'trainCheckpoints', 'experts', 'expertWeights'],
    `expert ${expert.name}`,
    async (tx) => {
      const rec = await tx.objectStore('trainRuns').get(c.runId);
      if (!rec) throw new TrainRunNotFoundError(c.runId);
      const next: TrainRunRecord = {
        ...rec,
        status: 'done',
        step: c.step,
        history: c.history,
        expertId: expert.id,
        error: null,
        updatedAt: new Date().toISOString(),
      };
      await tx.objectStore('trainCheckpoints').put(c);
      await tx.objectStore('experts').put(expert);
      await tx.objectStore('expertWeights').put({ id: expert.id, weights });
      await tx.objectStore('trainRuns').put(next);
      return next;
    },
    bytes,
  );
}

/** Deletes a run, its pairs and checkpoint (an expert it produced stays). */
export async function deleteTrainRun(id: string, db?: StudioDB): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['trainRuns', 'trainData', 'trainCheckpoints'], `deletion of run ${id}`, async (tx) => {
    await tx.objectStore('trainRuns').delete(id);
    await tx.objectStore('trainData').delete(id);
    await tx.objectStore('trainCheckpoints').delete(id);
  });
}

/** Experts, oldest first. */
export async function listExperts(db?: StudioDB): Promise<ExpertRecord[]> {
  db ??= await studioDb();
  return (await db.getAll('experts')).sort(
    (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
  );
}

export async function getExpert(
  id: string,
  db?: StudioDB,
): Promise<{ expert: ExpertRecord; weights: ExpertWeight[] }> {
  db ??= await studioDb();
  const tx = db.transaction(['experts', 'expertWeights'], 'readonly');
  const [expert, w] = await Promise.all([
    tx.objectStore('experts').get(id),
    tx.objectStore('expertWeights').get(id),
  ]);
  if (!expert || !w) throw new ExpertNotFoundError(id);
  return { expert, weights: w.weights };
}

/** Stores an expert (e.g. an import) with its weights. */
export async function saveExpert(
  expert: ExpertRecord,
  weights: ExpertWeight[],
  db?: StudioDB,
): Promise<void> {
  db ??= await studioDb();
  await writeTx(
    db,
    ['experts', 'expertWeights'],
    `expert ${expert.name}`,
    async (tx) => {
      await tx.objectStore('experts').put(expert);
      await tx.objectStore('expertWeights').put({ id: expert.id, weights });
    },
    weights.reduce((n, w) => n + w.data.byteLength, 0),
  );
}

export async function updateExpert(
  id: string,
  patch: Partial<Pick<ExpertRecord, 'name' | 'metrics' | 'instruction'>>,
  db?: StudioDB,
): Promise<ExpertRecord> {
  db ??= await studioDb();
  return writeTx(db, ['experts'], `expert ${id}`, async (tx) => {
    const rec = await tx.objectStore('experts').get(id);
    if (!rec) throw new ExpertNotFoundError(id);
    const next: ExpertRecord = {
      ...rec,
      ...patch,
      metrics: patch.metrics ? { ...rec.metrics, ...patch.metrics } : rec.metrics,
    };
    await tx.objectStore('experts').put(next);
    return next;
  });
}

/** Deletes an expert, its weights and its cached corpus embeddings (evaluation runs stay). */
export async function deleteExpert(id: string, db?: StudioDB): Promise<void> {
  db ??= await studioDb();
  await writeTx(db, ['experts', 'expertWeights'], `deletion of expert ${id}`, async (tx) => {
    await tx.objectStore('experts').delete(id);
    await tx.objectStore('expertWeights').delete(id);
  });
  await deleteEmbeddings({ model: expertModelId(id) }, db);
}
