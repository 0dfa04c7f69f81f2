/**
 * Python source literals from TypeScript values, for the generated hand-off scripts: a string as a JSON
 * string (every JSON escape is a Python one), numbers as Python reads them, lists and dicts.
 */
export type PyValue =
  string | number | boolean | null | readonly PyValue[] | { readonly [k: string]: PyValue };

/** A string literal Python reads back as the same string. */
export const pyStr = (s: string): string => JSON.stringify(s);

/** A number literal (ints stay ints; 1e-4 stays 0.0001); non-finite numbers are refused. */
export function pyNum(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`cannot write ${x} as a Python number`);
  return String(x);
}

/** Any value as a Python literal; dicts and lists over several lines, indented by `indent`. */
export function pyValue(v: PyValue, indent = ''): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNum(v);
  if (typeof v === 'string') return pyStr(v);
  const inner = `${indent}    `;
  if (Array.isArray(v)) {
    const items = (v as readonly PyValue[]).map((x) => pyValue(x, inner));
    const flat = `[${items.join(', ')}]`;
    if (flat.length <= 80 && !flat.includes('\n')) return flat;
    return `[\n${items.map((x) => `${inner}${x},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as { readonly [k: string]: PyValue });
  if (!entries.length) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${pyStr(k)}: ${pyValue(x, inner)},`).join('\n')}\n${indent}}`;
}

/** Text safe inside a """docstring""" or # comment: one line, no quotes or backslashes. */
export const pyDocText = (s: string): string => s.replace(/[\\"\r\n]+/g, ' ').trim();
