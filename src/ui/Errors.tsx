import type { UiError } from './state/ui';
import { useUi } from './context';
import { Dismiss } from './Dismiss';

function ErrorRow({ e, dismiss }: { e: UiError; dismiss: (seq: number) => void }) {
  const where = e.file === undefined ? null : e.line != null ? `${e.file}:${e.line}` : e.file;
  // a DataError's message already starts with its location, which is shown apart
  const message = where && e.message.startsWith(`${where}: `) ? e.message.slice(where.length + 2) : e.message;
  return (
    <div className="error" data-testid="error">
      <div className="error-body">
        <strong>{e.context} failed</strong>
        {where && (
          <code className="error-where" data-testid="error-where">
            {where}
          </code>
        )}
        <span className="error-msg">
          {e.name !== 'Error' && <span className="error-name">{e.name}: </span>}
          {message}
        </span>
      </div>
      <Dismiss testId="error-dismiss" onClick={() => dismiss(e.seq)} />
    </div>
  );
}

export function Errors() {
  const errors = useUi((s) => s.errors);
  const dismiss = useUi((s) => s.dismissError);
  if (errors.length === 0) return null;
  return (
    <div className="errors" role="alert">
      {errors.map((e) => (
        <ErrorRow key={e.seq} e={e} dismiss={dismiss} />
      ))}
    </div>
  );
}
