/**
 * Hub downloads of sharded checkpoints and the fit check before a download (issue 13 item 2), against a
 * node:http server on 127.0.0.1 (no real network): tiny-qwen3 split into two shards + index; a Qwen3-0.6B
 * config.json whose weights would not fit a small device, refused before any weight is requested.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { createCpuBackend } from '../../gpu/cpu';
import { checkFit, estimateWeights, ModelFitError, weightBytes, type DeviceFitLimits } from './fit';
import { parseConfig } from './config';
import { loadHfModel, type CacheLike, type HfLoadProgress } from './load';
import { SafetensorsFile, writeSafetensors } from './safetensors';
import { SHARD_INDEX } from './shards';

const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const read = (f: string) => readFileSync(join(QWEN, f));
const whole = (() => {
  const b = read('model.safetensors');
  return SafetensorsFile.open(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
})();

/** Qwen3-0.6B's config.json (sizes only matter here) */
const QWEN3_06B = {
  model_type: 'qwen3',
  vocab_size: 151936,
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  max_position_embeddings: 40960,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  eos_token_id: 151645,
};

const files = new Map<string, Buffer | string>();
for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
  files.set(`sharded/${f}`, read(f));
const weightMap: Record<string, string> = {};
[whole.names.slice(0, 9), whole.names.slice(9)].forEach((part, k) => {
  const name = `model-0000${k + 1}-of-00002.safetensors`;
  files.set(`sharded/${name}`, Buffer.from(writeSafetensors(new Map(part.map((n) => [n, whole.get(n)])))));
  for (const n of part) weightMap[n] = name;
});
const totalSize = whole.names.reduce((s, n) => s + whole.info(n).end - whole.info(n).begin, 0);
files.set(
  `sharded/${SHARD_INDEX}`,
  JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }),
);
files.set('big/config.json', JSON.stringify(QWEN3_06B));
for (const f of ['tokenizer.json', 'tokenizer_config.json']) files.set(`big/${f}`, read(f));

let server: Server;
let hub: string;
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const m = /^\/org\/(\w+)\/resolve\/main\/([\w.-]+)$/.exec(url);
    const body = m ? files.get(`${m[1]}/${m[2]}`) : undefined;
    if (!body) return void res.writeHead(404, 'Not Found').end('no');
    res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hub = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function memoryCache(): CacheLike & { keys: () => string[] } {
  const m = new Map<string, ArrayBuffer>();
  return {
    keys: () => [...m.keys()],
    match: async (url) => (m.has(url) ? new Response(m.get(url)!.slice(0)) : undefined),
    put: async (url, res) => void m.set(url, await res.arrayBuffer()),
  };
}

const TEXTS = ['What are the symptoms of Glaucoma ?', 'heart attack'];
const be = createCpuBackend();
const small: DeviceFitLimits = {
  kind: 'webgpu',
  label: 'WebGPU: test device',
  maxBindingBytes: 128 * 2 ** 20,
  maxBufferBytes: 256 * 2 ** 20,
  memoryBudget: 2 ** 30,
  budgetSource: 'a test budget',
};

describe('hub downloads: shards and the fit check', () => {
  it('downloads a sharded model (model.safetensors 404, then the index and each shard), caches the shards, embeds as the single file', async () => {
    const want = await (await loadHfModel(QWEN)).embed(be, TEXTS, 'query');
    const cache = memoryCache();
    const events: HfLoadProgress[] = [];
    const before = requests.length;
    const m = await loadHfModel('org/sharded', { hubUrl: hub, cache, onProgress: (p) => events.push(p) });
    expect(requests.slice(before).map((u) => u.split('/').pop())).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'model.safetensors',
      SHARD_INDEX,
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect(Array.from(await m.embed(be, TEXTS, 'query'))).toEqual(Array.from(want));
    // the shards as one file: bytes summed, total_size (tensor bytes; the shards' headers add a little) as total
    const last = events.filter((e) => e.file === 'model.safetensors').at(-1)!;
    expect(last.total).toBe(last.loaded);
    expect(last.loaded).toBeGreaterThan(totalSize);
    expect(cache.keys().filter((k) => k.includes('-of-'))).toHaveLength(2);
    const n = requests.length;
    const offline = await loadHfModel('org/sharded', {
      hubUrl: hub,
      cache,
      fetch: () => Promise.reject(new Error('offline')),
    });
    expect(requests.length).toBe(n);
    expect(Array.from(await offline.embed(be, TEXTS, 'query'))).toEqual(Array.from(want));
  });

  it('refuses a model that cannot fit the device before any weight is requested, naming the limit and the size', async () => {
    const before = requests.length;
    const err = await loadHfModel('org/big', {
      hubUrl: hub,
      cache: false,
      limits: small,
      weightFormat: 'f32',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFitError);
    expect((err as ModelFitError).limit).toBe('memory budget');
    expect((err as Error).message).toMatch(
      /^org\/big\/config\.json: its weights need about 2\.\d\d GiB as f32 \(0\.\d\d B parameters\), over WebGPU: test device's memory budget of 1\.00 GiB \(a test budget\); a smaller weight format would need f16: 1\.\d\d GiB, q8: 1013\.9 MiB$/,
    );
    expect(requests.slice(before).some((u) => u.includes('safetensors'))).toBe(false);
  });

  it('estimates weight bytes per format from config.json; a row wider than a binding cannot load', () => {
    const e = estimateWeights(parseConfig(QWEN3_06B));
    expect(e.linear + e.other).toBeGreaterThan(0.59e9);
    expect(e.linear + e.other).toBeLessThan(0.61e9); // Qwen3-0.6B: 596 M parameters
    expect(weightBytes(e, 'f16')).toBeLessThan(weightBytes(e, 'f32'));
    expect(weightBytes(e, 'q8')).toBeLessThan(weightBytes(e, 'f16'));
    // q8 fits the 1 GiB budget (the table stays f32)
    expect(checkFit(QWEN3_06B, 'c.json', small, 'q8').format).toBe('q8');
    const tiny = { ...small, maxBindingBytes: 8 * 1024 };
    expect(() => checkFit(QWEN3_06B, 'c.json', tiny, 'q8')).toThrow(
      /c\.json: one row of its widest tensor \(3072 values, 0\.0 MiB\) exceeds WebGPU: test device's maxStorageBufferBindingSize of 0\.0 MiB/,
    );
  });
});
