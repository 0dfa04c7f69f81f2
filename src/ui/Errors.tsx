import { useUi } from './context';

export function Errors() {
  const errors = useUi((s) => s.errors);
  const dismiss = useUi((s) => s.dismissError);
  if (errors.length === 0) return null;
  return (
    <div className="errors" role="alert">
      {errors.map((e) => (
        <div key={e.seq} className="error" data-testid="error">
          <div className="error-body">
            <strong>{e.context} failed</strong>
            {e.file !== undefined && (
              <code className="error-where" data-testid="error-where">
                {e.line != null ? `${e.file}:${e.line}` : e.file}
              </code>
            )}
            <span className="error-msg">
              {e.name !== 'Error' && <span className="error-name">{e.name}: </span>}
              {e.message}
            </span>
          </div>
          <button className="link" data-testid="error-dismiss" onClick={() => dismiss(e.seq)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
