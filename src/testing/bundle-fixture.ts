/**
 * A studio database with something in every store (real med slice, a run, an expert with weights, a model
 * with files, a synthetic set, a training run with its checkpoint, settings), and a snapshot of every store
 * to compare databases with — for the project bundle tests.
 */
import type { Dataset } from '../data/types';
import type { EvalReport, Run } from '../eval/types';
import type { StudioDB } from '../store/db';
import { saveDataset } from '../store/datasets';
import { saveRun } from '../store/runs';
import { saveSettings } from '../store/settings';

/** Float32 values a lossy encoding would break: -0, NaN, subnormals, infinities, a non-round float. */
export const AWKWARD = new Float32Array([-0, NaN, 1e-45, -Infinity, Infinity, 0.1, 3.4e38, -1.17549435e-38]);

export function slice(ds: Dataset, name: string, docs: number): Dataset {
  const kept = new Set(ds.docs.slice(0, docs).map((d) => d.id));
  const qrels: Record<string, Dataset['qrels'][string]> = {};
  for (const [split, m] of Object.entries(ds.qrels)) {
    qrels[split] = new Map();
    for (const [q, rel] of m) {
      const r = new Map([...rel].filter(([d]) => kept.has(d)));
      if (r.size) qrels[split].set(q, r);
    }
  }
  return { ...ds, name, docs: ds.docs.slice(0, docs), qrels };
}

export async function saveRunOf(db: StudioDB, ds: Dataset, createdAt: string): Promise<string> {
  const run: Run = new Map();
  for (const [qid, rel] of ds.qrels.test)
    run.set(
      qid,
      [...rel.keys()].map((d, i) => ({ docId: d, score: 10 - i })),
    );
  const metrics = { 'ndcg@10': 0.5 } as EvalReport['metrics'];
  const report: EvalReport = {
    dataset: ds.name,
    split: 'test',
    retriever: 'bm25',
    backend: 'cpu',
    metrics,
    perQuery: { '1': metrics },
    queries: ds.qrels.test.size,
    seconds: 1.5,
    createdAt,
  };
  return (await saveRun(report, run, undefined, db)).id;
}

/** Fills every store (but the embedding cache) of `db`; `tag` makes ids differ between databases. */
export async function populate(db: StudioDB, med: Dataset, tag = 'a'): Promise<void> {
  await saveDataset(slice(med, 'med', 300), db);
  await saveRunOf(db, slice(med, 'med', 300), '2026-12-01T10:00:00.000Z');
  await saveSettings(
    {
      dataset: 'med',
      retriever: 'bm25',
      backendPref: 'cpu',
      llmEndpoint: { url: 'http://localhost:1', model: 'm', apiKey: 'SECRET', rememberKey: true } as never,
    },
    db,
  );
  const weights = [
    { name: 'adapter.weight', shape: [2, 4], data: AWKWARD },
    { name: 'adapter.bias', shape: [3], data: new Float32Array(new Float32Array([1, 2, 3, 4]).buffer, 4, 3) },
  ];
  await db.put('experts', {
    id: `x-${tag}`,
    name: `expert ${tag}`,
    baseModel: 'glove',
    createdAt: '2026-12-01',
  } as never);
  await db.put('expertWeights', { id: `x-${tag}`, weights });
  const file = new Uint8Array(10_000).map((_, i) => (i * 37) & 255).buffer;
  await db.put('models', { id: `m-${tag}`, name: 'tiny', source: 'folder', files: [] } as never);
  await db.put('modelFiles', { model: `m-${tag}`, path: 'model.safetensors', index: 0, data: file });
  await db.put('modelFiles', {
    model: `m-${tag}`,
    path: 'model.safetensors',
    index: 1,
    data: file.slice(0, 7),
  });
  await db.put('synthSets', {
    id: `s-${tag}`,
    name: 'set',
    dataset: 'med',
    createdAt: '2026-12-01',
  } as never);
  for (const [i, status] of ['accepted', 'rejected', 'pending'].entries())
    await db.put('synthItems', {
      id: `i${i}`,
      set: `s-${tag}`,
      status,
      query: `q ${i}`,
      docId: 'd',
    } as never);
  await db.put('trainRuns', { id: `t-${tag}`, createdAt: '2026-12-01', status: 'done' } as never);
  await db.put('trainData', {
    runId: `t-${tag}`,
    pairs: [{ query: 'q', positive: 'p', negatives: ['n'] }],
  } as never);
  await db.put('trainCheckpoints', {
    runId: `t-${tag}`,
    step: 3,
    params: { w: AWKWARD },
    m: { w: new Float32Array(8) },
    v: { w: new Float32Array(8).fill(1e-8) },
    history: [],
    when: new Date(Date.UTC(2026, 11, 1)),
  } as never);
  await db.put('embeddings', {
    key: 'glove|med|t|passage|chunk0',
    model: 'glove',
    dataset: 'med',
    data: AWKWARD,
  });
}

/** Every store's keys and values (typed arrays as their bytes, so -0 and NaN compare exactly). */
export async function snapshot(db: StudioDB): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const bytes = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v))
      return `${v.constructor.name}:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
    if (v instanceof ArrayBuffer) return `ArrayBuffer:${Buffer.from(v).toString('hex')}`;
    if (Array.isArray(v)) return v.map(bytes);
    if (v && typeof v === 'object' && !(v instanceof Date))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bytes(x)]));
    return v;
  };
  for (const name of db.objectStoreNames) {
    const keys = await db.getAllKeys(name);
    const values = await db.getAll(name);
    out[name] = bytes(keys.map((k, i) => [k, values[i]]));
  }
  return out;
}
