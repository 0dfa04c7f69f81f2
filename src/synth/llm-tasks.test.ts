import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import type { Doc } from '../data/types';
import { createCpuBackend } from '../gpu/cpu';
import { GloveEmbedder } from '../models/glove';
import { nodeAssetFetcher } from '../models/node-assets';
import type { GenerateOptions, GenerateResult, TextGenerator, ChatMessage } from './generator';
import { cleanNegative, guardNegative, negativePrompt, ngramOverlap, writeNegative } from './llm-negatives';
import { parseQueries, queryPrompt, writeQueries } from './llm-tasks';
import type { SynthItem } from './types';

const DOC: Doc = {
  id: 'd1',
  title: 'Statin side effects',
  text:
    'Statins lower LDL cholesterol by inhibiting HMG-CoA reductase. Muscle pain is the most common side effect. ' +
    'Rarely, statins cause rhabdomyolysis.',
};

const POSITIVE =
  'Statins such as atorvastatin lower LDL cholesterol by inhibiting HMG-CoA reductase in the liver. Muscle pain ' +
  '(myalgia) is the most common side effect and usually resolves when the dose is reduced or the drug is stopped. ' +
  'Rarely, statins cause rhabdomyolysis, a severe breakdown of muscle tissue.';
/** the positive with a few words changed: what a model that copies writes */
const NEAR_COPY =
  'Statins such as atorvastatin lower LDL cholesterol by inhibiting HMG-CoA reductase in the liver. Muscle pain ' +
  '(myalgia) is the most common side effect and usually goes away when the dose is lowered or the drug is stopped. ' +
  'Rarely, statins can cause rhabdomyolysis, a severe breakdown of muscle tissue.';
/** the positive reworded, sentence by sentence: few shared 3-grams, the same meaning */
const REWORDED =
  'Rarely, a severe breakdown of muscle tissue called rhabdomyolysis is caused by statins. The most common side ' +
  'effect of statins is muscle pain, which usually resolves once the dose is reduced or the statin stopped. ' +
  'Atorvastatin and other statins reduce LDL cholesterol through inhibition of liver HMG-CoA reductase.';
/** a real hard negative: same domain and terms, does not say what statins' side effects are */
const REAL_NEGATIVE =
  'Ezetimibe lowers LDL cholesterol by blocking the absorption of cholesterol in the small intestine. It is often ' +
  'combined with other lipid-lowering drugs in patients who have not reached their target levels, and it is ' +
  'generally well tolerated, with diarrhoea and fatigue reported in trials.';

describe('queryPrompt', () => {
  it('asks for k queries, one per line, with the document and its title', () => {
    const [sys, user] = queryPrompt(DOC, 3);
    expect(sys.role).toBe('system');
    expect(user.content).toContain('Title: Statin side effects');
    expect(user.content).toContain(DOC.text);
    expect(user.content).toContain('Write 3 different short search queries');
    expect(user.content).toContain('one query per line');
  });
  it('cuts a long document', () => {
    const long: Doc = { id: 'x', title: '', text: 'word '.repeat(2000) };
    expect(queryPrompt(long, 2, 500)[1].content.length).toBeLessThan(900);
  });
});

