/**
 * `stm split` on med, then the leakage guard end to end in the CLI: an expert trained on the train split
 * and evaluated on that split reports "overlap_queries" = every query (with a warning on stderr);
 * evaluated on the disjoint test split it reports 0.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../testing/cli';
import { hasSharedDatasets, loadBeirDir, sharedDatasetsDir } from '../data/node';
import { readExpertDir } from '../experts/files-node';
import { parseSplitArgs, parseTrainArgs, UsageError } from './args';
import { runSplit } from './split';
import { runTrain } from './train';

const MED = join(sharedDatasetsDir(), 'med');
const dir = mkdtempSync(join(tmpdir(), 'stm-cli-split-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs an in-process command with console.log captured. */
async function captured(work: () => Promise<void>): Promise<{ out: string[]; log: string[] }> {
  const out: string[] = [];
  const print = vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
  try {
    await work();
  } finally {
    print.mockRestore();
  }
  return { out, log: [] };
}

const split = (out: string, ...more: string[]) =>
  parseSplitArgs([
    '--dataset',
    MED,
    '--from',
    'test',
    '--into',
    'train:0.6,dev:0.2,test:0.2',
    '--out',
    out,
    ...more,
  ]);

describe.skipIf(!hasSharedDatasets(['med']))(
  'stm split on med and the leakage guard in stm eval --json',
  () => {
    const out = join(dir, 'med-split');

    it('writes disjoint splits of 18/6/6 queries (largest remainder of 30), corpus and queries unchanged', async () => {
      const { out: printed } = await captured(() =>
        runSplit(split(out, '--seed', '7', '--json'), () => undefined),
      );
      expect(JSON.parse(printed.at(-1)!)).toMatchObject({
        queries: 30,
        splits: { train: 18, dev: 6, test: 6 },
      });
      expect(readFileSync(join(out, 'corpus.jsonl'))).toEqual(readFileSync(join(MED, 'corpus.jsonl')));
      expect(readFileSync(join(out, 'queries.jsonl'))).toEqual(readFileSync(join(MED, 'queries.jsonl')));
      expect(readdirSync(join(out, 'qrels')).sort()).toEqual(['dev.tsv', 'test.tsv', 'train.tsv']);
      expect(readFileSync(join(out, 'qrels', 'train.tsv'), 'utf8')).toMatch(/^query-id\tcorpus-id\tscore\n/);
      const ds = await loadBeirDir(out);
      const src = await loadBeirDir(MED);
      const ids = Object.fromEntries(Object.entries(ds.qrels).map(([n, q]) => [n, [...q.keys()]]));
      expect(ids.train).toHaveLength(18);
      expect(ids.dev).toHaveLength(6);
      expect(ids.test).toHaveLength(6);
      const all = [...ids.train, ...ids.dev, ...ids.test];
      expect(new Set(all).size).toBe(30);
      for (const [n, q] of Object.entries(ds.qrels))
        for (const [qid, rel] of q) expect([...rel], `${n}/${qid}`).toEqual([...src.qrels.test.get(qid)!]);
      // the same seed gives the same folder; another seed other splits
      const again = join(dir, 'again');
      await captured(() => runSplit(split(again, '--seed', '7'), () => undefined));
      expect(readFileSync(join(again, 'qrels', 'dev.tsv'))).toEqual(
        readFileSync(join(out, 'qrels', 'dev.tsv')),
      );
      const other = join(dir, 'other');
      await captured(() => runSplit(split(other, '--seed', '8'), () => undefined));
      expect(readFileSync(join(other, 'qrels', 'dev.tsv'))).not.toEqual(
        readFileSync(join(out, 'qrels', 'dev.tsv')),
      );
    });

    it('refuses the source folder, a non-empty folder, bad fractions and an unknown split, writing nothing', async () => {
      await expect(runSplit(split(join(MED, 'sub')), () => undefined)).rejects.toThrow(
        /inside the source folder/,
      );
      await expect(runSplit(split(MED), () => undefined)).rejects.toThrow(/is the source folder/);
      const full = join(dir, 'full');
      mkdirSync(full);
      writeFileSync(join(full, 'keep.txt'), 'mine');
      await expect(runSplit(split(full), () => undefined)).rejects.toThrow(
        /not empty .*keep\.txt.*nothing was written/,
      );
      expect(readdirSync(full)).toEqual(['keep.txt']);
      expect(() => parseSplitArgs(['--dataset', MED, '--into', 'a:0.5,b:0.6', '--out', 'x'])).toThrow(
        UsageError,
      );
      const none = join(dir, 'none');
      await expect(
        runSplit(
          parseSplitArgs(['--dataset', MED, '--from', 'dev', '--into', 'a:0.5,b:0.5', '--out', none]),
          () => undefined,
        ),
      ).rejects.toThrow(/no split "dev" \(its splits: test\)/);
      await expect(
        runSplit(
          parseSplitArgs(['--dataset', MED, '--into', 'a:0.99,b:0.01', '--out', none]),
          () => undefined,
        ),
      ).rejects.toThrow(/"b" \(0.01\) would get none/);
      expect(existsSync(none)).toBe(false);
    });

    it('an expert trained on the train split reports overlap_queries 18 of 18 there (and warns), 0 on test', async () => {
      const expert = join(dir, 'expert');
      const log: string[] = [];
      await captured(() =>
        runTrain(
          parseTrainArgs([
            '--base',
            'glove',
            '--train',
            out,
            '--train-split',
            'train',
            '--negatives',
            'none',
            '--batch',
            '8',
            '--steps',
            '4',
            '--backend',
            'cpu',
            '--out',
            expert,
          ]),
          { log: (m: string) => void log.push(m), progress: () => undefined },
        ),
      );
      expect(log[0]).toMatch(new RegExp(`^train: (\\d+) of \\1 pairs from ${out}#train$`));
      const { record } = await readExpertDir(expert);
      expect(record.fingerprints?.queries).toHaveLength(18);
      const evalJson = (s: string) =>
        runCli(['eval', '--dataset', out, '--split', s, '--model', expert, '--backend', 'cpu', '--json']);
      const [same, held] = await Promise.all([evalJson('train'), evalJson('test')]);
      expect(same.code, same.stderr).toBe(0);
      expect(held.code, held.stderr).toBe(0);
      const last = (s: string) => JSON.parse(s.trimEnd().split('\n').pop()!) as Record<string, unknown>;
      expect(last(same.stdout)).toMatchObject({ split: 'train', queries: 18, overlap_queries: 18 });
      expect(same.stderr).toMatch(/warning: .* was trained on 18 of these 18 queries/);
      expect(same.stdout).toContain('trained on 18 of these 18 queries');
      expect(last(held.stdout)).toMatchObject({ split: 'test', queries: 6, overlap_queries: 0 });
      expect(held.stderr).not.toMatch(/warning/);
    });
  },
);
