import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { demoDir, loadDemoDatasetNode } from '../data/node';
import type { Dataset } from '../data/types';
import { CorpusEmbeddingCache } from '../eval/embed-cache-dir';
import { evaluate } from '../eval/evaluate';
import { writeExpertDir } from '../experts/files-node';
import { createCpuBackend } from '../gpu/cpu';
import { GloveEmbedder } from '../models/glove';
import { nodeAssetFetcher } from '../models/node-assets';
import { retemplated } from '../models/types';
import { adapterExpertRecord } from '../testing/expert-record';
import { Rng } from '../util/rng';
import { parseEvalArgs } from './eval-args';
import { runEval } from './eval';
import { Reporter } from './progress';

// the demo collection (240 docs: one corpus chunk) keeps these runs short
const DEMO = demoDir();

/** `stm eval` in-process: its stdout lines and its stderr log. */
async function stmEval(...argv: string[]): Promise<{ out: string; log: string }> {
  const out: string[] = [];
  const log: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  try {
    await runEval(parseEvalArgs(argv), new Reporter({ write: (s) => log.push(s) }));
  } finally {
    spy.mockRestore();
  }
  return { out: out.join('\n'), log: log.join('') };
}
const ndcg10 = (out: string) => /^ndcg .*@10 ([0-9.]+)/m.exec(out)![1];
const cacheLine = (log: string) =>
  /embedding cache .*: (\d+) corpus chunks reused, (\d+) embedded/.exec(log)?.slice(1);