describe('parseQueries', () => {
  it('strips numbering, bullets, bold, quotes and preambles; drops blanks and duplicates', () => {
    const raw = [
      'Here are 5 search queries:',
      '',
      '1. What are the side effects of statins?',
      '2) "statin muscle pain"',
      '- **Can statins cause rhabdomyolysis?**',
      '* “how do statins lower LDL”',
      '',
      '• what are the side effects of statins',
      'Query 6: statins HMG-CoA reductase inhibition',
      '(7) `statin myalgia dose reduction`',
    ].join('\n');
    expect(parseQueries(raw, 10, DOC)).toEqual([
      'What are the side effects of statins?',
      'statin muscle pain',
      'Can statins cause rhabdomyolysis?',
      'how do statins lower LDL',
      'statins HMG-CoA reductase inhibition',
      'statin myalgia dose reduction',
    ]);
  });
  it("drops a query equal to the document's first sentence, keeps at most k", () => {
    const raw =
      'Statins lower LDL cholesterol by inhibiting HMG-CoA reductase.\nstatin muscle pain\nrhabdomyolysis risk\nthird';
    expect(parseQueries(raw, 2, DOC)).toEqual(['statin muscle pain', 'rhabdomyolysis risk']);
  });
  it('ignores a reasoning block and code fences, and a line too long to be a query', () => {
    const raw = `<think>The user wants queries. 1. statin pain</think>\n\`\`\`\nstatin pain\n${'long '.repeat(40)}\n\`\`\``;
    expect(parseQueries(raw, 5, DOC)).toEqual(['statin pain']);
    expect(parseQueries('<think>still thinking when the tokens ran out', 5, DOC)).toEqual([]);
  });
  it('keeps numbers that are part of the query', () => {
    expect(
      parseQueries(
        '1. type 2 diabetes metformin dose\n2. 3 signs of stroke\n2.5 mg warfarin\n10:30 clinic',
        5,
      ),
    ).toEqual(['type 2 diabetes metformin dose', '3 signs of stroke', '2.5 mg warfarin', '10:30 clinic']);
  });
});

describe('negativePrompt', () => {
  it("is the paper's prompt: query, positive, the mined negative, harder but not super hard, raw text only", () => {
    const user = negativePrompt('statin side effects', POSITIVE, REAL_NEGATIVE)[1].content;
    expect(user).toContain('Query: statin side effects');
    expect(user).toContain(POSITIVE);
    expect(user).toContain(
      `Existing hard negative (a passage that does not answer the query):\n${REAL_NEGATIVE}`,
    );
    expect(user).toMatch(/same domain .* similar terminology, that does NOT answer the query/);
    expect(user).toContain('harder to tell apart from the relevant passage than the existing hard negative');
    expect(user).toContain('not as hard as a super hard negative');
    expect(user).toContain('raw passage text only');
    expect(negativePrompt('q', POSITIVE)[1].content).not.toContain('Existing hard negative');
  });
});

describe('cleanNegative', () => {
  const P = 'Ezetimibe lowers LDL cholesterol by blocking absorption.\nIt is well tolerated.';
  it.each([
    ['plain text', P],
    ['a preamble line', `Here is a passage:\n\n${P}`],
    ['a chatty preamble', `Sure! Here's a hard negative passage that does not answer the query:\n${P}`],
    ['"Sure!" on its own line', `Sure!\n\n${P}`],
    ['a preamble on the same line', `Here is the passage: ${P}`],
    ['a bold label', `**Passage:** ${P}`],
    ['a label line', `Hard negative passage:\n${P}`],
    ['a trailing note', `${P}\n\nNote: this passage does not mention statins.`],
    ['quotes', `"${P}"`],
    ['a code fence', `\`\`\`\n${P}\n\`\`\``],
    ['a reasoning block', `<think>I should write about ezetimibe.</think>\n\n${P}`],
    ['a separator and explanation', `${P}\n---\nThis passage is harder because it shares the terms.`],
  ])('removes %s', (_name, raw) => {
    expect(cleanNegative(raw)).toBe(P);
  });
  it('removes a labelled note on the last line', () => {
    expect(cleanNegative(`${P}\n(Note: it avoids the query.)`)).toBe(P);
  });
  it('keeps a paragraph in the middle that starts like a note', () => {
    const t = 'Ezetimibe lowers LDL.\n\nNote that it is taken once daily.\n\nIt is well tolerated.';
    expect(cleanNegative(t)).toBe(t);
  });
  it('keeps a passage that merely starts like a preamble word', () => {
    const t = 'Of course, not every patient on ezetimibe reaches the LDL target without a statin.';
    expect(cleanNegative(t)).toBe(t);
  });
});

