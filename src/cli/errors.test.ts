/**
 * Exit codes and failed writes of the CLI (issue 8 item 12): no command is a usage error; a write that fails
 * (a full disk: /dev/full answers ENOSPC) is an error naming the file, never exit 0; an unwritable --run or
 * --out fails before the work, and a run file that fails at the end loses nothing else (the metrics are
 * printed first).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedDatasets, sharedDatasetsDir } from '../data/node';
import { runCli } from '../testing/cli';

const MED = join(sharedDatasetsDir(), 'med');
const haveMed = hasSharedDatasets(['med']);

describe('stm exit codes', () => {
  it('no command prints the usage to stderr and exits 2; help prints it to stdout and exits 0', async () => {
    // through tsx, as `npm run stm` starts it (every other test runs the bundle of the same code)
    const r = await runCli([], { tsx: true });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^stm needs a command\n\nusage: npm run stm -- <command>/);
    const help = await runCli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run stm/);
  });

  it('stdout on a full disk (/dev/full) exits 1 naming it', async () => {
    const r = await runCli(['models'], { stdoutTo: '/dev/full' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: writing to standard output (/dev/full) failed: ENOSPC');
    expect(r.stderr).not.toContain('Unhandled');
  });
});

describe.skipIf(!haveMed)('stm eval --run', () => {
  it('a run file on a full disk: the metrics are printed first, then exit 1 naming the file', async () => {
    const r = await runCli(['eval', '--dataset', MED, '--retriever', 'bm25', '--run', '/dev/full', '--json']);
    expect(r.code).toBe(1);
    const m = JSON.parse(r.stdout.trimEnd().split('\n').pop()!) as Record<string, number>;
    expect(m['ndcg@10']).toBeCloseTo(0.707, 3);
    expect(r.stderr).toContain('error: could not write the run file /dev/full: the disk is full (ENOSPC)');
  });

  it('an unwritable run path fails before the dataset is read, naming the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-run-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    for (const [run, why] of [
      [join(file, 'run.txt'), `--run ${join(file, 'run.txt')}: ${file} is not a directory`],
      [dir, `--run ${dir} is a folder; give a file name`],
    ]) {
      const r = await runCli(['eval', '--dataset', MED, '--model', 'glove', '--run', run]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(why);
      expect(r.stderr).not.toContain('dataset med');
      expect(r.stdout).toBe('');
    }
  });
});

describe('stm train --out', () => {
  it('an unwritable expert folder fails before mining and training, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-out-'));
    const pairs = join(dir, 'pairs.jsonl');
    writeFileSync(
      pairs,
      ['heart', 'lung', 'kidney', 'liver']
        .map((w) => JSON.stringify({ query: `${w} pain`, positive: `pain in the ${w}` }))
        .join('\n'),
    );
    const out = '/dev/full/expert';
    const r = await runCli(['train', '--base', 'glove', '--train', pairs, '--batch', '2', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--out ${out}: /dev/full is not a directory`);
    expect(r.stderr).not.toMatch(/mining|training|embed /);
  });
});
