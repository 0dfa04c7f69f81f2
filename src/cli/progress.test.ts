import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedDatasets, sharedDatasetsDir } from '../data/node';
import { runCli } from '../testing/cli';
import { Reporter } from './progress';

function fake(isTTY: boolean) {
  let t = 0;
  const out: string[] = [];
  const r = new Reporter({ isTTY, write: (s) => out.push(s) }, () => t);
  return { r, out, at: (s: number) => (t = s * 1000) };
}

describe('CLI progress on stderr', () => {
  it('off a terminal: plain lines at most every 2 s, the first and the last always, with an ETA', () => {
    const { r, out, at } = fake(false);
    r.log('backend: cpu');
    at(1);
    r.progress('embed-corpus', 0, 1000); // nothing done yet: no line
    at(2);
    r.progress('embed-corpus', 100, 1000);
    at(2.5);
    r.progress('embed-corpus', 200, 1000); // within 2 s of the last line
    at(4.5);
    r.progress('embed-corpus', 500, 1000);
    at(5);
    r.progress('embed-corpus', 1000, 1000);
    expect(out).toEqual([
      'backend: cpu\n',
      'embed-corpus 100/1000 (10%), 2 s\n',
      // 400 in the 2.5 s since the first line: 500 more take 3 s
      'embed-corpus 500/1000 (50%), 5 s, eta 3 s\n',
      'embed-corpus 1000/1000 (100%), 5 s\n',
    ]);
  });

  it('on a terminal: one line rewritten in place (\\r) at most once a second, closed by a log line or the end', () => {
    const { r, out, at } = fake(true);
    at(0.5);
    r.progress('step', 1, 100, { etaS: 150, detail: 'loss 1.2000' });
    at(1);
    r.progress('step', 2, 100, { etaS: 140 });
    at(1.6);
    r.progress('step', 3, 100, { etaS: 130 });
    r.log('step 3/100 dev nDCG@10 0.5000');
    at(2);
    r.progress('step', 4, 100);
    r.close();
    expect(out).toEqual([
      '\r\x1b[Kstep 1/100 (1%) loss 1.2000, 1 s, eta 2 min 30 s',
      '\r\x1b[Kstep 3/100 (3%), 2 s, eta 2 min 10 s',
      '\n',
      'step 3/100 dev nDCG@10 0.5000\n',
      '\r\x1b[Kstep 4/100 (4%), 2 s, eta 48 s',
      '\n',
    ]);
  });
});

const MED = join(sharedDatasetsDir(), 'med');

describe('stm shows the progress of long jobs on stderr, stdout stays clean', () => {
  it.skipIf(!hasSharedDatasets(['med']))(
    'eval --json: texts embedded of the total, then pure JSON on stdout',
    async () => {
      const r = await runCli(['eval', '--dataset', MED, '--model', 'glove', '--backend', 'cpu', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^embed-corpus \d+\/1033 \(\d+%\), \d+ s(, eta \d+ s)?$/m);
      expect(r.stderr).toMatch(/^embed-corpus 1033\/1033 \(100%\), \d+ s$/m);
      expect(r.stderr).toMatch(/^embed-queries 30\/30 \(100%\), \d+ s$/m);
      expect(r.stderr).not.toContain('\r'); // not a terminal: plain lines
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^med\/test glove \(cpu\), 30 queries/);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ dataset: 'med', backend: 'cpu', queries: 30 });
      expect(r.stdout).not.toMatch(/embed-|eta|backend:/);
    },
  );

  it('train: pairs embedded for mining and optimiser steps of the total', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-progress-'));
    const pairs = join(dir, 'pairs.jsonl');
    const words = ['heart', 'lung', 'kidney', 'liver', 'brain', 'bone', 'skin', 'blood'];
    writeFileSync(
      pairs,
      words
        .map((w, i) =>
          JSON.stringify({ query: `${w} pain`, positive: `pain in the ${w} and ${words[(i + 1) % 8]}` }),
        )
        .join('\n'),
    );
    const out = join(dir, 'expert');
    const r = await runCli([
      'train',
      '--base',
      'glove',
      '--train',
      pairs,
      '--batch',
      '4',
      '--steps',
      '5',
      '--warmup',
      '0',
      '--backend',
      'cpu',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^embed 8\/8 \(100%\), \d+ s$/m);
    expect(r.stderr).toMatch(
      /^step 1\/5 \(20%\) loss \d\.\d{4} lr \S+ \|g\| \d+\.\d{3}, \d+ s(, eta \d+ s)?$/m,
    );
    expect(r.stderr).toMatch(/^step 5\/5 \(100%\) loss \d\.\d{4} .*, \d+ s$/m);
    expect(r.stdout).toBe(out + '\n');
  });
});
