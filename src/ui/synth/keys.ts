/** The review queue's keyboard shortcuts, and when they apply (never while typing in a field). */

export type ReviewAction = 'next' | 'prev' | 'accept' | 'reject' | 'edit' | 'undo';

/** The shortcuts as shown on screen. */
export const SHORTCUTS: readonly { keys: string; what: string }[] = [
  { keys: 'j / ↓', what: 'next item' },
  { keys: 'k / ↑', what: 'previous item' },
  { keys: 'a', what: 'accept' },
  { keys: 'r', what: 'reject' },
  { keys: 'e', what: 'edit the text' },
  { keys: 'u', what: 'undo the last decision' },
];

const MAP: Record<string, ReviewAction> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'prev',
  ArrowUp: 'prev',
  a: 'accept',
  r: 'reject',
  e: 'edit',
  u: 'undo',
};

/** Inputs that take no typed text (a shortcut still works while one has focus). */
const NOT_TEXT = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color']);

/** The element takes typed text (a shortcut there would eat the letter). */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  const tag = el.tagName.toLowerCase();
  if (tag === 'input') return !NOT_TEXT.has(((el as HTMLInputElement).type ?? 'text').toLowerCase());
  return tag === 'textarea' || tag === 'select' || el.isContentEditable === true;
}

/** The action of a key press, or null (modifiers held, typing in a field, or not a shortcut). */
export function reviewAction(e: {
  key: string;
  target: EventTarget | null;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}): ReviewAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return null;
  return MAP[e.key] ?? null;
}
