/**
 * `synth-generate` with method llm through the real engine: queries and hard negatives written by a
 * chat-completions server (a real local HTTP server speaking the protocol), per-document failures as a
 * warning, a wrong key stopping the batch with nothing stored, hosted endpoints refused, and the
 * studio's own decoder as the writer (the tiny test model, whose 64 positions no prompt fits).
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT_CONFIG } from '../../../synth/endpoint-config';
import { listSynthItems, listSynthSets } from '../../../store/synth';
import { lastUserMessage, startChatServer, type ChatServer } from '../../../testing/chat-server';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { connectInProcess } from '../../local';
import type { SynthLlmSettings } from './protocol';

const TINY_QWEN3 = new URL('../../../../test-assets/tiny-models/tiny-qwen3', import.meta.url).pathname;

let n = 0;
async function setup() {
  const deps = nodeEngineDeps(`synth-llm-test-${++n}-${Date.now()}`);
  const { client } = connectInProcess(deps);
  const warnings: string[] = [];
  client.onWarning((_id, message) => warnings.push(message));
  await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
  await client.request('load-demo', {});
  return { client, db: deps.db, warnings };
}

let server: ChatServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const endpoint = (url: string, extra: Partial<typeof DEFAULT_ENDPOINT_CONFIG> = {}): SynthLlmSettings => ({
  writer: {
    kind: 'endpoint',
    config: { ...DEFAULT_ENDPOINT_CONFIG, baseUrl: url, model: 'm', retries: 0, ...extra },
  },
  perDoc: 2,
  maxDocs: 6,
  temperature: 0.5,
  seed: 3,
  writeNegatives: true,
});

describe('synth-generate, method llm', () => {
  it('writes queries and guarded hard negatives with an endpoint; failures of some documents are a warning', async () => {
    server = await startChatServer((req, i) => {
      const msg = lastUserMessage(req);
      // the third request fails (a 400: not retried, not fatal): that document is skipped
      if (i === 2) return { kind: 'status', status: 400, body: { error: { message: 'context too long' } } };
      if (/does NOT answer|not answer/i.test(msg))
        return {
          kind: 'ok',
          content:
            'Hospital budgets, staffing ratios and the history of the ward are described, with nothing on the question asked.',
        };
      const title = /Title: (.*)/.exec(msg)?.[1] ?? 'topic';
      return {
        kind: 'ok',
        content: `1. what is ${title.toLowerCase()}\n2. ${title.toLowerCase()} treatment`,
      };
    });
    const { client, db, warnings } = await setup();
    const phases = new Set<string>();
    const set = await client.start(
      'synth-generate',
      { dataset: 'demo', method: 'llm', llm: endpoint(server.url) },
      (p) => phases.add(p.phase),
    ).promise;
    expect(set).toMatchObject({ method: 'llm', model: expect.stringContaining('#m') });
    expect(set.settings).toMatchObject({
      writer: `${server.url} (m)`,
      perDoc: 2,
      maxDocs: 6,
      bm25Negatives: 1,
    });
    expect(JSON.stringify(set.settings)).not.toMatch(/apiKey/);
    const items = await listSynthItems(set.id, undefined, await db());
    expect(items.length).toBe(10);
    expect(new Set(items.map((i) => i.docId)).size).toBe(5);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^LLM queries: 1 request of 6 failed and was skipped \(first, d\d+: .*HTTP 400.*context too long/,
    );
    expect(items[0].query).toMatch(/^what is /);
    expect(items[0].provenance).toMatchObject({ method: 'llm', model: set.model });
    // a BM25 look-alike first, then the written one (its provenance says llm)
    expect(items[0].negatives.map((x) => x.provenance.method)).toEqual(['mined', 'llm']);
    expect(items[0].negatives[1].text).toMatch(/^Hospital budgets/);
    expect(phases).toContain('generate');
  }, 60_000);

  it('a wrong key stops the batch: an error, nothing stored', async () => {
    server = await startChatServer(() => ({ kind: 'status', status: 401, body: { error: 'bad key' } }));
    const { client, db } = await setup();
    await expect(
      client.start('synth-generate', { dataset: 'demo', method: 'llm', llm: endpoint(server.url) }).promise,
    ).rejects.toThrow(/LLM queries stopped: .*401/);
    expect(await listSynthSets(await db())).toEqual([]);
  });

  it('refuses a hosted endpoint (the page reaches only a server on this machine) before any request', async () => {
    const { client, db } = await setup();
    await expect(
      client.start('synth-generate', {
        dataset: 'demo',
        method: 'llm',
        llm: endpoint('https://api.example.com'),
      }).promise,
    ).rejects.toThrow(/reaches only an LLM server on this machine/);
    expect(await listSynthSets(await db())).toEqual([]);
  });

  it("the studio's own decoder as the writer: loads it and reports each document's failure clearly", async () => {
    const { client, db } = await setup();
    const llm: SynthLlmSettings = {
      ...endpoint('x'),
      writer: { kind: 'local', model: TINY_QWEN3 },
      maxDocs: 2,
    };
    await expect(
      client.start('synth-generate', { dataset: 'demo', method: 'llm', llm }).promise,
    ).rejects.toThrow(
      /every request failed; nothing was stored \(first: generate: the prompt's \d+ tokens leave no room in the model's 64 positions/,
    );
    expect(await listSynthSets(await db())).toEqual([]);
  }, 60_000);
});
