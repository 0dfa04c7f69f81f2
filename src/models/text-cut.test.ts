/**
 * Issue 8 item 11: a long text is cut before tokenising, and the kept tokens are exactly those of the
 * whole text, for every tokenizer: USE-lite's, GloVe's, and the Hugging Face WordPiece/BPE pipelines
 * (the same HfTokenizer serves the ONNX models). Real text from ../shared/datasets and adversarial text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { createCpuBackend } from '../gpu/cpu';
import { demoDir, hasSharedDatasets, sharedDatasetsDir } from '../data/node';
import { rng } from '../testing/backends';
import { GloveTokenizer } from './glove-tokenizer';
import { HfTokenizer } from './hf/tokenizer';
import { cutSafePipeline } from './hf/tokenizer-cut';
import { MODELS_DIR, nodeAssetFetcher } from './node-assets';
import { loadEmbedder } from './registry';
import { spaceCut } from './text-cut';
import { UseLiteTokenizer } from './use-lite/tokenizer';
import { loadOrtEmbedderFromFolder } from './ort/node';
import { resolveModelNode } from '../experts/resolve-node';

type Json = Record<string, unknown>;
const tinyJson = (model: string, f: string) =>
  JSON.parse(readFileSync(join(TINY_MODELS_DIR, model, f), 'utf8')) as Json;

/** real prose: the med corpus (../shared/datasets; the demo collection without it) joined as one passage */
let real: string | undefined;
function realText(): string {
  if (real !== undefined) return real;
  const file = hasSharedDatasets(['med'])
    ? join(sharedDatasetsDir(), 'med', 'corpus.jsonl')
    : join(demoDir(), 'corpus.jsonl');
  real = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, 80)
    .map((l) => (JSON.parse(l) as { text: string }).text)
    .join(' ');
  return real;
}

const PIECES = [
  'a', 'é', 'e\u0301', 'Σ', 'ς', '中文', '字', '😀', '👩‍⚕️', '🇫🇷', 'Ǆ', 'ﬁ', '①', '½', '\u00a0', ' ', ' ', '  ', '\n',
  '\t', '.', ',', "'s", '-', '[SEP]', '<|endoftext|>', '[UNK]', '123', 'heart', 'Heart', 'attack', 'ab',
  'x'.repeat(150), '\u0308', '\u3000', 'İ',
]; // prettier-ignore

/** seeded adversarial texts: long words, no spaces, emoji, CJK, combining marks, specials, odd spaces */
function adversarial(seed: number, length: number, noSpaces = false): string {
  const r = rng(seed);
  let s = '';
  while (s.length < length) {
    const p = PIECES[Math.floor(r() * PIECES.length)];
    s += noSpaces && /\s/.test(p) ? '' : p;
  }
  return s;
}

function texts(): string[] {
  const prose = realText().slice(0, 40_000);
  const out = [prose, prose.toUpperCase(), prose.replace(/ /g, '  ')];
  for (let seed = 1; seed <= 30; seed++) out.push(adversarial(seed, 600 + seed * 50));
  out.push(adversarial(99, 4000, true)); // no space at all: tokenised whole
  out.push(prose.slice(0, 3000) + '[SEP] [SEP]'); // literal specials at the end
  return out;
}

const LIMITS = [1, 3, 8, 30, 128];

describe('spaceCut', () => {
  it('cuts before a space that follows a letter or digit, never inside a surrogate pair', () => {
    expect(spaceCut('ab cd', 0)).toBe(2);
    expect(spaceCut('a  b', 2)).toBe(null);
    expect(spaceCut('😀 x y', 0)).toBe(4);
    expect(spaceCut('. ,', 0)).toBe(null);
  });
});

