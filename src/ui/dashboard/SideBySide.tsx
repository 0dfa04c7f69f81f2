/** One query's two rankings side by side (the 'query-details' of each run), drawn as the drill-down draws one. */
import { useEffect, useState } from 'react';
import type { QueryDetails } from '../../worker/protocol';
import { useUi } from '../context';
import { Doc } from '../DrillDown';
import { metric } from '../format';

function Ranking({ label, d }: { label: string; d: QueryDetails | null | undefined }) {
  if (d === undefined) return <div className="muted">Loading…</div>;
  if (d === null) return <div className="muted">Could not read this ranking.</div>;
  return (
    <div data-testid="side-ranking">
      <h4>{label}</h4>
      <div className="row wrap">
        {(['ndcg@10', 'recall@100', 'mrr@10'] as const).map((k) => (
          <span key={k} className="chip">
            {k} {metric(d.metrics[k])}
          </span>
        ))}
      </div>
      <ol className="docs">
        {d.top.map((doc) => (
          <Doc key={doc.id} d={doc} testId="side-hit" kept={d.kept} />
        ))}
      </ol>
    </div>
  );
}

export function SideBySide({
  runA,
  runB,
  nameA,
  nameB,
  qid,
}: {
  runA: string;
  runB: string;
  nameA: string;
  nameB: string;
  qid: string;
}) {
  const fetch = useUi((s) => s.fetchQueryDetails);
  const [details, setDetails] = useState<{
    key: string;
    a: QueryDetails | null;
    b: QueryDetails | null;
  } | null>(null);
  const key = `${runA}|${runB}|${qid}`;
  useEffect(() => {
    let live = true;
    void Promise.all([fetch(runA, qid), fetch(runB, qid)]).then(([a, b]) => {
      if (live) setDetails({ key, a, b });
    });
    return () => {
      live = false;
    };
  }, [fetch, runA, runB, qid, key]);
  const d = details?.key === key ? details : undefined;
  return (
    <div className="side-by-side" data-testid="side-by-side" data-qid={qid}>
      <h3 data-testid="side-query-text">
        Query {qid}
        {d?.a ? `: ${d.a.text}` : ''}
      </h3>
      <div className="side-columns">
        <Ranking label={`A: ${nameA}`} d={d ? d.a : undefined} />
        <Ranking label={`B: ${nameB}`} d={d ? d.b : undefined} />
      </div>
    </div>
  );
}
