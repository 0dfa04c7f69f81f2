import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { expertFiles } from '../../../experts/files';
import { DEFAULT_ENDPOINT_CONFIG } from '../../../synth/endpoint-config';
import { adapterExpertRecord } from '../../../testing/expert-record';
import { Rng } from '../../../util/rng';
import { startChatServer } from '../../../testing/chat-server';
import { loadEmbedder } from '../../../models/registry';
import type { Embedder } from '../../../models/types';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { connectInProcess } from '../../local';
import type { PromptSearchRequest } from './protocol';

let n = 0;
/** passages embedded by the built-in models so far (all tests: compare differences) */
const passages = { n: 0 };
const counted = new WeakSet<Embedder>();
/** An engine in Node whose models count the passages they embed (to see the corpus cache at work). */
function setup() {
  const deps = nodeEngineDeps(`prompts-test-${++n}-${Date.now()}`, {
    loadEmbedder: async (id, f) => {
      // the registry keeps one instance per model: patch it once, keeping its class (describeEmbedder)
      const e = await loadEmbedder(id, f);
      if (!counted.has(e)) {
        counted.add(e);
        const embed = e.embed.bind(e);
        (e as { embed: Embedder['embed'] }).embed = (b, texts, role) => {
          if (role === 'passage') passages.n += texts.length;
          return embed(b, texts, role);
        };
      }
      return e;
    },
  });
  return { client: connectInProcess(deps).client };
}

/** The demo with its 48 test queries dealt into dev (24) and test (24): disjoint, as a search needs. */
async function demoWithDev(client: ReturnType<typeof setup>['client']) {
  await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
  const meta = await client.request('load-demo', {});
  await client.request('split-dataset', {
    dataset: 'demo',
    from: 'test',
    into: [
      { name: 'dev', fraction: 0.5 },
      { name: 'test', fraction: 0.5 },
    ],
    seed: 3,
    replace: true,
  });
  return meta;
}

const REQ: PromptSearchRequest = {
  model: 'glove',
  dataset: 'demo',
  split: 'dev',
  taskType: 'web-search',
  candidates: ['Find passages that answer the question', '', '  Find passages that answer the question '],
  mutate: true,
  seed: 7,
  budget: 400,
  eta: 2,
  minQueries: 6,
  backend: 'cpu',
};

