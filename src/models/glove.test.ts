import { beforeAll, describe, expect, it } from 'vitest';
import { acquireBackend } from '../gpu/select';
import type { Backend } from '../core/backend';
import { GloveEmbedder } from './glove';
import { gloveEmbedReference } from './glove-reference';
import { GloveTokenizer } from './glove-tokenizer';
import { nodeAssetFetcher } from './node-assets';

describe('GloveTokenizer', () => {
  const tok = new GloveTokenizer(['the', 'heart', 'well-known', 'well', 'known', 'attack', "don't", '3.5'], {
    sourceVocabSize: 1000,
    sifA: 1e-3,
    maxTokens: 4,
  });
  it('lowercases, keeps known compounds and splits unknown ones', () => {
    expect(tok.tokenize('The HEART well-known').ids).toEqual([0, 1, 2]);
    expect(tok.tokenize('heart-attack').ids).toEqual([1, 5]);
    expect(tok.tokenize('Don’t 3.5').ids).toEqual([6, 7]);
  });
  it('drops unknown words and punctuation, caps the length', () => {
    expect(tok.tokenize('zzz, !!! heart').ids).toEqual([1]);
    expect(tok.tokenize('heart heart heart heart heart heart').ids).toHaveLength(4);
    expect(tok.tokenize('').ids).toEqual([]);
  });
  it('gives frequent words smaller SIF weights', () => {
    const w = tok.tokenize('the heart attack').weights;
    expect(w[0]).toBeLessThan(w[1]);
    expect(w[1]).toBeLessThan(w[2]);
    expect(w.every((x) => x > 0 && x <= 1)).toBe(true);
  });
});

describe('GloVe embedder (real GloVe 6B-100d vectors)', () => {
  let model: GloveEmbedder;
  beforeAll(async () => {
    model = await GloveEmbedder.load(nodeAssetFetcher());
  });
  const texts = [
    'Myocardial infarction is treated with aspirin and beta blockers.',
    'heart attack',
    'The wing of the aircraft stalls at a high angle of attack.',
    'zzqxv qqqzz', // no known word: zero vector
    '',
    'Insulin regulates blood glucose; diabetes mellitus follows when it fails — résumé naïve café.',
    'a '.repeat(700) + 'pneumonia',
  ];

  it('loads the vocabulary in frequency order', () => {
    expect(model.dim).toBe(100);
    expect(model.tokenizer.idOf('the')).toBe(0);
    expect(model.tokenizer.idOf('insulin')).toBeGreaterThan(1000);
  });

  it('places related meanings closer than unrelated ones', () => {
    const e = gloveEmbedReference(model, [
      'heart attack',
      'myocardial infarction',
      'supersonic aircraft wing',
    ]);
    const cos = (a: number, b: number) =>
      e.subarray(a * 100, a * 100 + 100).reduce((s, x, i) => s + x * e[b * 100 + i], 0);
    expect(cos(0, 1)).toBeGreaterThan(cos(0, 2) + 0.1);
  });

  for (const pref of ['cpu', 'webgpu'] as const) {
    it.skipIf(pref === 'webgpu' && process.env.STM_SKIP_WEBGPU === '1')(
      `${pref} kernels match the plain reference (1e-5)`,
      async () => {
        const backend: Backend = await acquireBackend(pref);
        try {
          const got = await model.embed(backend, texts, 'passage');
          const want = gloveEmbedReference(model, texts);
          expect(got.length).toBe(want.length);
          for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
          // unit rows, except the text with no known word
          const norm = (r: number) => Math.hypot(...got.subarray(r * 100, r * 100 + 100));
          expect(norm(0)).toBeCloseTo(1, 5);
          expect(norm(3)).toBe(0);
        } finally {
          backend.destroy();
        }
      },
    );
  }
});
