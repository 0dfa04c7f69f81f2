/**
 * A small "?" beside a term: hovering shows the explanation (title), a click or Enter opens it beside the
 * term (for touch screens, keyboards and a class following on a projector); a click elsewhere or Escape
 * closes it.
 */
import { useEffect, useRef, useState } from 'react';

export function Help({ topic, text }: { topic: string; text: string }) {
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: PointerEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    const esc = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('pointerdown', away);
    document.addEventListener('keydown', esc);
    return () => {
      document.removeEventListener('pointerdown', away);
      document.removeEventListener('keydown', esc);
    };
  }, [open]);
  if (!text) return null;
  return (
    <span className="help-wrap" ref={wrap}>
      <button
        type="button"
        className="help"
        aria-label={`What is ${topic}?`}
        aria-expanded={open}
        title={text}
        data-testid="help"
        data-help={topic}
        onClick={(e) => {
          // inside a <label> or a clickable row: do not focus its control or select the row
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
