/** Jobs that went on degraded (e.g. an evaluation without the embedding cache on a full disk). */
import { useUi } from './context';
import { Dismiss } from './Dismiss';

export function Warnings() {
  const warnings = useUi((s) => s.warnings);
  const dismiss = useUi((s) => s.dismissWarning);
  if (warnings.length === 0) return null;
  return (
    <div className="warnings" role="status">
      {warnings.map((w) => (
        <div key={w.seq} className="warning" data-testid="warning">
          <div className="error-body">
            <strong>{w.context}</strong> <span className="error-msg">{w.message}</span>
          </div>
          <Dismiss testId="warning-dismiss" onClick={() => dismiss(w.seq)} />
        </div>
      ))}
    </div>
  );
}
