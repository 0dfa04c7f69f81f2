import 'fake-indexeddb/auto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tinyModelFiles } from '../../../testing/tiny-model-files';
import { describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../../../scripts/make-tiny-models';
import { countEmbeddings } from '../../../store/embeddings';
import type { JobProgress } from '../../client';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { connectInProcess } from '../../local';
import { createHash } from 'node:crypto';
import { fakeHub } from '../../../testing/fake-hub';
import { MemoryCaches } from '../../../testing/memory-caches';
import { hubFileUrls, type HubOptions } from './manager';

let n = 0;
function setup(dbName = `models-test-${++n}-${Date.now()}`, hub?: HubOptions) {
  const deps = nodeEngineDeps(dbName, { hub });
  const { client } = connectInProcess(deps);
  return {
    client,
    dbName,
    db: deps.db,
    init: () => client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' }),
  };
}

describe('models through the worker protocol', () => {
  it('imports a Hugging Face folder, describes it, keeps it across a reload, and evaluates it', async () => {
    const { client, dbName, db, init } = setup();
    await init();
    const progress: JobProgress[] = [];
    const entry = await client.request('import-model', { files: tinyModelFiles('tiny-bert') }, (p) =>
      progress.push(p),
    );
    expect(entry).toMatchObject({
      id: 'tiny-bert',
      source: 'folder',
      origin: 'tiny-bert',
      kind: 'transformer',
      engine: 'studio',
      dim: 32,
      custom: false,
    });
    expect(entry.details).toMatchObject({
      family: 'bert',
      modelType: 'bert',
      layers: 2,
      hidden: 32,
      heads: 4,
      kvHeads: 4,
      vocab: 138,
      maxTokens: 64,
      pooling: 'mean',
      attention: 'bidirectional',
    });
    expect(entry.details?.parameters).toBeGreaterThan(138 * 32);
    // only the four native files are kept (not the ONNX export)
    expect(entry.bytes).toBe(
      ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].reduce(
        (s, f) => s + statSync(join(TINY_MODELS_DIR, 'tiny-bert', f)).size,
        0,
      ),
    );
    expect(progress.map((p) => p.phase)).toEqual(
      expect.arrayContaining(['queued', 'read', 'load-model', 'save']),
    );
    expect(progress.some((p) => p.detail === 'tiny-bert/model.safetensors')).toBe(true);

    const same = await client.request('similarity', {
      model: 'tiny-bert',
      a: { text: 'heart attack', role: 'query' },
      b: { text: 'heart attack', role: 'query' },
      backend: 'cpu',
    });
    expect(same.similarity).toBeCloseTo(1, 5);
    expect(same.engine).toMatch(/^studio kernels on /);
    const other = await client.request('similarity', {
      model: 'tiny-bert',
      a: { text: 'heart attack', role: 'query' },
      b: { text: 'jet engine thrust', role: 'passage' },
      backend: 'cpu',
    });
    expect(other.similarity).toBeLessThan(0.9999);
    expect(other.ms).toBeGreaterThan(0);

    // a reload: a fresh engine over the same database loads the model from its stored files
    (await db()).close();
    const again = setup(dbName);
    await again.init();
    const list = await again.client.request('list-models', {});
    expect(list.map((m) => m.id)).toEqual(['use-lite', 'glove', 'tiny-bert']);
    expect(list[2].details?.layers).toBe(2);
    await again.client.request('load-demo', {});
    const run = await again.client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: 'tiny-bert' },
      backend: 'cpu',
    });
    expect(run.retriever).toBe('tiny-bert');
    expect(run.report.metrics['ndcg@10']).toBeGreaterThanOrEqual(0);
    const again2 = await again.client.request('similarity', {
      model: 'tiny-bert',
      a: { text: 'heart attack', role: 'query' },
      b: { text: 'jet engine thrust', role: 'passage' },
      backend: 'cpu',
    });
    expect(again2.similarity).toBeCloseTo(other.similarity, 5);
  });

  it('runs the ONNX export when asked, and names the missing or broken file', async () => {
    const { client, db, init } = setup();
    await init();
    const onnx = await client.request('import-model', {
      files: tinyModelFiles('tiny-qwen3'),
      engine: 'onnx',
      name: 'qwen-onnx',
    });
    expect(onnx).toMatchObject({ id: 'qwen-onnx', kind: 'onnx', engine: 'onnxruntime-web', ep: 'wasm' });
    expect(onnx.details).toMatchObject({
      family: 'decoder',
      modelType: 'qwen3',
      layers: 2,
      hidden: 32,
      heads: 4,
      kvHeads: 2,
      pooling: 'last',
    });
    const sim = await client.request('similarity', {
      model: 'qwen-onnx',
      a: { text: 'a b', role: 'query' },
      b: { text: 'a b', role: 'query' },
      backend: 'cpu',
    });
    expect(sim.similarity).toBeCloseTo(1, 4);
    expect(sim.engine).toBe('onnxruntime-web (wasm)');

    await expect(
      client.request('import-model', { files: tinyModelFiles('tiny-bert', ['tokenizer.json']) }),
    ).rejects.toMatchObject({ name: 'ModelImportError', file: 'tiny-bert/tokenizer.json' });
    await expect(
      client.request('import-model', {
        files: tinyModelFiles('tiny-bert', ['onnx/model.onnx']),
        engine: 'onnx',
      }),
    ).rejects.toMatchObject({ name: 'ModelImportError', file: 'tiny-bert/onnx/model.onnx' });
    const bad = new Uint8Array(
      readFileSync(join(TINY_MODELS_DIR, 'tiny-bert', 'model.safetensors')).subarray(0, 200),
    ) as Uint8Array<ArrayBuffer>;
    await expect(
      client.request('import-model', {
        files: tinyModelFiles('tiny-bert', [], { 'model.safetensors': bad }),
      }),
    ).rejects.toMatchObject({ name: 'SafetensorsError', file: 'tiny-bert/model.safetensors' });
    // nothing stored for the failures
    expect((await client.request('list-models', {})).map((m) => m.id)).toEqual([
      'use-lite',
      'glove',
      'qwen-onnx',
    ]);
    expect(await (await db()).count('modelFiles')).toBe(4);
  });

  it('downloads a hub model with per-file progress into the cache, edits templates, deletes it', async () => {
    const { hub, calls, store } = fakeHub();
    const { client, dbName, db, init } = setup(undefined, hub);
    await init();
    const progress: JobProgress[] = [];
    const entry = await client.request('import-model', { hub: 'test-org/tiny-qwen3' }, (p) =>
      progress.push(p),
    );
    expect(entry).toMatchObject({
      id: 'test-org/tiny-qwen3',
      source: 'hub',
      origin: 'test-org/tiny-qwen3',
      kind: 'transformer',
    });
    expect(entry.details).toMatchObject({
      family: 'decoder',
      modelType: 'qwen3',
      kvHeads: 2,
      pooling: 'last',
      attention: 'bidirectional',
    });
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(new Set(downloads.map((p) => p.detail))).toEqual(
      new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']),
    );
    expect(downloads.some((p) => p.detail === 'model.safetensors' && p.done === p.total && p.total > 0)).toBe(
      true,
    );
    expect(store.size).toBe(4);
    expect(calls).toHaveLength(4);
    expect(entry.defaults).toEqual({
      query: '{instruction}\nQuery: {text}',
      passage: 'Represent this passage\npassage: {title}\n{text}',
      instruction: 'Given a question, retrieve passages that answer the question',
    });

    // templates: validated, persisted, applied (and so part of the corpus cache key)
    await client.request('load-demo', {});
    await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: entry.id },
      backend: 'cpu',
    });
    const chunks = await countEmbeddings('demo', await db());
    await expect(
      client.request('set-templates', {
        model: entry.id,
        templates: { query: 'Q: {query}', passage: '{text}', instruction: 'x' },
      }),
    ).rejects.toMatchObject({ name: 'TemplateError', message: expect.stringContaining('{text}') });
    const edited = {
      query: '{instruction} || {text}',
      passage: 'Doc: {title} {text}',
      instruction: 'Find medical abstracts',
    };
    const t = await client.request('set-templates', { model: entry.id, templates: edited });
    expect(t).toMatchObject({ custom: true, templates: edited });
    const sim = await client.request('similarity', {
      model: entry.id,
      a: { text: 'heart', role: 'query' },
      b: { text: 'cardiac', role: 'passage' },
      backend: 'cpu',
    });
    expect(sim.texts).toEqual(['Find medical abstracts || heart', 'Doc: cardiac']);
    await client.request('evaluate', {
      dataset: 'demo',
      split: 'test',
      retriever: { model: entry.id },
      backend: 'cpu',
    });
    expect(await countEmbeddings('demo', await db())).toBe(2 * chunks);

    // a reload keeps the templates and loads the model from the cache, not the network
    (await db()).close();
    const again = setup(dbName, hub);
    await again.init();
    const details = await again.client.request('model-details', { model: entry.id });
    expect(details.templates).toMatchObject({ custom: true, templates: edited });
    expect(calls).toHaveLength(4);
    const reset = await again.client.request('set-templates', { model: entry.id, templates: null });
    expect(reset).toMatchObject({ custom: false, templates: entry.defaults });

    const runs = await again.client.request('list-runs', {});
    await again.client.request('delete-model', { model: entry.id });
    expect((await again.client.request('list-models', {})).map((m) => m.id)).toEqual(['use-lite', 'glove']);
    expect(await countEmbeddings('demo', await again.db())).toBe(0);
    expect(await again.client.request('list-runs', {})).toHaveLength(runs.length);
    for (const u of hubFileUrls(entry.id)) expect(store.has(u)).toBe(false);
    await expect(again.client.request('delete-model', { model: 'use-lite' })).rejects.toThrow(/built in/);
  });

  it('names the file of a hub 404, can be cancelled, and rejects malformed requests', async () => {
    const { hub } = fakeHub();
    const { client, init } = setup(undefined, hub);
    await init();
    await expect(client.request('import-model', { hub: 'test-org/nope' })).rejects.toMatchObject({
      name: 'HfLoadError',
      file: 'test-org/nope/config.json',
      message: expect.stringContaining('HTTP 404'),
    });
    const h = client.start('import-model', { hub: 'test-org/tiny-bert' });
    h.cancel();
    await expect(h.promise).rejects.toMatchObject({ name: 'AbortError' });
    expect((await client.request('list-models', {})).map((m) => m.id)).toEqual(['use-lite', 'glove']);
    await expect(
      client.request('similarity', {
        model: 'use-lite',
        a: { text: ' ', role: 'query' },
        b: { text: 'x', role: 'query' },
        backend: 'cpu',
      }),
    ).rejects.toMatchObject({ name: 'ProtocolError' });
    await expect(client.request('import-model', { hub: 'a|b' })).rejects.toMatchObject({
      name: 'ProtocolError',
    });
    await expect(client.request('model-details', { model: 'nope' })).rejects.toMatchObject({
      name: 'ModelNotFoundError',
    });
  });

  it('revalidates a downloaded hub model on request: unchanged files by 304, a changed file replaced', async () => {
    const changed = new Map<string, Buffer>();
    const sent: (string | null)[] = [];
    const caches = new MemoryCaches();
    const cache = await caches.open('stm-hf-models');
    const hub: HubOptions = {
      // a hub that sends ETags and honours If-None-Match
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const url = String(input);
        const m = /^https:\/\/huggingface\.co\/test-org\/([\w-]+)\/resolve\/main\/(.+)$/.exec(url);
        const path = m ? join(TINY_MODELS_DIR, m[1], m[2]) : '';
        if (!m || !existsSync(path)) return new Response('Entry not found', { status: 404 });
        const body = changed.get(m[2]) ?? readFileSync(path);
        const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
        const asked = new Headers(init?.headers).get('if-none-match');
        sent.push(asked);
        if (asked === etag) return new Response(null, { status: 304, headers: { etag } });
        return new Response(new Uint8Array(body), {
          headers: { etag, 'content-length': String(body.byteLength) },
        });
      }) as typeof fetch,
      cache: { match: (u) => cache.match(u), put: (u, r) => cache.put(u, r), delete: (u) => cache.delete(u) },
    };
    const { client, init } = setup(undefined, hub);
    await init();
    const entry = await client.request('import-model', { hub: 'test-org/tiny-qwen3' });
    sent.length = 0;
    const same = await client.request('revalidate-model', { model: entry.id });
    expect(same.map((r) => r.outcome)).toEqual(same.map(() => 'unchanged'));
    expect(same.length).toBeGreaterThanOrEqual(4);
    expect(sent.every((e) => e !== null && e.startsWith('"'))).toBe(true);

    changed.set('config.json', Buffer.from(readFileSync(join(TINY_MODELS_DIR, 'tiny-qwen3', 'config.json'))));
    changed.set('tokenizer_config.json', Buffer.from('{"changed": true}'));
    const after = await client.request('revalidate-model', { model: entry.id });
    expect(after.filter((r) => r.outcome === 'updated').map((r) => r.url)).toEqual([
      'https://huggingface.co/test-org/tiny-qwen3/resolve/main/tokenizer_config.json',
    ]);
    expect(await (await cache.match(after.find((r) => r.outcome === 'updated')!.url))?.text()).toBe(
      '{"changed": true}',
    );
    await expect(client.request('revalidate-model', { model: 'glove' })).rejects.toThrow(
      /nothing to revalidate/,
    );
  });
});
