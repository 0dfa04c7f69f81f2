/** The prompt search's leaderboard: each instruction with its nDCG@10, 95% interval (drawn), queries and rung. */
import type { PromptScore } from '../../prompts/search-types';

const ORIGIN: Record<string, string> = {
  baseline: 'no instruction',
  current: 'current',
  library: 'library',
  user: 'yours',
  mutation: 'variant',
  llm: 'LLM',
};

function origin(s: PromptScore): string {
  const c = s.candidate;
  const o = ORIGIN[c.origin] ?? c.origin;
  return c.note ? `${o} (${c.note})` : o;
}

/** The interval as a bar over 0..1 with the mean as a tick; the numbers beside it. */
function Interval({ s, lo, hi }: { s: PromptScore; lo: number; hi: number }) {
  const span = Math.max(hi - lo, 1e-9);
  const x = (v: number) => `${(((v - lo) / span) * 100).toFixed(1)}%`;
  return (
    <span className="ci" title={`95% interval ${s.ci[0].toFixed(3)} to ${s.ci[1].toFixed(3)}`}>
      <span className="ci-track">
        <span className="ci-bar" style={{ left: x(s.ci[0]), width: `calc(${x(s.ci[1])} - ${x(s.ci[0])})` }} />
        <span className="ci-mean" style={{ left: x(s.ndcg10) }} />
      </span>
      <span className="ci-text" data-testid="prompt-ci">
        {s.ci[0].toFixed(3)}–{s.ci[1].toFixed(3)}
      </span>
    </span>
  );
}

export function Leaderboard({ rows, best }: { rows: readonly PromptScore[]; best?: string }) {
  if (rows.length === 0) return null;
  // one scale for every bar, so intervals can be compared by eye
  const lo = Math.max(0, Math.min(...rows.map((r) => r.ci[0])) - 0.02);
  const hi = Math.min(1, Math.max(...rows.map((r) => r.ci[1])) + 0.02);
  return (
    <div className="table-scroll">
      <table className="table prompts-board" data-testid="prompt-leaderboard">
        <thead>
          <tr>
            <th>#</th>
            <th>Instruction</th>
            <th>Made by</th>
            <th className="num">nDCG@10</th>
            <th>95% interval</th>
            <th className="num">Queries</th>
            <th className="num">Round</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const base = r.candidate.origin === 'baseline';
            return (
              <tr
                key={r.candidate.id}
                data-testid="prompt-row"
                data-origin={r.candidate.origin}
                data-best={r.candidate.id === best}
                className={`${base ? 'baseline' : ''}${r.candidate.id === best ? ' best' : ''}`}
              >
                <td className="num">{i + 1}</td>
                <td className="prompt-text" data-testid="prompt-instruction">
                  {r.candidate.instruction ?? <em>no instruction (the model&apos;s plain query template)</em>}
                  {base && <span className="chip">baseline</span>}
                  {r.candidate.id === best && <span className="chip win">winner</span>}
                </td>
                <td className="small">{origin(r)}</td>
                <td className="num" data-testid="prompt-ndcg">
                  {r.ndcg10.toFixed(3)}
                </td>
                <td>
                  <Interval s={r} lo={lo} hi={hi} />
                </td>
                <td className="num">{r.queries}</td>
                <td className="num">{r.rung + 1}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
