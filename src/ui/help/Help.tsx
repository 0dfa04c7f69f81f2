/**
 * A small "?" beside a term: hovering shows the explanation (title), a click or Enter shows it in place
 * (for touch screens, keyboards and a class following along on a projector).
 */
import { useState } from 'react';

export function Help({ topic, text }: { topic: string; text: string }) {
  const [open, setOpen] = useState(false);
  if (!text) return null;
  return (
    <span className="help-wrap">
      <button
        type="button"
        className="help"
        aria-label={`What is ${topic}?`}
        aria-expanded={open}
        title={text}
        data-testid="help"
        data-help={topic}
        onClick={(e) => {
          // inside a <label>: do not focus or toggle its control
          e.preventDefault();
          e.stopPropagation();
          setOpen(!open);
        }}
      >
        ?
      </button>
      {open && (
        <span className="help-text" role="note" data-testid="help-text" data-help={topic}>
          {text}
        </span>
      )}
    </span>
  );
}
