import type { RunRecord } from '../store/db';
import { leakage, leakageLabel, leakageTitle } from './leakage';
import './leakage.css';

/**
 * "trained on 30 of these 30 queries" (or "training queries unknown") beside a run that cannot be trusted
 * as held out; `compact`: the ⚠ alone (the words in its tooltip), for a table cell.
 */
export function LeakMark({ run, compact = false }: { run: RunRecord; compact?: boolean }) {
  const l = leakage(run);
  if (!l) return null;
  return (
    <span
      className={`leak ${l.kind}`}
      data-testid="leak-mark"
      data-kind={l.kind}
      title={compact ? `${leakageLabel(l)}: ${leakageTitle(l)}` : leakageTitle(l)}
    >
      {compact ? '⚠' : `⚠ ${leakageLabel(l)}`}
    </span>
  );
}