describe('stm eval: the corpus embedding cache on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'stm-cache-'));
  const dir = join(root, 'cache');
  const glove = (...more: string[]) =>
    stmEval('--dataset', DEMO, '--model', 'glove', '--backend', 'cpu', ...more);
  let first = '';
  afterEach(() => vi.restoreAllMocks());

  it('a second evaluation of the same model and dataset embeds no document', async () => {
    const a = await glove('--cache-dir', dir);
    expect(cacheLine(a.log)).toEqual(['0', '1']);
    const file = join(dir, 'glove', readdirSync(join(dir, 'glove'))[0]);
    expect(file).toMatch(/demo-[0-9a-f]{8}\.(keys\.json|f32)$/);
    const b = await glove('--cache-dir', dir);
    expect(cacheLine(b.log)).toEqual(['1', '0']);
    first = ndcg10(a.out);
    expect(ndcg10(b.out)).toBe(first);
    // a hybrid run's dense side reads the same chunks
    const h = await glove('--cache-dir', dir, '--retriever', 'hybrid', '--fusion', 'rrf');
    expect(cacheLine(h.log)).toEqual(['1', '0']);
  });

  it('an adapter expert over the cached base reuses its corpus vectors, with the figures of an uncached run', async () => {
    const g = await GloveEmbedder.load(nodeAssetFetcher());
    const rng = new Rng(7);
    const W = new Float32Array(g.dim * g.dim);
    for (let i = 0; i < W.length; i++) W[i] = (i % (g.dim + 1) === 0 ? 1 : 0) + 0.3 * (rng.next() - 0.5);
    const weights = new Map([
      ['adapter.W', { shape: [g.dim, g.dim], data: W }],
      ['adapter.b', { shape: [g.dim], data: new Float32Array(g.dim) }],
    ]);
    const same = join(root, 'expert-same');
    await writeExpertDir(same, adapterExpertRecord({ id: 'same', templates: g.templates }), weights);
    const cached = await stmEval('--dataset', DEMO, '--model', same, '--backend', 'cpu', '--cache-dir', dir);
    expect(cacheLine(cached.log)).toEqual(['1', '0']);
    const uncached = await stmEval('--dataset', DEMO, '--model', same, '--backend', 'cpu', '--no-cache');
    expect(uncached.log).not.toContain('embedding cache');
    expect(ndcg10(cached.out)).toBe(ndcg10(uncached.out));
    expect(ndcg10(cached.out)).not.toBe(first);
    // an expert with its own passage template cannot use the base's vectors, nor keep its own
    const other = join(root, 'expert-other');
    const tpl = { query: '{text}', passage: 'passage: {text}' };
    await writeExpertDir(other, adapterExpertRecord({ id: 'other', templates: tpl }), weights);
    const o = await stmEval('--dataset', DEMO, '--model', other, '--backend', 'cpu', '--cache-dir', dir);
    expect(o.log).toContain('embedding cache: not used for glove+other');
    expect(cacheLine(o.log)).toBeUndefined();
  });

  it('a changed dataset gets a file of its own', async () => {
    const copy = join(root, 'demo-changed');
    mkdirSync(join(copy, 'qrels'), { recursive: true });
    const lines = readFileSync(join(DEMO, 'corpus.jsonl'), 'utf8').split('\n');
    const doc = JSON.parse(lines[0]) as { text: string };
    lines[0] = JSON.stringify({ ...doc, text: `${doc.text} (revised)` });
    writeFileSync(join(copy, 'corpus.jsonl'), lines.join('\n'));
    writeFileSync(join(copy, 'queries.jsonl'), readFileSync(join(DEMO, 'queries.jsonl')));
    writeFileSync(join(copy, 'qrels', 'test.tsv'), readFileSync(join(DEMO, 'qrels', 'test.tsv')));
    const r = await stmEval('--dataset', copy, '--model', 'glove', '--backend', 'cpu', '--cache-dir', dir);
    expect(cacheLine(r.log)).toEqual(['0', '1']);
    expect(readdirSync(join(dir, 'glove')).filter((f) => f.endsWith('.f32'))).toHaveLength(2);
  });

  it('a corrupt cache file is discarded with a warning naming it, and rewritten', async () => {
    const f32 = readdirSync(join(dir, 'glove')).find((f) => /^demo-[0-9a-f]{8}\.f32$/.test(f))!;
    const file = join(dir, 'glove', f32);
    writeFileSync(file, Buffer.from('not a float array'));
    const r = await glove('--cache-dir', dir);
    expect(r.log).toContain(
      `warning: embedding cache ${file.replace(/\.f32$/, '')}.keys.json / .f32 cannot be read`,
    );
    expect(r.log).toContain('discarded');
    expect(cacheLine(r.log)).toEqual(['0', '1']);
    expect(ndcg10(r.out)).toBe(first);
    expect(cacheLine((await glove('--cache-dir', dir)).log)).toEqual(['1', '0']);
  });

  it('a --cache-dir that cannot be written is refused before the work; a default one that cannot is skipped', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(glove('--cache-dir', file)).rejects.toThrow(`--cache-dir ${file} is a file, not a folder`);
    vi.stubEnv('STM_CACHE_DIR', join(file, 'below'));
    const r = await glove();
    expect(r.log).toContain(`warning: embedding cache ${join(file, 'below', 'glove')}`);
    expect(r.log).toContain('this evaluation goes on without the cache');
    expect(ndcg10(r.out)).toBe(first);
    vi.unstubAllEnvs();
  });

  it('--no-cache neither reads nor writes; STM_CACHE_DIR is the default folder', async () => {
    const env = join(root, 'env-cache');
    vi.stubEnv('STM_CACHE_DIR', env);
    const r = await glove('--no-cache');
    expect(r.log).not.toContain('embedding cache');
    expect(existsSync(env)).toBe(false);
    expect(cacheLine((await glove()).log)).toEqual(['0', '1']);
    expect(existsSync(join(env, 'glove'))).toBe(true);
    vi.unstubAllEnvs();
  });
});

describe('CorpusEmbeddingCache keys', () => {
  let demo: Dataset;
  beforeAll(async () => {
    demo = await loadDemoDatasetNode();
  });

  it('another passage template embeds again', async () => {
    const g = await GloveEmbedder.load(nodeAssetFetcher());
    const backend = createCpuBackend();
    const cache = new CorpusEmbeddingCache(mkdtempSync(join(tmpdir(), 'stm-cache-')), demo, () => {});
    const ev = (embedder: typeof g | ReturnType<typeof retemplated>) =>
      evaluate({ dataset: demo, split: 'test', retriever: { kind: 'dense', embedder, backend, cache } });
    await ev(g);
    expect(cache.counts()).toEqual({ reused: 0, embedded: 1 });
    await ev(retemplated(g, { query: g.templates.query, passage: '{text}' }));
    expect(cache.counts()).toEqual({ reused: 0, embedded: 2 });
    await ev(g);
    expect(cache.counts()).toEqual({ reused: 1, embedded: 2 });
  });
});