describe('worker prompts feature (issue 11 items 2, 4, 5)', () => {
  it('searches on the dev split with a live leaderboard, stores the result, is reproducible by seed, embeds the corpus once', async () => {
    const { client } = setup();
    const meta = await demoWithDev(client);
    const start = passages.n;
    const seen: { rung: number; spent: number; board: number }[] = [];
    const rec = await client.start('prompt-search', REQ, (p) => {
      if (p.prompts)
        seen.push({ rung: p.prompts.rung, spent: p.prompts.spent, board: p.prompts.leaderboard.length });
    }).promise;
    const r = rec.result;
    expect(r.split).toBe('dev');
    expect(r.dataset).toBe('demo');
    expect(r.seed).toBe(7);
    expect(r.spent).toBeLessThanOrEqual(400);
    expect(r.leaderboard.length).toBe(r.tried);
    expect(r.leaderboard.some((s) => s.candidate.origin === 'baseline')).toBe(true);
    // the user's instruction once (blank and repeated lines dropped), library and mutations besides
    const user = r.leaderboard.filter((s) => s.candidate.origin === 'user');
    expect(user.map((s) => s.candidate.instruction)).toEqual(['Find passages that answer the question']);
    expect(r.leaderboard.some((s) => s.candidate.origin === 'library')).toBe(true);
    expect(r.best.ndcg10).toBe(
      Math.max(...r.leaderboard.filter((s) => s.rung === r.best.rung).map((s) => s.ndcg10)),
    );
    for (const s of r.leaderboard) {
      expect(s.ci[0]).toBeLessThanOrEqual(s.ndcg10);
      expect(s.ci[1]).toBeGreaterThanOrEqual(s.ndcg10);
    }
    // progress carried the leaderboard so far, and the spending grew
    expect(seen.some((p) => p.board > 0)).toBe(true);
    expect(seen[seen.length - 1].spent).toBeGreaterThanOrEqual(seen[0].spent);
    // the demo's passages were embedded once, whatever the number of instructions tried
    const corpus = passages.n;
    expect(corpus - start).toBe(meta.counts.docs);
    // stored: a reload lists it
    const list = await client.request('list-prompt-searches', {});
    expect(list.map((x) => x.id)).toEqual([rec.id]);
    expect(list[0].request).not.toHaveProperty('backend');
    // the same seed gives the same leaderboard; the corpus comes from the IndexedDB cache this time
    const again = await client.request('prompt-search', REQ);
    expect(again.result.leaderboard).toEqual(r.leaderboard);
    expect(passages.n).toBe(corpus);
    expect((await client.request('list-prompt-searches', {})).map((x) => x.id)).toEqual([again.id, rec.id]);
  }, 180_000);

  it('scores the winner once on test, applies it to the model, and evaluation runs and reports under it', async () => {
    const { client } = setup();
    await demoWithDev(client);
    const rec = await client.request('prompt-search', {
      ...REQ,
      taskType: undefined,
      mutate: false,
      candidates: ['Retrieve the passage that answers this question about plants and animals'],
    });
    const winner = rec.result.best.candidate.instruction;
    const scored = await client.request('prompt-score-test', { search: rec.id, backend: 'cpu' });
    expect(scored.test).toMatchObject({ split: 'test', instruction: winner });
    expect(scored.test!.queries).toBe(24);
    expect(scored.test!.ci[0]).toBeLessThanOrEqual(scored.test!.ndcg10);
    expect((await client.request('list-prompt-searches', {}))[0].test).toEqual(scored.test);
    await expect(client.request('prompt-score-test', { search: rec.id, backend: 'cpu' })).rejects.toThrow(
      'its winner was already scored on test',
    );
    await expect(client.request('prompt-score-test', { search: 'nope', backend: 'cpu' })).rejects.toThrow(
      'No stored prompt search with id "nope"',
    );

    // apply an instruction to glove (no {instruction} of its own): the paper's format goes around its template
    const instruction = winner ?? 'Retrieve the passage that answers this question about plants and animals';
    const t = await client.request('apply-prompt', { model: 'glove', instruction });
    expect(t.custom).toBe(true);
    expect(t.templates).toEqual({
      query: '{instruction}\nQuery: {text}',
      passage: t.defaults.passage,
      instruction,
    });
    const before = passages.n;
    const run = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: 'glove' },
      backend: 'cpu',
    });
    expect(run.report.instruction).toBe(instruction);
    expect(run.report.queryTemplate).toBe(`${instruction}\nQuery: {text}`);
    // the passage template did not change: the search's corpus embeddings served the evaluation
    expect(passages.n).toBe(before);
    // no instruction again: glove's own template, evaluated with none
    const plain = await client.request('apply-prompt', { model: 'glove', instruction: null });
    expect(plain.custom).toBe(false);
    const run2 = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: 'glove' },
      backend: 'cpu',
    });
    expect(run2.report.instruction).toBeNull();
    expect(run2.report.queryTemplate).toBe(plain.defaults.query);
    await expect(client.request('apply-prompt', { model: 'expert:x', instruction: 'a' })).rejects.toThrow(
      'no expert "x"',
    );
    await expect(client.request('apply-prompt', { model: 'glove', instruction: 'a {b}' })).rejects.toThrow(
      'may not contain { or }',
    );
  }, 180_000);

  it("asks the Synthesize tab's LLM server for reflective proposals; its key is never stored", async () => {
    const server = await startChatServer((_req, i) => ({
      kind: 'ok',
      content: `Instruction: Retrieve the passage that explains the answer ${i + 1}`,
    }));
    try {
      const { client } = setup();
      await demoWithDev(client);
      const rec = await client.request('prompt-search', {
        ...REQ,
        mutate: false,
        llm: {
          kind: 'endpoint',
          config: {
            ...DEFAULT_ENDPOINT_CONFIG,
            baseUrl: server.url,
            model: 'm',
            apiKey: 'sk-secret',
            retries: 0,
          },
        },
      });
      expect(server.requests.length).toBeGreaterThan(0);
      // the model was shown the current instruction and failed dev queries
      const asked = server.requests[0].body.messages?.map((m) => m.content).join('\n') ?? '';
      expect(asked.length).toBeGreaterThan(100);
      const llm = rec.result.leaderboard.filter((x) => x.candidate.origin === 'llm');
      expect(llm.length).toBeGreaterThan(0);
      expect(llm[0].candidate.instruction).toMatch(/^Retrieve the passage that explains the answer \d+$/);
      expect(rec.request.llm).toBe(`${server.url} (m)`);
      expect(JSON.stringify(await client.request('list-prompt-searches', {}))).not.toContain('sk-secret');
      await expect(
        client.request('prompt-search', { ...REQ, llm: { kind: 'cloud' } as never }),
      ).rejects.toMatchObject({
        name: 'ProtocolError',
        message: expect.stringContaining('prompt-search llm must be'),
      });
    } finally {
      await server.close();
    }
  }, 180_000);

  it('searches for an expert as evaluation resolves it (its base model plus its weights)', async () => {
    const { client } = setup();
    await demoWithDev(client);
    // a full adapter over GloVe (100-d): W = I + noise
    const dim = 100;
    const rng = new Rng(4);
    const w = new Float32Array(dim * dim);
    for (let i = 0; i < w.length; i++) w[i] = (i % (dim + 1) === 0 ? 1 : 0) + 0.03 * rng.normal();
    const weights = new Map([
      ['adapter.W', { shape: [dim, dim], data: w }],
      ['adapter.b', { shape: [dim], data: new Float32Array(dim) }],
    ]);
    const files = [...expertFiles(adapterExpertRecord({ id: 'ex', name: 'ex' }), weights)].map(
      ([f, d]) => new File([d], f),
    );
    const expert = await client.request('import-expert', { files });
    const model = `expert:${expert.id}`;
    const rec = await client.request('prompt-search', { ...REQ, model, mutate: false });
    expect(rec.result.model).toBe(model);
    expect(rec.request.model).toBe(model);
    // the expert's baseline differs from its base model's: the adapter was applied
    const base = await client.request('prompt-search', { ...REQ, mutate: false });
    expect(rec.result.baseline.ndcg10).not.toBe(base.result.baseline.ndcg10);
    // the winner (or any instruction) applied to the expert: kept in its record, evaluated under it
    const chosen = 'Retrieve the passage that answers this question';
    const applied = await client.request('apply-prompt', { model, instruction: chosen });
    expect(applied.templates.instruction).toBe(chosen);
    expect(applied.defaults.instruction).toBeNull();
    const [stored] = await client.request('list-experts', {});
    expect(stored.instruction).toBe(chosen);
    const run = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model },
      backend: 'cpu',
    });
    expect(run.report.instruction).toBe(chosen);
    expect(run.report.queryTemplate).toBe(`${chosen}\nQuery: {text}`);
    // back to no instruction: the expert's plain template
    await client.request('apply-prompt', { model, instruction: null });
    const plain = await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model },
      backend: 'cpu',
    });
    expect(plain.report.instruction).toBeNull();
    expect(plain.report.metrics['ndcg@10']).not.toBe(run.report.metrics['ndcg@10']);
  }, 180_000);

  it('cancel ends the search without storing it; bad requests are refused naming the field', async () => {
    const { client } = setup();
    await demoWithDev(client);
    let sent = false;
    const h = client.start('prompt-search', { ...REQ, budget: 5000 }, (p) => {
      if (p.prompts && !sent) {
        sent = true;
        h.cancel();
      }
    });
    await expect(h.promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(sent).toBe(true);
    expect(await client.request('list-prompt-searches', {})).toEqual([]);

    await expect(client.request('prompt-search', { ...REQ, split: 'test' })).rejects.toMatchObject({
      name: 'ProtocolError',
      message:
        'prompt-search may not search on a test split ("test"): choose a dev split (split the dataset in the Data tab to make one)',
    });
    await expect(client.request('prompt-search', { ...REQ, split: 'held-test' })).rejects.toMatchObject({
      name: 'ProtocolError',
    });
    await expect(client.request('prompt-search', { ...REQ, budget: 0 })).rejects.toMatchObject({
      message: 'prompt-search budget must be an integer in 1..10000000',
    });
    await expect(
      client.request('prompt-search', { ...REQ, taskType: 'poetry' as 'web-search' }),
    ).rejects.toMatchObject({ message: expect.stringContaining('prompt-search taskType must be one of') });
    await expect(client.request('prompt-search', { ...REQ, split: 'train' })).rejects.toThrow(
      'dataset "demo" has no split "train" (it has test, dev)',
    );
    await expect(
      client.request('prompt-search', { ...REQ, candidates: ['fine', 'bad {x}'] }),
    ).rejects.toThrow('prompt-search: your instruction on line 2: an instruction may not contain { or }');
    expect(await client.request('list-prompt-searches', {})).toEqual([]);
  }, 180_000);
});
