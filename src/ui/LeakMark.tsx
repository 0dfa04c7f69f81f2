import type { RunRecord } from '../store/db';
import { leakage, leakageLabel, leakageTitle } from './leakage';
import './leakage.css';

/** "trained on 30 of these 30 queries" (or "training queries unknown") beside a run that cannot be trusted as held out. */
export function LeakMark({ run }: { run: RunRecord }) {
  const l = leakage(run);
  if (!l) return null;
  return (
    <span className={`leak ${l.kind}`} data-testid="leak-mark" data-kind={l.kind} title={leakageTitle(l)}>
      ⚠ {leakageLabel(l)}
    </span>
  );
}
