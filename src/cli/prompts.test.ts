/**
 * `stm prompts` as a user runs it: a dev/test split of the demo collection made with `stm split`, USE-lite
 * (and the tiny Qwen3 decoder by folder) on the CPU, the JSON line checked against evaluate().
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBeirDir } from '../data/node';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { evaluate } from '../eval/evaluate';
import { resolveModelNode } from '../experts/resolve-node';
import { createCpuBackend } from '../gpu/cpu';
import { withInstruction } from '../prompts/template';
import { startChatServer } from '../testing/chat-server';
import { runCli } from '../testing/cli';
import { TINY_QWEN3 } from '../testing/prompt-fixture';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-prompts-'));
const demo = join(dir, 'demo');
const cache = join(dir, 'cache');
const candidates = join(dir, 'candidates.txt');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  const r = await runCli([
    'split',
    '--dataset',
    'src/data/demo',
    '--from',
    'test',
    '--into',
    'dev:0.5,test:0.5',
    '--seed',
    '3',
    '--out',
    demo,
  ]);
  expect(r.code, r.stderr).toBe(0);
  writeFileSync(
    candidates,
    '# my candidates\nGiven a health question, retrieve the passage that answers it\n\nRetrieve the answer\n',
  );
}, 60_000);

const search = (extra: string[] = []) =>
  runCli([
    'prompts',
    '--model',
    'use-lite',
    '--dataset',
    demo,
    '--split',
    'dev',
    '--task',
    'consumer-health',
    '--candidates',
    candidates,
    '--min-queries',
    '6',
    '--budget',
    '300',
    '--seed',
    '5',
    '--cache',
    cache,
    '--backend',
    'cpu',
    '--json',
    ...extra,
  ]);

interface Out {
  best: { prompt: string | null; 'ndcg@10': number; ci: [number, number]; queries: number };
  baseline: { 'ndcg@10': number; queries: number };
  tried: number;
  spent: number;
  leaderboard: {
    prompt: string | null;
    origin: string;
    'ndcg@10': number;
    ci: [number, number];
    queries: number;
    rung: number;
  }[];
  seed: number;
  split: string;
  model: string;
  test?: { prompt: string | null; 'ndcg@10': number; queries: number };
}
const lastJson = (stdout: string) => JSON.parse(stdout.trimEnd().split('\n').pop()!) as Out;

describe('stm prompts', () => {
  it('searches on dev, prints the leaderboard and one JSON line, and scores the winner once on test', async () => {
    const r = await search(['--test-split', 'test']);
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out).toMatchObject({ seed: 5, split: 'dev', model: 'use-lite' });
    expect(out.spent).toBeLessThanOrEqual(300);
    expect(out.tried).toBe(out.leaderboard.length);
    expect(out.best.prompt).toBe(out.leaderboard[0].prompt);
    expect(out.best['ndcg@10']).toBe(out.leaderboard[0]['ndcg@10']);
    expect(out.baseline.queries).toBe(out.best.queries);
    const origins = new Set(out.leaderboard.map((s) => s.origin));
    for (const o of ['baseline', 'user', 'library', 'mutation']) expect(origins).toContain(o);
    expect(
      out.leaderboard
        .filter((s) => s.origin === 'user')
        .map((s) => s.prompt)
        .sort(),
    ).toEqual(['Given a health question, retrieve the passage that answers it', 'Retrieve the answer']);
    // the human-readable table has every candidate
    expect(r.stdout).toMatch(/^#\tndcg@10\tci95\tqueries\trung\torigin\tprompt$/m);
    expect(r.stdout.split('\n').filter((l) => /^\d+\t0\.\d{4}\t/.test(l))).toHaveLength(out.tried);
    expect(r.stdout).toContain('test test (held out, scored once)');
    // the test figure is evaluate()'s for the model under the winner
    expect(out.test).toMatchObject({ prompt: out.best.prompt, queries: 24 });
    const model = withInstruction(await resolveModelNode('use-lite', () => undefined), out.best.prompt);
    const backend = createCpuBackend();
    const { report } = await evaluate({
      dataset: await loadBeirDir(demo),
      split: 'test',
      retriever: { kind: 'dense', embedder: model, backend, cache: await FileEmbeddingCache.open(cache) },
    });
    backend.destroy();
    expect(report.instruction).toBe(out.best.prompt);
    expect(out.test!['ndcg@10']).toBe(report.metrics['ndcg@10']);

    // the same seed gives the same search (the corpus now from the cache)
    const again = await search(['--test-split', 'test']);
    expect(again.code, again.stderr).toBe(0);
    expect(lastJson(again.stdout)).toEqual(out);
  }, 240_000);

  it('takes a model folder as eval does, with the decoder’s own instruction as a candidate', async () => {
    // the same decoder as the local writer: its 64 positions cannot hold the reflection prompt, so each
    // proposal is skipped and named, and the search goes on
    const r = await runCli(
      ['prompts', '--model', TINY_QWEN3, '--dataset', demo, '--no-mutate', '--min-queries', '8'].concat([
        '--budget',
        '200',
        '--generator',
        TINY_QWEN3,
        '--backend',
        'cpu',
        '--json',
      ]),
    );
    expect(r.code, r.stderr).toBe(0);
    const out = lastJson(r.stdout) as Out & { skipped: { error: string }[] };
    expect(out.model).toBe(TINY_QWEN3);
    expect(out.leaderboard.map((s) => s.origin).sort()).toEqual(['baseline', 'current']);
    expect(out.test).toBeUndefined();
    expect(out.skipped).toHaveLength(2);
    expect(r.stderr).toMatch(/llm proposal from c\d+ skipped: .*leave no room/);
  }, 120_000);

  it('asks an OpenAI-compatible endpoint for reflective proposals, with synth’s options', async () => {
    const replies = [
      'New instruction: "Given a health question, retrieve the passage with its answer"',
      'Use {text}',
    ];
    const server = await startChatServer((_req, n) => ({ kind: 'ok', content: replies[n % 2] }));
    try {
      const r = await search(['--no-mutate', '--endpoint', server.url, '--llm-model', 'm', '--retries', '0']);
      expect(r.code, r.stderr).toBe(0);
      const out = lastJson(r.stdout) as Out & { skipped: { error: string; reply: string }[] };
      expect(out.leaderboard.filter((s) => s.origin === 'llm').map((s) => s.prompt)).toEqual([
        'Given a health question, retrieve the passage with its answer',
      ]);
      expect(out.skipped).toEqual([
        expect.objectContaining({ error: 'an instruction may not contain { or }', reply: 'Use {text}' }),
      ]);
      expect(server.requests).toHaveLength(2);
      expect(server.requests[0].body.model).toBe('m');
    } finally {
      await server.close();
    }
  }, 120_000);

  it('refuses bad input with the right exit code and a clear message', async () => {
    const usage = async (args: string[], message: RegExp) => {
      const r = await runCli(['prompts', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    };
    await usage(
      ['--dataset', demo, '--split', 'test'],
      /--split test is a test split; search on a dev split/,
    );
    await usage([], /prompts needs --dataset/);
    await usage(['--dataset', demo, '--task', 'cooking'], /--task must be one of medical-qa\|/);
    await usage(['--dataset', demo, '--test-split', 'dev'], /--test-split dev is the split searched on/);
    await usage(['--dataset', demo, '--budget', '0'], /--budget must be a number in \[1/);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'Retrieve answers\nUse {text} here\n');
    const r = await runCli(['prompts', '--dataset', demo, '--candidates', bad, '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:2: an instruction may not contain { or }`);
    const missing = await runCli(['prompts', '--dataset', demo, '--split', 'validation', '--backend', 'cpu']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no qrels split "validation"; its splits: dev, test/);
  }, 120_000);
});
