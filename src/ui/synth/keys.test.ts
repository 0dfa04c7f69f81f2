import { describe, expect, it } from 'vitest';
import { reviewAction } from './keys';

const el = (tagName: string, type?: string, isContentEditable = false) =>
  ({ tagName, type, isContentEditable }) as unknown as EventTarget;
const press = (
  key: string,
  target: EventTarget | null = el('BODY'),
  mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {},
) => reviewAction({ key, target, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('review shortcuts', () => {
  it('maps j/k/arrows/a/r/e/u, and nothing else', () => {
    expect(['j', 'ArrowDown', 'k', 'ArrowUp', 'a', 'r', 'e', 'u', 'x', 'Enter'].map((k) => press(k))).toEqual(
      ['next', 'next', 'prev', 'prev', 'accept', 'reject', 'edit', 'undo', null, null],
    );
  });
  it('never while typing in a field or with a modifier; a focused checkbox or button does not block them', () => {
    expect(press('a', el('INPUT', 'text'))).toBeNull();
    expect(press('a', el('INPUT', 'number'))).toBeNull();
    expect(press('a', el('TEXTAREA'))).toBeNull();
    expect(press('j', el('SELECT'))).toBeNull();
    expect(press('a', el('DIV', undefined, true))).toBeNull();
    expect(press('a', el('BODY'), { ctrlKey: true })).toBeNull();
    expect(press('a', el('INPUT', 'checkbox'))).toBe('accept');
    expect(press('j', el('BUTTON'))).toBe('next');
  });
});
