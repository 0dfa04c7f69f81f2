import { afterEach, describe, expect, it } from 'vitest';
import type { Doc } from '../data/types';
import { createCpuBackend } from '../gpu/cpu';
import { GloveEmbedder } from '../models/glove';
import { nodeAssetFetcher } from '../models/node-assets';
import type { Embedder } from '../models/types';
import {
  lastUserMessage,
  startChatServer,
  type ChatReply,
  type ChatRequestRecord,
  type ChatServer,
} from '../testing/chat-server';
import { runBatch, type BatchProgress } from './batch';
import { llmNegatives, llmQueryItems } from './llm-synth';
import { OpenAIGenerator } from './openai';
import type { SynthItem } from './types';

let server: ChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const DOCS: Doc[] = Array.from({ length: 12 }, (_, i) => ({
  id: `doc${i}`,
  title: '',
  text: `Document number ${i} is about topic ${i}. It has a second sentence.`,
}));

/** the document number a query prompt is about */
function docNumber(req: ChatRequestRecord): number {
  return Number(/Document number (\d+)/.exec(lastUserMessage(req))?.[1] ?? -1);
}

async function serve(script: (req: ChatRequestRecord, n: number) => ChatReply): Promise<OpenAIGenerator> {
  server = await startChatServer(script);
  return new OpenAIGenerator({ baseUrl: `${server.url}/v1`, model: 'tiny', retries: 1, backoffMs: 10 });
}

describe('runBatch', () => {
  it('never has more than the limit in flight, and collects failures without stopping', async () => {
    let inFlight = 0;
    let most = 0;
    const progress: BatchProgress[] = [];
    const r = await runBatch(
      Array.from({ length: 20 }, (_, i) => i),
      async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((res) => setTimeout(res, 5 + (i % 3) * 5));
        inFlight--;
        if (i % 7 === 3) throw new Error(`job ${i} broke`);
        return i * 10;
      },
      { concurrency: 3, onProgress: (p) => progress.push(p) },
    );
    expect(most).toBe(3);
    expect(r.failures.map((f) => [f.index, f.message])).toEqual([
      [3, 'job 3 broke'],
      [10, 'job 10 broke'],
      [17, 'job 17 broke'],
    ]);
    expect(r.values.filter((v) => v !== undefined)).toHaveLength(17);
    expect(r.values[4]).toBe(40);
    expect(r.cancelled).toBe(false);
    expect(progress).toHaveLength(20);
    expect(progress.at(-1)).toEqual({ total: 20, done: 20, failed: 3, inFlight: 0 });
  });
});

describe('llmQueryItems against a local chat-completions server', () => {
  it('keeps at most C requests in flight (the server counts them) and writes items in document order', async () => {
    const g = await serve((req) => ({
      kind: 'ok',
      content: `1. topic ${docNumber(req)} query\n2. what is topic ${docNumber(req)}`,
      delayMs: 30,
    }));
    const progress: BatchProgress[] = [];
    const r = await llmQueryItems(DOCS, g, {
      k: 2,
      set: 'llm-set',
      concurrency: 3,
      onProgress: (p) => progress.push(p),
    });
    expect(server!.requests).toHaveLength(12);
    expect(server!.maxInFlight).toBe(3);
    expect(r.errors).toEqual([]);
    expect(r.items).toHaveLength(24);
    expect(r.items.slice(0, 3).map((i) => [i.id, i.query])).toEqual([
      ['doc0#llm-0', 'topic 0 query'],
      ['doc0#llm-1', 'what is topic 0'],
      ['doc1#llm-0', 'topic 1 query'],
    ]);
    expect(r.items[0].provenance.model).toBe(`${server!.url}/v1#tiny`);
    expect(progress.at(-1)).toMatchObject({ total: 12, done: 12, failed: 0 });
  });

  it('drops a query another document already got', async () => {
    const g = await serve((req) => ({
      kind: 'ok',
      content: docNumber(req) < 2 ? `What is topic X?\nonly for ${docNumber(req)}` : 'what is topic x',
    }));
    const r = await llmQueryItems(DOCS.slice(0, 3), g, { k: 2, set: 's', concurrency: 1 });
    expect(r.items.map((i) => [i.id, i.query])).toEqual([
      ['doc0#llm-0', 'What is topic X?'],
      ['doc0#llm-1', 'only for 0'],
      ['doc1#llm-1', 'only for 1'],
    ]);
    expect(r.duplicates).toBe(2);
    expect(r.errors).toEqual([]);
  });

  it('collects per-document errors (HTTP 400, no usable query) without stopping the batch', async () => {
    const g = await serve((req) => {
      const d = docNumber(req);
      if (d === 2)
        return { kind: 'status', status: 400, body: { error: { message: 'context length exceeded' } } };
      if (d === 5) return { kind: 'ok', content: 'Here are the queries:' };
      if (d === 7) return { kind: 'raw', body: 'not json' };
      return { kind: 'ok', content: `query for ${d}` };
    });
    const r = await llmQueryItems(DOCS, g, { k: 1, set: 's', concurrency: 4 });
    expect(r.items.map((i) => i.docId)).toEqual(
      DOCS.map((d) => d.id).filter((id) => !['doc2', 'doc5', 'doc7'].includes(id)),
    );
    expect(r.errors.map((e) => e.id)).toEqual(['doc2', 'doc5', 'doc7']);
    expect(r.errors[0].message).toContain('item doc2): HTTP 400 Bad Request: context length exceeded');
    expect(r.errors[1].message).toContain('doc doc5: the reply of');
    expect(r.errors[2].message).toContain('the reply is not valid JSON');
    expect(r.stoppedBy).toBeUndefined();
  });

  it('stops the batch on a wrong API key (401) instead of failing every document', async () => {
    const g = await serve(() => ({
      kind: 'status',
      status: 401,
      body: { error: { message: 'invalid key' } },
      delayMs: 20,
    }));
    const r = await llmQueryItems(DOCS, g, { k: 1, set: 's', concurrency: 2 });
    expect(r.stoppedBy).toMatch(/HTTP 401 Unauthorized: invalid key/);
    expect(server!.requests.length).toBeLessThanOrEqual(3);
    expect(r.items).toEqual([]);
  });

  it('cancels: the requests in flight are aborted, nothing new starts, finished items are kept', async () => {
    const ctl = new AbortController();
    const g = await serve((req, n) => {
      if (n === 3) setTimeout(() => ctl.abort(), 50);
      return n < 2 ? { kind: 'ok', content: `q${docNumber(req)}` } : { kind: 'hang' };
    });
    const r = await llmQueryItems(DOCS, g, { k: 1, set: 's', concurrency: 2, signal: ctl.signal });
    expect(r.cancelled).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.items.map((i) => i.query).sort()).toEqual(['q0', 'q1']);
    expect(server!.requests).toHaveLength(4);
  });
});

