/**
 * The worker's `generate-text` on tiny-qwen3 (CPU backend): by folder path (Node) and as an imported model
 * (its files in IndexedDB, as the browser has it); text comes back, the same seed gives the same text,
 * progress reports the tokens, the model stays loaded, bad requests name the field, cancel stops it.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../../../scripts/make-tiny-models';
import { nodeEngineDeps } from '../../../testing/engine-deps';
import { tinyModelFiles } from '../../../testing/tiny-model-files';
import { loadLocalGenerator } from '../../../synth/local-generator';
import { fakeHub } from '../../../testing/fake-hub';
import { connectInProcess } from '../../local';
import type { HubOptions } from '../models/manager';
import type { JobProgress } from '../../client';

const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const MESSAGES = [
  { role: 'system' as const, content: 'Write queries.' },
  { role: 'user' as const, content: 'The cell.' },
];
const OPTIONS = { maxTokens: 8, temperature: 1, topP: 0.95, seed: 11 };

let n = 0;
function setup(hub?: HubOptions) {
  const { client } = connectInProcess(nodeEngineDeps(`generate-test-${++n}-${Date.now()}`, { hub }));
  return client;
}

describe('worker generate-text', () => {
  it('writes text on tiny-qwen3 by folder path, deterministic by seed, with token progress', async () => {
    const client = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    const phases: JobProgress[] = [];
    const body = { model: QWEN, messages: MESSAGES, options: OPTIONS, backend: 'cpu' as const };
    const a = await client.request('generate-text', body, (p) => phases.push(p));
    expect(a.text.length).toBeGreaterThan(0);
    expect(a.finish === 'stop' || a.finish === 'length').toBe(true);
    expect(a.tokens).toBeGreaterThan(0);
    expect(phases.some((p) => p.phase === 'download' && p.detail === 'model.safetensors')).toBe(true);
    const gen = phases.filter((p) => p.phase === 'generate');
    expect(gen.length).toBeGreaterThan(0);
    expect(gen[gen.length - 1].total).toBe(8);

    const later: JobProgress[] = [];
    const b = await client.request('generate-text', body, (p) => later.push(p));
    expect(b).toEqual(a);
    expect(later.some((p) => p.phase === 'download')).toBe(false); // kept loaded
    const c = await client.request('generate-text', { ...body, options: { ...OPTIONS, seed: 12 } });
    const d = await client.request('generate-text', { ...body, options: { ...OPTIONS, seed: 13 } });
    expect(new Set([a.text, c.text, d.text]).size).toBeGreaterThan(1);

    // the same text as the generator in Node (same engine, same seed)
    const local = await loadLocalGenerator(QWEN);
    expect(await local.generate(MESSAGES, OPTIONS)).toEqual(a);
    // requests in flight together (the synth batch runner's concurrency) each keep their own cache
    const both = await Promise.all(
      [12, 11, 13].map((seed) => local.generate(MESSAGES, { ...OPTIONS, seed })),
    );
    expect(both).toEqual([c, a, d]);
    local.release();
  });

  it('generates with an imported folder model (files in IndexedDB) by its id', async () => {
    const client = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    const entry = await client.request('import-model', {
      files: tinyModelFiles('tiny-qwen3'),
      name: 'tiny chat',
    });
    const r = await client.request('generate-text', {
      model: entry.id,
      messages: MESSAGES,
      options: { ...OPTIONS, temperature: 0 },
      backend: 'cpu',
    });
    const local = await loadLocalGenerator(QWEN);
    expect(r).toEqual(await local.generate(MESSAGES, { ...OPTIONS, temperature: 0 }));
    local.release();

    // a model whose own template this renderer cannot run: ChatML, and a warning that says why
    const tc = JSON.parse(readFileSync(join(QWEN, 'tokenizer_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    tc.chat_template = "{% for m in messages %}{{ m.content.startswith('x') }}{% endfor %}";
    const odd = await client.request('import-model', {
      files: tinyModelFiles('tiny-qwen3', [], {
        'tokenizer_config.json': new TextEncoder().encode(JSON.stringify(tc)),
      }),
      name: 'odd template',
    });
    const warnings: string[] = [];
    client.onWarning((_id, m) => warnings.push(m));
    const w = await client.request('generate-text', {
      model: odd.id,
      messages: MESSAGES,
      options: { ...OPTIONS, temperature: 0 },
      backend: 'cpu',
    });
    expect(w.tokens).toBeGreaterThan(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /tokenizer_config\.json: "chat_template" failed to render .*using the ChatML turns/,
    );
  });

  it('downloads a hub model once with per-file progress (generation_config.json too, optional), then from the cache', async () => {
    const { hub, calls } = fakeHub();
    const client = setup(hub);
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    const files: string[] = [];
    const body = {
      model: 'test-org/tiny-qwen3',
      messages: MESSAGES,
      options: OPTIONS,
      backend: 'cpu' as const,
    };
    const a = await client.request('generate-text', body, (p) => {
      if (p.phase === 'download' && p.detail && !files.includes(p.detail)) files.push(p.detail);
    });
    expect(files.sort()).toEqual(
      [
        'config.json',
        'generation_config.json',
        'model.safetensors',
        'tokenizer.json',
        'tokenizer_config.json',
      ].sort(),
    );
    const fetched = calls.length;
    expect(fetched).toBe(5);
    // a new engine (a reload) loads it from the cache: no network
    const again = setup(hub);
    await again.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    expect(await again.request('generate-text', body)).toEqual(a);
    expect(calls.length).toBe(fetched);
    // a model without generation_config.json (404) loads; it then stops only at config.json's EOS
    const bare = fakeHub(['generation_config.json']);
    const c3 = setup(bare.hub);
    await c3.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    await expect(c3.request('generate-text', body)).resolves.toMatchObject({ tokens: expect.any(Number) });
    await expect(c3.request('generate-text', { ...body, model: 'test-org/no-such-model' })).rejects.toThrow(
      /test-org\/no-such-model\/config\.json: HTTP 404/,
    );
  });

  it('names the bad field of a request and a model that is not there; cancel stops a generation', async () => {
    const client = setup();
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    const ok = { model: QWEN, messages: MESSAGES, options: OPTIONS, backend: 'cpu' as const };
    await expect(
      client.request('generate-text', { ...ok, options: { ...OPTIONS, topP: 0 } }),
    ).rejects.toMatchObject({
      name: 'ProtocolError',
      message: 'options.topP must be in (0, 1]',
    });
    await expect(
      client.request('generate-text', { ...ok, messages: [{ role: 'robot', content: 'x' }] as never }),
    ).rejects.toThrow('generate-text messages[0] must be {role: system|user|assistant, content: string}');
    await expect(client.request('generate-text', { ...ok, model: '/no/such/folder' })).rejects.toThrow(
      /no such folder/,
    );
    const h = client.start(
      'generate-text',
      { ...ok, options: { ...OPTIONS, maxTokens: 20, temperature: 0 } },
      (p) => {
        if (p.phase === 'generate' && p.done === 2) h.cancel();
      },
    );
    await expect(h.promise).rejects.toMatchObject({ name: 'AbortError' });
  });
});
