import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import type { Dataset } from '../data/types';
import { genericPolicy } from '../prompts/generic';
import { PROMPT_FORMAT } from '../prompts/policy';
import { fakeEmbedder } from '../testing/train-support';
import { createAdapterTrainable } from './adapter';
import { defaultTrainConfig } from './defaults';
import { drawInstruction } from './prompts';
import { trainRun } from './trainer';
import type { TrainableEmbedder, TrainCheckpoint, TrainConfig, TrainingPair } from './types';

const pairs: TrainingPair[] = Array.from({ length: 24 }, (_, i) => ({
  query: `q${i}`,
  positive: `p${i}`,
  negatives: [`n${i}`],
}));
const templates = { query: 'query: {text}', passage: 'passage: {text}' };
const gp4 = genericPolicy(4);

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...defaultTrainConfig('adapter'),
    adapter: { kind: 'lowrank', rank: 4 },
    steps: 6,
    batchSize: 8,
    warmupSteps: 2,
    lr: 0.05,
    checkpointEvery: 0,
    prompts: gp4,
    ...over,
  };
}

/** a trainable that records the query texts of every training forward */
function recording(): { t: TrainableEmbedder; queries: string[][] } {
  const t = createAdapterTrainable(fakeEmbedder(16), createCpuBackend(), { kind: 'lowrank', rank: 4 }, 11);
  const queries: string[][] = [];
  const forward = t.forwardTrain.bind(t);
  t.forwardTrain = (texts, role, opts) => {
    if (role === 'query') queries.push([...texts]);
    return forward(texts, role, opts);
  };
  return { t, queries };
}

const instructionOf = (text: string) => text.split('\nQuery: ')[0];

describe('training under a prompt policy', () => {
  it('draws one instruction per query, seeded by (seed, step, place in batch)', () => {
    const draws = Array.from({ length: 8 }, (_, i) => drawInstruction(gp4, 42, 0, i));
    expect(new Set(draws).size).toBeGreaterThan(1);
    expect(draws.every((d) => gp4.instructions.includes(d!))).toBe(true);
    expect(Array.from({ length: 8 }, (_, i) => drawInstruction(gp4, 42, 0, i))).toEqual(draws);
    const other = Array.from({ length: 8 }, (_, i) => drawInstruction(gp4, 43, 0, i));
    const later = Array.from({ length: 8 }, (_, i) => drawInstruction(gp4, 42, 1, i));
    expect(other).not.toEqual(draws);
    expect(later).not.toEqual(draws);
    expect(drawInstruction(undefined, 42, 0, 0)).toBeNull();
    const fixed = { kind: 'fixed' as const, format: PROMPT_FORMAT, instructions: ['Find the answer'] };
    expect(drawInstruction(fixed, 42, 3, 5)).toBe('Find the answer');
  });

  it('puts each query (never a passage) under its drawn instruction in the paper format', async () => {
    const { t, queries } = recording();
    await trainRun({ runId: 'r', trainable: t, pairs, config: config(), templates });
    expect(queries).toHaveLength(6);
    for (const [step, batch] of queries.entries()) {
      batch.forEach((text, i) => {
        const want = drawInstruction(gp4, 42, step, i)!;
        expect(text).toMatch(/^.+\nQuery: q\d+$/);
        expect(instructionOf(text)).toBe(want);
      });
    }
    expect(new Set(queries.flat().map(instructionOf)).size).toBe(4);
  });

  it('a resumed GP run sees the same prompted queries and ends with the same weights', async () => {
    const full = recording();
    const whole = await trainRun({ runId: 'r', trainable: full.t, pairs, config: config(), templates });
    const cks: TrainCheckpoint[] = [];
    await trainRun({
      runId: 'r',
      trainable: recording().t,
      pairs,
      config: config({ checkpointEvery: 3 }),
      templates,
      onCheckpoint: (c) => void cks.push(c),
    });
    const at3 = cks.find((c) => c.step === 3)!;
    const rest = recording();
    const resumed = await trainRun({
      runId: 'r',
      trainable: rest.t,
      pairs,
      config: config(),
      templates,
      resume: at3,
    });
    expect(rest.queries).toEqual(full.queries.slice(3));
    for (const [name, a] of Object.entries(whole.checkpoint.params)) {
      const b = resumed.checkpoint.params[name];
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-6);
    }
  });

  it('dev evaluation during training embeds queries under the default instruction, passages plain', async () => {
    const base = fakeEmbedder(16);
    const seen: string[] = [];
    const embed = base.embed.bind(base);
    base.embed = (b, texts, role) => (seen.push(...texts.map((t) => `${role}|${t}`)), embed(b, texts, role));
    const t = createAdapterTrainable(base, createCpuBackend(), { kind: 'lowrank', rank: 4 }, 11);
    const dev: Dataset = {
      name: 'dev',
      docs: [0, 1, 2].map((i) => ({ id: `d${i}`, title: '', text: `doc ${i}` })),
      queries: [0, 1].map((i) => ({ id: `dq${i}`, text: `dev question ${i}` })),
      qrels: { dev: new Map([0, 1].map((i) => [`dq${i}`, new Map([[`d${i}`, 1]])])) },
    };
    const { history } = await trainRun({
      runId: 'r',
      trainable: t,
      pairs,
      config: config({ steps: 2, devEvery: 2 }),
      templates,
      dev: { dataset: dev, split: 'dev' },
    });
    expect(history[1].devNdcg10).toBeGreaterThan(0);
    expect(seen).toContain(`query|${gp4.instructions[0]}\nQuery: dev question 0`);
    expect(
      seen
        .filter((s) => s.includes('dev question'))
        .every((s) => s.startsWith(`query|${gp4.instructions[0]}\n`)),
    ).toBe(true);
    expect(seen).toContain('passage|passage: doc 0');
  });

  it('refuses a malformed policy before training', async () => {
    const bad = { kind: 'gp' as const, format: '{text}', instructions: ['a'] };
    await expect(
      trainRun({ runId: 'r', trainable: recording().t, pairs, config: config({ prompts: bad }), templates }),
    ).rejects.toThrow(/config.prompts: the format needs both/);
  });
});