describe('HfTokenizer cuts long texts exactly (issue 8 item 11)', async () => {
  const qwen = tinyJson('tiny-qwen3', 'tokenizer.json');
  const qwen2Style = {
    ...qwen,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
          },
          behavior: 'Isolated',
          invert: false,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
  };
  const cases: [string, Json, Json, number | null][] = [
    ['tiny-bert (BertNormalizer, BertPreTokenizer, WordPiece)', tinyJson('tiny-bert', 'tokenizer.json'), tinyJson('tiny-bert', 'tokenizer_config.json'), null],
    ['tiny-qwen3 (NFC, ByteLevel, BPE) + EOS', qwen, tinyJson('tiny-qwen3', 'tokenizer_config.json'), 302],
    ['Qwen2-style Split + regex-less ByteLevel', qwen2Style, tinyJson('tiny-qwen3', 'tokenizer_config.json'), 302],
  ]; // prettier-ignore
  const all = texts();
  for (const [name, tj, tc, eos] of cases) {
    it(
      name,
      async () => {
        const tok = await HfTokenizer.create(tj, tc);
        expect(tok.cutsLongTexts).toBe(true);
        for (const text of all)
          for (const max of LIMITS) {
            const whole = tok.encode(text, max, eos, false);
            expect(tok.encode(text, max, eos), `${max} of ${JSON.stringify(text.slice(0, 60))}`).toEqual(
              whole,
            );
            expect(whole.length).toBeLessThanOrEqual(max);
          }
      },
      120_000,
    );
  }

  it('does not cut a pipeline it cannot prove (Metaspace, Precompiled, an unknown Split)', () => {
    const bert = tinyJson('tiny-bert', 'tokenizer.json');
    expect(cutSafePipeline(bert)).toBe(true);
    expect(cutSafePipeline({ ...bert, pre_tokenizer: { type: 'Metaspace', replacement: '▁' } })).toBe(false);
    expect(cutSafePipeline({ ...bert, normalizer: { type: 'Precompiled' } })).toBe(false);
    const split = { type: 'Split', pattern: { Regex: '\\s*\\S+' }, behavior: 'Isolated', invert: false };
    expect(cutSafePipeline({ ...bert, pre_tokenizer: split })).toBe(false);
    expect(cutSafePipeline({ ...bert, added_tokens: [{ id: 9, content: 'a b' }] })).toBe(false);
  });

  it('tokenises a 10 MB passage in well under a second', async () => {
    const tok = await HfTokenizer.create(
      tinyJson('tiny-bert', 'tokenizer.json'),
      tinyJson('tiny-bert', 'tokenizer_config.json'),
    );
    const big = realText().repeat(Math.ceil(10e6 / realText().length)); // prettier-ignore
    const t0 = performance.now();
    const ids = tok.encode(big, 512);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(ids).toEqual(tok.encode(big.slice(0, 200_000), 512, null, false));
  });
});

describe('USE-lite and GloVe tokenizers cut long texts exactly (issue 8 item 11)', () => {
  const vocab = JSON.parse(readFileSync(join(MODELS_DIR, 'use-lite', 'vocab.json'), 'utf8')) as unknown;
  const use = UseLiteTokenizer.fromJson(vocab);
  const gloveVocab = readFileSync(join(MODELS_DIR, 'glove-100d', 'vocab.txt'), 'utf8').split('\n');
  const all = texts();

  it('USE-lite: the first ids of a cut are the first ids of the whole text', () => {
    expect(use.cutSafe).toBe(true);
    for (const text of all) {
      const ids = use.encode(text);
      for (const max of LIMITS) {
        const whole = ids.slice(0, max);
        expect(use.encodeFirst(text, max), `${max} of ${JSON.stringify(text.slice(0, 60))}`).toEqual(whole);
      }
    }
  }, 120_000);

  it('USE-lite does not cut with a vocabulary whose pieces hold "▁" inside', () => {
    const v = [...(vocab as [string, number][])];
    v.push(['a▁b', -1]);
    expect(new UseLiteTokenizer(v).cutSafe).toBe(false);
  });

  it('GloVe: windows give the tokens of the whole text', () => {
    for (const max of LIMITS) {
      const tok = new GloveTokenizer(gloveVocab, { sourceVocabSize: 400_000, maxTokens: max });
      for (const text of all) expect(tok.tokenize(text)).toEqual(tok.tokenize(text, false));
    }
  });

  it('embeds a 10 MB passage in seconds with USE-lite and GloVe', async () => {
    const backend = createCpuBackend();
    const base = realText();
    const big = base.repeat(Math.ceil(10e6 / base.length));
    for (const id of ['use-lite', 'glove']) {
      const model = await loadEmbedder(id, nodeAssetFetcher());
      const t0 = performance.now();
      const [v] = [await model.embed(backend, [big], 'passage')];
      const ms = performance.now() - t0;
      expect(ms, id).toBeLessThan(5000);
      const head = await model.embed(
        backend,
        [base.slice(0, spaceCut(base, 20_000) ?? base.length)],
        'passage',
      );
      expect(Array.from(v)).toEqual(Array.from(head));
    }
  }, 60_000);
});

describe('Hugging Face models embed a 10 MB passage in seconds (issue 8 item 11)', () => {
  const base = () => realText();
  const big = () => base().repeat(Math.ceil(10e6 / base().length));

  it('tiny-bert and tiny-qwen3 on the studio kernels, and tiny-bert as ONNX', async () => {
    const backend = createCpuBackend();
    const text = big();
    const head = base().slice(0, spaceCut(base(), 20_000) ?? base().length);
    const models = [
      await resolveModelNode(join(TINY_MODELS_DIR, 'tiny-bert'), () => undefined),
      await resolveModelNode(join(TINY_MODELS_DIR, 'tiny-qwen3'), () => undefined),
      await loadOrtEmbedderFromFolder(join(TINY_MODELS_DIR, 'tiny-bert')),
    ];
    for (const model of models) {
      const t0 = performance.now();
      const v = await model.embed(backend, [text], 'passage');
      expect(performance.now() - t0, model.id).toBeLessThan(5000);
      expect(Array.from(v)).toEqual(Array.from(await model.embed(backend, [head], 'passage')));
    }
  }, 120_000);
});
