/**
 * The YAML subset mergekit recipes are written in, parsed into nodes that keep their line numbers (so a
 * recipe's errors can name the file and line): block mappings and sequences by indentation, one-line flow
 * sequences `[0, 0.5, 1]` and mappings `{filter: attn, value: 0.3}`, plain, 'single' and "double" quoted
 * scalars, comments, `---`. Scalars resolve as PyYAML (mergekit's reader) does: true/false/yes/no/on/off,
 * null/~, numbers. Anchors, aliases, tags, block scalars and multi-line flow collections are refused with
 * the line. Pure (no Node imports): the studio parses recipes in the browser too.
 */

export type YamlScalar = string | number | boolean | null;

export type YamlNode =
  | { kind: 'map'; line: number; entries: Map<string, { line: number; value: YamlNode }> }
  | { kind: 'seq'; line: number; items: YamlNode[] }
  | { kind: 'scalar'; line: number; value: YamlScalar; quoted: boolean };

export class YamlError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'YamlError';
  }
}

interface Line {
  no: number;
  indent: number;
  text: string;
}

/** The line without its comment (a # at the start or after a space, outside quotes). */
function stripComment(s: string): string {
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\' && q === '"') i++;
      else if (c === "'" && q === "'" && s[i + 1] === "'") i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[{,:-]/.test(s[i - 1])) q = c;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) return s.slice(0, i);
  }
  return s;
}

/** Index of the mapping colon (": " or a final ":") outside quotes and brackets, or -1. */
function keyColon(s: string): number {
  let q: string | null = null;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\' && q === '"') i++;
      else if (c === "'" && q === "'" && s[i + 1] === "'") i++;
      else if (c === q) q = null;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,]/.test(s[i - 1]))) q = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ':' && depth === 0 && (i + 1 === s.length || s[i + 1] === ' ')) return i;
  }
  return -1;
}

const INT = /^[-+]?(0|[1-9][0-9_]*)$/;
const FLOAT = /^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$/;

