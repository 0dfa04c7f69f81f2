/**
 * `stm synth` as a user runs it (a child process): pseudo-queries with mined negatives for the demo
 * collection, a file `stm train --train` takes as it is, the same pairs through a pipe, and bad input.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDemoDatasetNode } from '../data/node';
import { readExpertDir } from '../experts/files-node';
import { docText, parseTrainingPairs } from '../train/data';
import { runCli } from '../testing/cli';
import { lastUserMessage, startChatServer } from '../testing/chat-server';

const TINY_QWEN3 = new URL('../../test-assets/tiny-models/tiny-qwen3', import.meta.url).pathname;

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stm synth', () => {
  it('writes ict pairs with mined negatives (never the own document) that stm train takes as they are', async () => {
    const out = join(dir, 'ict.jsonl');
    const args = ['synth', '--dataset', 'demo', '--method', 'ict', '--negatives', 'mined:1'];
    const r = await runCli([...args, '--model', 'glove', '--backend', 'cpu', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { pairs: number; docs: number };
    const pairs = parseTrainingPairs(readFileSync(out, 'utf8'), out);
    expect(pairs.length).toBe(summary.pairs);
    expect(pairs.length).toBeGreaterThan(50);
    const demo = await loadDemoDatasetNode();
    const texts = new Set(demo.docs.map(docText));
    for (const p of pairs) {
      expect(p.positive).not.toContain(p.query);
      expect(p.negatives).toHaveLength(1);
      // a corpus document, and not the one the query was cut from
      expect(texts.has(p.negatives![0])).toBe(true);
      expect(p.negatives![0]).not.toContain(p.query);
    }
    const expert = join(dir, 'expert');
    const t = await runCli(
      [
        'train',
        '--base',
        'glove',
        '--train',
        out,
        '--negatives',
        'given',
        '--batch',
        '4',
        '--steps',
        '3',
      ].concat(['--backend', 'cpu', '--out', expert]),
    );
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain(`train: ${pairs.length} of ${pairs.length} pairs from ${out}`);
    expect((await readExpertDir(expert)).record.data).toMatchObject({ source: out, negatives: 'given' });
  });

  it('llm queries and llm negatives from an OpenAI-compatible server: a file stm train takes as it is', async () => {
    const server = await startChatServer((req) => {
      const msg = lastUserMessage(req);
      const title = /Title: (.*)/.exec(msg)?.[1] ?? 'the topic';
      return /does NOT answer|not answer/i.test(msg)
        ? {
            kind: 'ok',
            content: `Here is a passage:\n${title} is discussed here only in terms of hospital budgets, staffing ratios and the history of the ward, with no word on the question asked.`,
          }
        : { kind: 'ok', content: `1. what is ${title.toLowerCase()}\n2. ${title.toLowerCase()} explained` };
    });
    try {
      const out = join(dir, 'llm.jsonl');
      const args = ['synth', '--dataset', 'demo', '--method', 'llm', '--per-doc', '2', '--negatives', 'llm'];
      const r = await runCli(
        [...args, '--endpoint', server.url, '--llm-model', 'test-model', '--model', 'glove'].concat([
          '--backend',
          'cpu',
          '--out',
          out,
          '--json',
        ]),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/llm negatives: \d+ written/);
      const pairs = parseTrainingPairs(readFileSync(out, 'utf8'), out);
      expect(pairs.length).toBeGreaterThan(100);
      expect(pairs[0].query).toMatch(/^what is /);
      // the written negative first (its preamble cleaned off), then the mined one
      expect(pairs[0].negatives).toHaveLength(2);
      expect(pairs[0].negatives![0]).toMatch(/hospital budgets/);
      expect(pairs[0].negatives![0]).not.toMatch(/^Here is/);
      const t = await runCli(
        [
          'train',
          '--base',
          'glove',
          '--train',
          out,
          '--negatives',
          'given',
          '--batch',
          '4',
          '--steps',
          '2',
        ].concat(['--backend', 'cpu', '--out', join(dir, 'llm-expert')]),
      );
      expect(t.code, t.stderr).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('llm queries from a decoder run here (--generator <folder>): loads it, templates the prompt, reports per document', async () => {
    const args = [
      'synth',
      '--dataset',
      'demo',
      '--method',
      'llm',
      '--generator',
      TINY_QWEN3,
      '--backend',
      'cpu',
    ];
    const r = await runCli([...args, '--per-doc', '1', '--out', '-']);
    expect(r.stderr).toContain(`read model.safetensors`);
    expect(r.stderr).toContain(`llm queries: ${TINY_QWEN3}, 1 per document, 1 in flight`);
    // the tiny test decoder has 64 positions, fewer than the prompt's tokens: every document fails, clearly
    expect(r.stderr).toMatch(
      /d001: generate: the prompt's \d+ tokens leave no room in the model's 64 positions/,
    );
    expect(r.stderr).toMatch(/every request failed; nothing was written/);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('title pairs: the same file whether written to --out or piped to stdout, and trainable', async () => {
    const out = join(dir, 'title.jsonl');
    const base = [
      'synth',
      '--dataset',
      'demo',
      '--method',
      'title',
      '--per-doc',
      '2',
      '--query-words',
      '2:6',
    ];
    const f = await runCli([...base, '--out', out]);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toBe(`${out}\n`);
    const piped = await runCli([...base, '--out', '-']);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toBe(readFileSync(out, 'utf8'));
    const pairs = parseTrainingPairs(piped.stdout, 'stdout');
    expect(pairs.every((p) => p.negatives === undefined)).toBe(true);
    const t = await runCli(
      ['train', '--base', 'glove', '--train', out, '--batch', '4', '--steps', '2', '--backend', 'cpu'].concat(
        ['--out', join(dir, 'title-expert')],
      ),
    );
    expect(t.code, t.stderr).toBe(0);
  });

  it('bad input: unknown method, missing --out or --dataset, bad numbers: usage errors (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--dataset', 'demo', '--method', 'cloze', '--out', 'x'],
        /--method must be one of ict\|title\|llm, got "cloze"/,
      ],
      [['--dataset', 'demo', '--method', 'ict'], /synth needs --out/],
      [['--method', 'ict', '--out', 'x'], /synth needs --dataset/],
      [['--dataset', 'demo', '--method', 'ict', '--out', 'x', '--per-doc', '0'], /--per-doc must be/],
      [
        ['--dataset', 'demo', '--method', 'ict', '--out', 'x', '--query-words', '9:3'],
        /--query-words must be/,
      ],
      [
        ['--dataset', 'demo', '--method', 'ict', '--out', 'x', '--negatives', 'mined:0'],
        /--negatives must be/,
      ],
      [
        ['--dataset', 'demo', '--method', 'ict', '--out', 'x', '--negatives', 'llm'],
        /need an LLM: --endpoint/,
      ],
      [['--dataset', 'demo', '--method', 'llm', '--out', 'x'], /need an LLM: --endpoint/],
      [
        ['--dataset', 'demo', '--method', 'ict', '--out', 'x', '--generator', 'g'],
        /--generator is used only with --method llm or --negatives llm/,
      ],
      [
        [
          '--dataset',
          'demo',
          '--method',
          'llm',
          '--out',
          'x',
          '--generator',
          'g',
          '--endpoint',
          'http://h:1',
        ],
        /--endpoint goes with --endpoint; --generator runs the model here: give one of the two/,
      ],
      [
        ['--dataset', 'demo', '--method', 'llm', '--out', 'x', '--api-key', 'sk-1'],
        /--api-key is not accepted/,
      ],
    ];
    for (const [argv, msg] of cases) {
      const r = await runCli(['synth', ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('bad input: a folder with no corpus, an empty corpus, or no document long enough: exit 1, no file', async () => {
    const out = join(dir, 'never.jsonl');
    const noCorpus = join(dir, 'no-corpus');
    mkdirSync(noCorpus);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'corpus.jsonl'), '\n');
    const short = join(dir, 'short');
    mkdirSync(short);
    writeFileSync(join(short, 'corpus.jsonl'), '{"_id":"a","text":"Too short. Really."}\n');
    const cases: [string, RegExp][] = [
      [noCorpus, /no-corpus: no corpus\.jsonl/],
      [empty, /corpus\.jsonl: the corpus has no documents/],
      [short, /no ict query could be written.*lower --min-doc-words/],
    ];
    for (const [ds, msg] of cases) {
      const r = await runCli(['synth', '--dataset', ds, '--method', 'ict', '--out', out]);
      expect(r.code, ds).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    }
    const r = await runCli(['synth', '--dataset', 'demo', '--method', 'ict', '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--out ${dir} is a folder; give a file name`);
  });
});