describe('the near-duplicate guard', () => {
  it("measures the share of the candidate's word 3-grams found in the reference", () => {
    expect(ngramOverlap('a b c d', 'a b c d')).toBe(1);
    expect(ngramOverlap('A b, c d', 'a b c e')).toBe(0.5);
    expect(ngramOverlap('a b c', 'x y z')).toBe(0);
    expect(ngramOverlap('a b c', 'x a b c y z w v')).toBe(1);
  });

  it('rejects an excerpt of a long positive (Jaccard would let it through)', async () => {
    const long = `${POSITIVE} ${REAL_NEGATIVE} ${REWORDED}`;
    const excerpt = POSITIVE.split(' ').slice(0, 25).join(' ');
    const v = await guardNegative(excerpt, long);
    expect(v.accepted).toBe(false);
    expect(v.ngram).toBe(1);
    // the word 3-gram Jaccard of the same pair is under 0.35
    const grams = (t: string) => {
      const w = t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
      return new Set(w.slice(2).map((_, i) => w.slice(i, i + 3).join(' ')));
    };
    const [a, b] = [grams(excerpt), grams(long)];
    const shared = [...a].filter((g) => b.has(g)).length;
    expect(shared / (a.size + b.size - shared)).toBeLessThan(0.35);
  });

  it('rejects a near-copy of the positive by n-gram overlap and accepts a real different passage', async () => {
    const copy = await guardNegative(NEAR_COPY, POSITIVE);
    expect(copy.accepted).toBe(false);
    expect(copy.reason).toMatch(
      /^too close to the positive: 0\.\d{3} of its word 3-grams are in it \(> 0\.500\)$/,
    );
    expect(copy.score).toBeGreaterThan(0.5);
    const real = await guardNegative(REAL_NEGATIVE, POSITIVE);
    expect(real).toMatchObject({ accepted: true });
    expect(real.score).toBeLessThan(0.05);
    // the threshold is settable
    expect((await guardNegative(NEAR_COPY, POSITIVE, { maxNgramOverlap: 0.99 })).accepted).toBe(true);
  });

  it('rejects a copy of the mined negative and a passage too short', async () => {
    const v = await guardNegative(REAL_NEGATIVE, POSITIVE, {}, REAL_NEGATIVE);
    expect(v.reason).toMatch(/^a copy of the mined negative/);
    expect((await guardNegative('Statins are drugs.', POSITIVE)).reason).toBe(
      'too short: 3 words, fewer than 8',
    );
  });

  describe('cosine with GloVe (real GloVe 6B-100d vectors)', () => {
    let glove: GloveEmbedder;
    let backend: Backend;
    beforeAll(async () => {
      glove = await GloveEmbedder.load(nodeAssetFetcher());
      backend = createCpuBackend();
    });

    it('rejects a reworded copy the n-gram check lets through, accepts a real negative', async () => {
      const ngramOnly = await guardNegative(REWORDED, POSITIVE);
      expect(ngramOnly.accepted).toBe(true);
      const v = await guardNegative(REWORDED, POSITIVE, { embedder: glove, backend });
      expect(v.accepted).toBe(false);
      expect(v.cosine).toBeGreaterThan(0.95);
      expect(v.score).toBe(v.cosine);
      expect(v.reason).toMatch(/^too close to the positive: cosine 0\.9\d\d > 0\.950 \(glove\)$/);
      const real = await guardNegative(REAL_NEGATIVE, POSITIVE, { embedder: glove, backend });
      expect(real.accepted).toBe(true);
      expect(real.cosine).toBeGreaterThan(0.5); // same domain
      expect(real.cosine).toBeLessThan(0.95);
      // settable: a strict threshold refuses the real negative too
      const strict = await guardNegative(REAL_NEGATIVE, POSITIVE, {
        embedder: glove,
        backend,
        maxCosine: 0.5,
      });
      expect(strict.accepted).toBe(false);
    });
  });
});

/** A generator that answers from a fixed list, recording what it was asked. */
class ScriptedGenerator implements TextGenerator {
  readonly id = 'scripted#test';
  readonly calls: { messages: readonly ChatMessage[]; opts: GenerateOptions }[] = [];
  constructor(private readonly replies: string[]) {}
  async generate(messages: readonly ChatMessage[], opts: GenerateOptions): Promise<GenerateResult> {
    this.calls.push({ messages, opts });
    return { text: this.replies[(this.calls.length - 1) % this.replies.length], finish: 'stop' };
  }
}