/** A plain scalar's value (PyYAML's resolution of the cases recipes use). */
export function resolvePlain(s: string): YamlScalar {
  if (/^(true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(s)) return true;
  if (/^(false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(s)) return false;
  if (s === '' || /^(~|null|Null|NULL)$/.test(s)) return null;
  if ((INT.test(s) || FLOAT.test(s)) && /[0-9]/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(s)) return NaN;
  return s;
}

class Parser {
  private i = 0;
  constructor(
    private readonly file: string,
    private readonly lines: Line[],
  ) {}

  fail(line: number, detail: string): never {
    throw new YamlError(this.file, line, detail);
  }

  get cur(): Line | undefined {
    return this.lines[this.i];
  }

  document(): YamlNode {
    const first = this.cur;
    if (!first) return { kind: 'scalar', line: 1, value: null, quoted: false };
    const node = this.block(first.indent);
    const rest = this.cur;
    if (rest)
      this.fail(rest.no, `unexpected indentation or content "${rest.text}" (check the indentation above)`);
    return node;
  }

  private isSeqItem(l: Line): boolean {
    return l.text === '-' || l.text.startsWith('- ');
  }

  private block(indent: number): YamlNode {
    const l = this.cur!;
    if (this.isSeqItem(l)) return this.seq(indent);
    if (keyColon(l.text) >= 0) return this.map(indent);
    this.i++;
    return this.inline(l.text, l.no);
  }

  private map(indent: number): YamlNode {
    const node: YamlNode = { kind: 'map', line: this.cur!.no, entries: new Map() };
    while (this.cur && this.cur.indent === indent && !this.isSeqItem(this.cur)) {
      const l = this.cur;
      const c = keyColon(l.text);
      if (c < 0) this.fail(l.no, `expected "key: value", got "${l.text}"`);
      const rawKey = l.text.slice(0, c).trim();
      const key = this.keyText(rawKey, l.no);
      if (node.entries.has(key))
        this.fail(l.no, `key "${key}" appears twice (first on line ${node.entries.get(key)!.line})`);
      const rest = l.text.slice(c + 1).trim();
      this.i++;
      let value: YamlNode;
      if (rest) value = this.inline(rest, l.no);
      else {
        const next = this.cur;
        if (next && next.indent > indent) value = this.block(next.indent);
        else if (next && next.indent === indent && this.isSeqItem(next)) value = this.seq(indent);
        else value = { kind: 'scalar', line: l.no, value: null, quoted: false };
      }
      node.entries.set(key, { line: l.no, value });
    }
    if (this.cur && this.cur.indent > indent)
      this.fail(this.cur.no, `unexpected indentation of "${this.cur.text}"`);
    return node;
  }

  private seq(indent: number): YamlNode {
    const node: YamlNode = { kind: 'seq', line: this.cur!.no, items: [] };
    while (this.cur && this.cur.indent === indent && this.isSeqItem(this.cur)) {
      const l = this.cur;
      const rest = l.text.slice(1).trimStart();
      if (!rest) {
        this.i++;
        const next = this.cur;
        if (next && next.indent > indent) node.items.push(this.block(next.indent));
        else node.items.push({ kind: 'scalar', line: l.no, value: null, quoted: false });
        continue;
      }
      if (this.isSeqItem({ ...l, text: rest }) || (keyColon(rest) >= 0 && !/^[[{]/.test(rest))) {
        // "- key: v" (or "- - x"): the item is a block whose first line starts after the dash
        const at = indent + (l.text.length - rest.length);
        this.lines[this.i] = { no: l.no, indent: at, text: rest };
        node.items.push(this.block(at));
        continue;
      }
      this.i++;
      node.items.push(this.inline(rest, l.no));
    }
    return node;
  }

  private keyText(raw: string, line: number): string {
    const v = this.inline(raw, line);
    if (v.kind !== 'scalar' || v.value === null) this.fail(line, `a key must be a plain name, got "${raw}"`);
    return String(v.value);
  }

  inline(text: string, line: number): YamlNode {
    const c = text[0];
    if (c === '&' || c === '*' || c === '!')
      this.fail(line, `anchors, aliases and tags (${c}) are not supported in recipes; write the value out`);
    if ((c === '|' || c === '>') && /^[|>][-+0-9]*$/.test(text))
      this.fail(line, 'block scalars (| or >) are not supported in recipes; write the value on one line');
    if (c === '[' || c === '{') {
      const p = { s: text, at: 0 };
      const node = this.flow(p, line);
      skipSpace(p);
      if (p.at !== text.length) this.fail(line, `unexpected "${text.slice(p.at)}" after a flow collection`);
      return node;
    }
    if (c === '"' || c === "'") {
      const p = { s: text, at: 0 };
      const value = this.quoted(p, line);
      skipSpace(p);
      if (p.at !== text.length) this.fail(line, `unexpected "${text.slice(p.at)}" after a quoted string`);
      return { kind: 'scalar', line, value, quoted: true };
    }
    return { kind: 'scalar', line, value: resolvePlain(text.trim()), quoted: false };
  }

  private quoted(p: { s: string; at: number }, line: number): string {
    const q = p.s[p.at++];
    let out = '';
    for (;;) {
      if (p.at >= p.s.length)
        this.fail(
          line,
          `unterminated ${q === '"' ? 'double' : 'single'}-quoted string (quotes must close on the same line)`,
        );
      const c = p.s[p.at++];
      if (q === "'" && c === "'") {
        if (p.s[p.at] === "'") {
          out += "'";
          p.at++;
          continue;
        }
        return out;
      }
      if (q === '"' && c === '"') return out;
      if (q === '"' && c === '\\') {
        const e = p.s[p.at++];
        const simple: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          '"': '"',
          '\\': '\\',
          '/': '/',
          '0': '\0',
          ' ': ' ',
        };
        if (e in simple) out += simple[e];
        else if (e === 'u' || e === 'x' || e === 'U') {
          const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = p.s.slice(p.at, p.at + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(line, `bad escape \\${e}${hex}`);
          out += String.fromCodePoint(parseInt(hex, 16));
          p.at += len;
        } else this.fail(line, `unknown escape \\${e ?? ''} in a double-quoted string`);
        continue;
      }
      out += c;
    }
  }

  private flow(p: { s: string; at: number }, line: number): YamlNode {
    const open = p.s[p.at++];
    const close = open === '[' ? ']' : '}';
    const node: YamlNode =
      open === '[' ? { kind: 'seq', line, items: [] } : { kind: 'map', line, entries: new Map() };
    skipSpace(p);
    if (p.s[p.at] === close) {
      p.at++;
      return node;
    }
    for (;;) {
      skipSpace(p);
      if (node.kind === 'seq') node.items.push(this.flowValue(p, line));
      else if (node.kind === 'map') {
        const k = this.flowValue(p, line, true);
        if (k.kind !== 'scalar' || k.value === null)
          this.fail(line, 'a flow mapping key must be a plain name');
        const key = String(k.value);
        skipSpace(p);
        if (p.s[p.at] !== ':') this.fail(line, `expected ":" after "${key}" in a flow mapping`);
        p.at++;
        skipSpace(p);
        if (node.entries.has(key)) this.fail(line, `key "${key}" appears twice`);
        node.entries.set(key, { line, value: this.flowValue(p, line) });
      }
      skipSpace(p);
      const c = p.s[p.at++];
      if (c === close) return node;
      if (c !== ',')
        this.fail(
          line,
          c === undefined
            ? `"${open}" is not closed on this line (flow collections must fit on one line)`
            : `expected "," or "${close}", got "${c}"`,
        );
    }
  }

  private flowValue(p: { s: string; at: number }, line: number, key = false): YamlNode {
    const c = p.s[p.at];
    if (c === '[' || c === '{') return this.flow(p, line);
    if (c === '"' || c === "'") return { kind: 'scalar', line, value: this.quoted(p, line), quoted: true };
    const start = p.at;
    while (p.at < p.s.length) {
      const d = p.s[p.at];
      if (d === ',' || d === ']' || d === '}' || (key && d === ':')) break;
      if (d === ':' && (p.s[p.at + 1] === ' ' || p.s[p.at + 1] === ',')) break;
      p.at++;
    }
    return { kind: 'scalar', line, value: resolvePlain(p.s.slice(start, p.at).trim()), quoted: false };
  }
}

function skipSpace(p: { s: string; at: number }): void {
  while (p.s[p.at] === ' ' || p.s[p.at] === '\t') p.at++;
}

/** Parses one YAML document of the recipe subset; errors name `file` and the line. */
export function parseYaml(text: string, file = 'recipe.yml'): YamlNode {
  const lines: Line[] = [];
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [k, full] of raw.entries()) {
    const no = k + 1;
    const body = stripComment(full).replace(/\s+$/, '');
    if (!body.trim()) continue;
    if (/^\t/.test(body) || /^ *\t/.test(body))
      throw new YamlError(file, no, 'tabs are not allowed for indentation in YAML; indent with spaces');
    if (/^(---|\.\.\.)(\s|$)/.test(body)) {
      if (lines.length > 0 && body.startsWith('---'))
        throw new YamlError(file, no, 'a second YAML document: a recipe is one document');
      continue;
    }
    const indent = body.length - body.trimStart().length;
    lines.push({ no, indent, text: body.trim() });
  }
  return new Parser(file, lines).document();
}
