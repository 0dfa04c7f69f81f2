/** Builds the per-query drill-down of a stored run: the top 10 with grades, and the relevant docs missed. */
import type { Dataset, Doc } from '../../../data/types';
import type { StoredRun } from '../../../store/runs';
import type { DocView, QueryDetails } from './protocol';

const TOP = 10;
const SNIPPET = 320;

export class QueryNotFoundError extends Error {
  constructor(runId: string, qid: string) {
    super(`Run ${runId} has no query "${qid}".`);
    this.name = 'QueryNotFoundError';
  }
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length <= SNIPPET ? t : `${t.slice(0, SNIPPET - 1).trimEnd()}…`;
}

export function queryDetails(ds: Dataset, run: StoredRun, qid: string): QueryDetails {
  const metrics = run.report.perQuery[qid];
  const query = ds.queries.find((q) => q.id === qid);
  if (!metrics || !query) throw new QueryNotFoundError(run.id, qid);
  const rel = ds.qrels[run.split]?.get(qid) ?? new Map<string, number>();
  const hits = run.hits[qid] ?? [];
  const docs = new Map<string, Doc>();
  const wanted = new Set([...hits.slice(0, TOP).map((h) => h.docId), ...rel.keys()]);
  for (const d of ds.docs) if (wanted.has(d.id)) docs.set(d.id, d);
  const rankOf = new Map(hits.map((h, i) => [h.docId, i] as const));
  const view = (id: string): DocView => {
    const d = docs.get(id);
    const i = rankOf.get(id);
    return {
      id,
      title: d?.title ?? '',
      snippet: d ? snippet(d.text) : '(document no longer in the dataset)',
      grade: rel.has(id) ? (rel.get(id) as number) : null,
      rank: i === undefined ? null : i + 1,
      score: i === undefined ? null : hits[i].score,
    };
  };
  const top = hits.slice(0, TOP).map((h) => view(h.docId));
  const inTop = new Set(top.map((d) => d.id));
  const missed = [...rel.entries()]
    .filter(([id, g]) => g > 0 && !inTop.has(id))
    .map(([id]) => view(id))
    .sort(
      (a, b) =>
        (a.rank ?? Infinity) - (b.rank ?? Infinity) ||
        (b.grade ?? 0) - (a.grade ?? 0) ||
        (a.id < b.id ? -1 : 1),
    );
  return { runId: run.id, qid, text: query.text, metrics, top, missed, kept: run.kept };
}