const NOW = () => new Date('2026-12-03T07:00:00Z');

describe('writeQueries', () => {
  it('makes pending items with full provenance and a per-document seed', async () => {
    const g = new ScriptedGenerator(['1. statin muscle pain\n2. can statins cause rhabdomyolysis']);
    const { items } = await writeQueries(g, DOC, {
      k: 2,
      set: 's1',
      sampling: { temperature: 0.2 },
      now: NOW,
    });
    expect(items.map((i) => [i.id, i.query])).toEqual([
      ['d1#llm-0', 'statin muscle pain'],
      ['d1#llm-1', 'can statins cause rhabdomyolysis'],
    ]);
    const it0 = items[0];
    expect(it0).toMatchObject({ set: 's1', docId: 'd1', status: 'pending', negatives: [] });
    expect(it0.positive).toBe(`Statin side effects\n${DOC.text}`);
    const seed = g.calls[0].opts.seed;
    expect(it0.provenance).toEqual({
      method: 'llm',
      model: 'scripted#test',
      settings: { prompt: 'queries-v1', k: 2, temperature: 0.2, topP: 0.95, seed, maxTokens: 320 },
      createdAt: '2026-12-03T07:00:00.000Z',
    });
    expect(g.calls[0].opts.item).toBe('d1');
  });
  it('fails naming the document when the reply holds no query', async () => {
    const g = new ScriptedGenerator(['Here are the queries:\n\n']);
    await expect(writeQueries(g, DOC, { k: 2, set: 's' })).rejects.toThrow(
      /^doc d1: the reply of scripted#test held no usable query/,
    );
  });
});

describe('writeNegative', () => {
  const item: SynthItem = {
    id: 'd1#llm-0',
    set: 's',
    docId: 'd1',
    query: 'statin side effects',
    positive: POSITIVE,
    negatives: [
      {
        text: 'Aspirin is used after a heart attack to prevent clots in the coronary arteries of patients.',
        docId: 'd9',
        provenance: { method: 'mined', settings: {}, createdAt: '2026-12-01T00:00:00Z' },
      },
    ],
    provenance: { method: 'llm', settings: {}, createdAt: '2026-12-01T00:00:00Z' },
    status: 'pending',
  };
  it('writes a cleaned negative with provenance and its score, the mined one in the prompt', async () => {
    const g = new ScriptedGenerator([`Here is a passage:\n${REAL_NEGATIVE}`]);
    const r = await writeNegative(g, item, { now: NOW });
    expect(g.calls[0].messages[1].content).toContain(item.negatives[0].text);
    expect(r.negative?.text).toBe(REAL_NEGATIVE);
    expect(r.negative?.score).toBeLessThan(0.05);
    expect(r.negative?.provenance).toMatchObject({
      method: 'llm',
      model: 'scripted#test',
      settings: { prompt: 'hard-negative-v1', temperature: 0.7, minedDocId: 'd9', guardNgram: 0.5 },
      createdAt: '2026-12-03T07:00:00.000Z',
    });
  });
  it('reports a refused negative with its score and reason', async () => {
    const r = await writeNegative(new ScriptedGenerator([NEAR_COPY]), item);
    expect(r.negative).toBeUndefined();
    expect(r.rejected).toMatchObject({ itemId: 'd1#llm-0', text: NEAR_COPY });
    expect(r.rejected?.reason).toMatch(/too close to the positive/);
    expect(r.rejected?.score).toBeGreaterThan(0.5);
  });
  it('skips a mined negative marked false, using the prompt without one', async () => {
    const g = new ScriptedGenerator([REAL_NEGATIVE]);
    const marked = { ...item, negatives: [{ ...item.negatives[0], falseNegative: true }] };
    const r = await writeNegative(g, marked);
    expect(g.calls[0].messages[1].content).not.toContain('Aspirin');
    expect(r.negative?.provenance.settings.prompt).toBe('hard-negative-nomined-v1');
  });
});