describe('llmNegatives against a local chat-completions server', () => {
  const POS =
    'Statins lower LDL cholesterol by inhibiting HMG-CoA reductase; muscle pain is their most common side effect.';
  const items: SynthItem[] = ['a', 'b', 'c'].map((k) => ({
    id: `${k}#0`,
    set: 's',
    docId: k,
    query: `query ${k}`,
    positive: POS,
    negatives: [],
    provenance: { method: 'ict', settings: {}, createdAt: '2026-12-01T00:00:00Z' },
    status: 'pending',
  }));
  it('appends accepted negatives, reports refused ones and errors, returns every item in order', async () => {
    const g = await serve((req) => {
      const q = /Query: query (\w)/.exec(lastUserMessage(req))?.[1];
      if (q === 'a')
        return {
          kind: 'ok',
          content:
            'Here is a passage:\nEzetimibe lowers LDL cholesterol by blocking its absorption in the gut of patients.',
        };
      if (q === 'b') return { kind: 'ok', content: POS };
      return { kind: 'status', status: 500, body: 'down' };
    });
    const r = await llmNegatives(items, g, { concurrency: 2 });
    expect(r.items.map((i) => i.id)).toEqual(['a#0', 'b#0', 'c#0']);
    expect(r.written).toBe(1);
    expect(r.items[0].negatives.map((n) => n.text)).toEqual([
      'Ezetimibe lowers LDL cholesterol by blocking its absorption in the gut of patients.',
    ]);
    expect(r.items[0].negatives[0].provenance.settings.prompt).toBe('hard-negative-nomined-v1');
    expect(r.items[1].negatives).toEqual([]);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]).toMatchObject({ itemId: 'b#0', ngram: 1, score: 1 });
    expect(r.errors.map((e) => e.id)).toEqual(['c#0']);
    expect(r.errors[0].message).toMatch(
      /item c#0\): HTTP 500 Internal Server Error: down — gave up after 2 attempts/,
    );
  });

  it('guards with GloVe cosine, one embedding call at a time while requests run concurrently', async () => {
    const glove = await GloveEmbedder.load(nodeAssetFetcher());
    let embedding = 0;
    let mostEmbedding = 0;
    const counted: Embedder = {
      id: glove.id,
      dim: glove.dim,
      templates: glove.templates,
      async embed(backend, texts, role) {
        embedding++;
        mostEmbedding = Math.max(mostEmbedding, embedding);
        await new Promise((r) => setTimeout(r, 10));
        try {
          return await glove.embed(backend, texts, role);
        } finally {
          embedding--;
        }
      },
    };
    const reworded =
      'Muscle pain is the most common side effect of statins, which lower LDL cholesterol by HMG-CoA reductase inhibition.';
    const many = Array.from({ length: 6 }, (_, i) => ({
      ...items[0],
      id: `x${i}#0`,
      query: `query ${i % 2 ? 'r' : 'e'}`,
    }));
    const g = await serve((req) =>
      /Query: query r/.test(lastUserMessage(req))
        ? { kind: 'ok', content: reworded, delayMs: 10 }
        : {
            kind: 'ok',
            content:
              'Ezetimibe lowers LDL cholesterol by blocking the absorption of cholesterol in the small intestine.',
            delayMs: 10,
          },
    );
    const r = await llmNegatives(many, g, {
      concurrency: 3,
      guard: { embedder: counted, backend: createCpuBackend(), maxCosine: 0.95 },
    });
    expect(server!.maxInFlight).toBe(3);
    expect(mostEmbedding).toBe(1);
    expect(r.errors).toEqual([]);
    expect(r.written).toBe(3);
    expect(r.rejected.map((x) => x.itemId)).toEqual(['x1#0', 'x3#0', 'x5#0']);
    for (const x of r.rejected) {
      expect(x.reason).toMatch(/cosine 0\.9\d\d > 0\.950 \(glove\)/);
      expect(x.score).toBe(x.cosine);
    }
    const kept = r.items[0].negatives[0];
    expect(kept.score).toBeLessThan(0.95);
    expect(kept.provenance.settings).toMatchObject({ guardCosine: 0.95, guardModel: 'glove' });
  });
});
