import { describe, expect, it } from 'vitest';
import { parseYaml } from './mergekit-yaml-parse';

describe('YAML subset parser (issue 10 item 7)', () => {
  it('reads block maps and lists, "- key:" items, flow lists and maps, quotes, comments, PyYAML scalars', () => {
    const n = parseYaml(
      [
        '---',
        'a: 1',
        'b: -0.5e-3',
        'c: [1, .5, "x, y", {filter: attn, value: 0.3}]',
        "d: 'it''s # not a comment'",
        'e:',
        '- yes',
        '- ~',
        '- 1_000',
        'f: http://host:80/x',
        'g: "tab\\there"',
      ].join('\n'),
    );
    const plain = (x: ReturnType<typeof parseYaml>): unknown =>
      x.kind === 'scalar'
        ? x.value
        : x.kind === 'seq'
          ? x.items.map(plain)
          : Object.fromEntries([...x.entries].map(([k, v]) => [k, plain(v.value)]));
    expect(plain(n)).toEqual({
      a: 1,
      b: -0.0005,
      c: [1, 0.5, 'x, y', { filter: 'attn', value: 0.3 }],
      d: "it's # not a comment",
      e: [true, null, 1000],
      f: 'http://host:80/x',
      g: 'tab\there',
    });
  });

  it('refuses what recipes do not use, naming the file and line', () => {
    expect(() => parseYaml('a: 1\nb: &x 2', 'r.yml')).toThrow('r.yml:2: anchors, aliases and tags');
    expect(() => parseYaml('a: [1,\n  2]', 'r.yml')).toThrow('r.yml:1: "[" is not closed on this line');
    expect(() => parseYaml('a: 1\na: 2', 'r.yml')).toThrow(
      'r.yml:2: key "a" appears twice (first on line 1)',
    );
    expect(() => parseYaml('a:\n    b: 1\n  c: 2', 'r.yml')).toThrow('r.yml:3: unexpected indentation');
    expect(() => parseYaml('a: "open', 'r.yml')).toThrow('r.yml:1: unterminated double-quoted string');
    expect(() => parseYaml('a: |\n  text', 'r.yml')).toThrow('r.yml:1: block scalars');
  });
});
