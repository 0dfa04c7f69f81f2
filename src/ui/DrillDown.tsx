import type { DocView } from '../worker/protocol';
import { useUi } from './context';
import { metric } from './format';
import { Help } from './help/Help';
import { MARK_HELP, metricHelp } from './help/metric-help';

/** ✓ relevant (with its grade), ✗ judged not relevant, · unjudged. */
export function GradeMark({ grade }: { grade: number | null }) {
  const cls = grade === null ? 'unjudged' : grade > 0 ? 'relevant' : 'nonrelevant';
  const text = grade === null ? '·' : grade > 0 ? `✓${grade}` : '✗';
  const title =
    grade === null ? 'not judged' : grade > 0 ? `relevant, grade ${grade}` : 'judged not relevant';
  return (
    <span className={`mark ${cls}`} title={title} data-testid="grade-mark" data-grade={grade ?? ''}>
      {text}
    </span>
  );
}

/** The marks and what they mean, each with its explanation. */
function MarkLegend() {
  return (
    <div className="row wrap legend small" data-testid="mark-legend">
      {(['relevant', 'nonrelevant', 'unjudged', 'graded'] as const).map((k) => (
        <span key={k} className="legend-item">
          {MARK_HELP[k].label}
          <Help topic={MARK_HELP[k].label} text={MARK_HELP[k].text} />
        </span>
      ))}
    </div>
  );
}

/** One ranked document: rank, grade mark, id, title, score and the start of its text. */
export function Doc({ d, testId, kept }: { d: DocView; testId: string; kept: number }) {
  return (
    <li className="doc" data-testid={testId} data-doc={d.id}>
      <div className="doc-head">
        <span
          className="rank"
          title={d.rank === null ? `not among the ${kept} best hits kept for this run` : undefined}
        >
          {d.rank === null ? `not in top ${kept}` : `#${d.rank}`}
        </span>
        <GradeMark grade={d.grade} />
        <span className="mono small">{d.id}</span>
        {d.title && <span className="strong">{d.title}</span>}
        {d.score !== null && <span className="muted small score">score {d.score.toFixed(3)}</span>}
      </div>
      <div className="snippet">{d.snippet}</div>
    </li>
  );
}

export function DrillDown() {
  const qid = useUi((s) => s.selectedQid);
  const details = useUi((s) => s.details);
  if (!qid) return <div className="card drill muted">Click a query to see its ranking.</div>;
  if (!details) return <div className="card drill muted">Loading query {qid}…</div>;
  return (
    <div className="card drill" data-testid="drilldown">
      <div className="muted small">Query {details.qid}</div>
      <h3 data-testid="drill-query-text">{details.text}</h3>
      <div className="row wrap">
        {(['ndcg@10', 'recall@100', 'mrr@10', 'p@10'] as const).map((k) => (
          <span key={k} className="chip" data-testid="drill-metric" data-metric={k}>
            {metricHelp(k).label} {metric(details.metrics[k])}
            <Help topic={metricHelp(k).label} text={metricHelp(k).text} />
          </span>
        ))}
      </div>
      <MarkLegend />
      <h4>Top 10</h4>
      <ol className="docs" data-testid="drill-top">
        {details.top.map((d) => (
          <Doc key={d.id} d={d} testId="drill-hit" kept={details.kept} />
        ))}
      </ol>
      <h4>Relevant documents missed ({details.missed.length})</h4>
      {details.missed.length === 0 ? (
        <p className="muted" data-testid="drill-none-missed">
          Every relevant document is in the top 10.
        </p>
      ) : (
        <ul className="docs" data-testid="drill-missed">
          {details.missed.map((d) => (
            <Doc key={d.id} d={d} testId="drill-miss" kept={details.kept} />
          ))}
        </ul>
      )}
    </div>
  );
}
