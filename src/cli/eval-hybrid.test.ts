import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDatasetsDir } from '../data/node';
import { runCli } from '../testing/cli';
import { parseEvalArgs } from './eval-args';

const MED = join(sharedDatasetsDir(), 'med');
const args = (...xs: string[]) => parseEvalArgs(['--dataset', MED, ...xs]);

describe('stm eval --retriever hybrid: options', () => {
  it('rrf by default, wsum with --alpha (0.5 by default)', () => {
    expect(args('--retriever', 'hybrid', '--model', 'glove')).toMatchObject({
      retriever: 'hybrid',
      model: 'glove',
      fusion: 'rrf',
    });
    expect(args('--retriever', 'hybrid', '--model', 'glove', '--alpha', '0.3')).toMatchObject({
      fusion: 'wsum',
      alpha: 0.3,
    });
    expect(args('--retriever', 'hybrid', '--model', 'glove', '--fusion', 'wsum').alpha).toBe(0.5);
    expect(args().model).toBe('use-lite');
  });

  it('refuses bad values with what to do', () => {
    expect(() => args('--retriever', 'hybrid')).toThrow('--retriever hybrid needs --model');
    expect(() => args('--retriever', 'hybrid', '--model', 'glove', '--fusion', 'max')).toThrow(
      '--fusion must be one of rrf|wsum, got "max"',
    );
    expect(() => args('--retriever', 'hybrid', '--model', 'glove', '--alpha', '1.5')).toThrow(
      '--alpha must be a number in [0, 1], got "1.5"',
    );
    expect(() => args('--retriever', 'hybrid', '--model', 'glove', '--alpha=-0.1')).toThrow(
      '--alpha must be a number in [0, 1]',
    );
    expect(() =>
      args('--retriever', 'hybrid', '--model', 'glove', '--fusion', 'rrf', '--alpha', '0.3'),
    ).toThrow('reciprocal-rank fusion (rrf) has no weight');
    expect(() => args('--fusion', 'rrf')).toThrow(
      '--fusion and --alpha are for --retriever hybrid, not dense',
    );
    expect(() => args('--retriever', 'bm25', '--alpha', '0.2')).toThrow('not bm25');
    expect(() => args('--retriever', 'hybrid', '--model', 'glove', '--prompt', 'each')).toThrow(
      'takes one --prompt, not each',
    );
    expect(() => args('--prompt', 'each', '--results-dir', 'x')).toThrow('give one --prompt, not each');
    expect(() => args('--no-cache', '--cache-dir', 'x')).toThrow('not both');
  });
});

describe('stm eval --results-dir', () => {
  it('writes MTEB results JSON that plain Python reads, with the nDCG@10 the CLI printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-mteb-'));
    const res = join(dir, 'results');
    const r = await runCli(
      [
        'eval',
        '--dataset',
        MED,
        '--retriever',
        'hybrid',
        '--model',
        'glove',
        '--fusion',
        'wsum',
        '--alpha',
        '0.3',
      ].concat(['--backend', 'cpu', '--results-dir', res, '--json', '--no-cache']),
    );
    expect(r.stderr).toContain(`wrote MTEB results ${join(res, 'med.json')}`);
    expect(r.code).toBe(0);
    const printed = /^ndcg +@1 [0-9.]+ +@3 [0-9.]+ +@5 [0-9.]+ +@10 ([0-9.]+)/m.exec(r.stdout)![1];
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number | string>;
    expect(json.retriever).toBe('hybrid:wsum@0.3:glove');
    const py = `
import json, sys
with open(sys.argv[1]) as f:
    r = json.load(f)
s = r["scores"]["test"][0]
assert r["task_name"] == "med", r["task_name"]
assert s["main_score"] == s["ndcg_at_10"]
assert s["hf_subset"] == "default" and s["languages"] == ["eng-Latn"]
for k in ("map_at_100", "recall_at_100", "mrr_at_10", "precision_at_10", "ndcg_at_1000"):
    assert 0 <= s[k] <= 1, k
print(repr(s["ndcg_at_10"]))
`;
    const fromPython = execFileSync('python3', ['-c', py, join(res, 'med.json')], {
      encoding: 'utf8',
    }).trim();
    expect(Number(fromPython)).toBe(json['ndcg@10']);
    expect(Number(fromPython).toFixed(4)).toBe(printed);

    // another split of the same task joins the file under its own name, as MTEB keeps splits
    const file = join(res, 'med.json');
    const before = JSON.parse(readFileSync(file, 'utf8')) as { scores: Record<string, unknown> };
    before.scores.dev = [{ main_score: 0.1 }];
    writeFileSync(file, JSON.stringify(before));
    const again = await runCli(['eval', '--dataset', MED, '--retriever', 'bm25', '--results-dir', res]);
    expect(again.code).toBe(0);
    const after = JSON.parse(readFileSync(file, 'utf8')) as {
      scores: Record<string, { ndcg_at_10?: number }[]>;
    };
    expect(Object.keys(after.scores).sort()).toEqual(['dev', 'test']);
    expect(after.scores.test[0].ndcg_at_10).not.toBe(json['ndcg@10']);
  });

  it('refuses a results folder it cannot write before evaluating', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-mteb-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await runCli(['eval', '--dataset', MED, '--retriever', 'bm25', '--results-dir', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`--results-dir ${file} is a file, not a folder`);
    expect(r.stderr).not.toContain('dataset med');
  });
});
