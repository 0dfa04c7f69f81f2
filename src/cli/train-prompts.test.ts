/**
 * `stm train --prompts` and `stm eval --prompt` (issue 11 items 3 and 4): a GP-2 adapter over USE-lite on real
 * MedQuAD training pairs records its policy; evaluated under no prompt and each of its instructions, the
 * figures differ. A resume under another policy is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GENERIC_INSTRUCTIONS } from '../prompts/generic';
import { PROMPT_FORMAT } from '../prompts/policy';
import { runCli } from '../testing/cli';
import { HAVE_MEDQUAD, writeMedquadSlice } from '../testing/medquad-small';
import { parseTrainArgs } from './args';
import { runTrain } from './train';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-prompts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!HAVE_MEDQUAD)('stm train --prompts gp:2, then stm eval --prompt each (real MedQuAD)', () => {
  it('records GP-2 in expert.json and prints one result per prompt, no prompt first, whose figures differ', async () => {
    const { pairs, beir } = writeMedquadSlice(dir, { pairs: 64, queries: 40, corpusQueries: 150 });
    const out = join(dir, 'gp2');
    const train = await runCli(
      ['train', '--base', 'use-lite', '--train', pairs, '--prompts', 'gp:2', '--negatives', 'none'].concat([
        '--batch',
        '16',
        '--steps',
        '8',
        '--lr',
        '0.02',
        '--backend',
        'cpu',
        '--out',
        out,
      ]),
    );
    expect(train.stderr).toContain('query prompts: GP-2');
    expect(train.code).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'expert.json'), 'utf8')) as Record<string, unknown>;
    const gp2 = { kind: 'gp', format: PROMPT_FORMAT, instructions: GENERIC_INSTRUCTIONS.slice(0, 2) };
    expect(record.prompts).toEqual(gp2);
    expect((record.config as Record<string, unknown>).prompts).toEqual(gp2);

    const each = await runCli(
      ['eval', '--dataset', beir, '--split', 'dev', '--model', out, '--prompt', 'each', '--json'].concat([
        '--backend',
        'cpu',
      ]),
    );
    expect(each.stderr).not.toMatch(/error/);
    expect(each.code).toBe(0);
    const lines = each.stdout.trim().split('\n');
    const promptLines = lines.filter((l) => l.startsWith('prompt '));
    expect(promptLines).toHaveLength(3);
    expect(promptLines[0]).toMatch(/^prompt none: ndcg@10 0\.\d{4}/);
    expect(promptLines[1]).toContain(`"${GENERIC_INSTRUCTIONS[0]}"`);
    const json = JSON.parse(lines.at(-1)!) as {
      queries: number;
      prompts: { prompt: string | null; query_template: string; 'ndcg@10': number }[];
    };
    expect(json.queries).toBe(40);
    expect(json.prompts.map((p) => p.prompt)).toEqual([null, ...GENERIC_INSTRUCTIONS.slice(0, 2)]);
    expect(json.prompts[1].query_template).toBe(`${GENERIC_INSTRUCTIONS[0]}\nQuery: {text}`);
    const ndcg = json.prompts.map((p) => p['ndcg@10']);
    expect(new Set(ndcg.map((x) => x.toFixed(6))).size).toBe(3);
    // one prompt: the expert's 2nd instruction, in the report
    const second = await runCli([
      'eval',
      '--dataset',
      beir,
      '--split',
      'dev',
      '--model',
      out,
      '--prompt',
      '2',
      '--json',
      '--backend',
      'cpu',
    ]);
    const one = JSON.parse(second.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(one.instruction).toBe(GENERIC_INSTRUCTIONS[1]);
    expect(one['ndcg@10']).toBeCloseTo(ndcg[2], 10);
    // the default is the first instruction; a 3rd does not exist
    const bad = await runCli(['eval', '--dataset', beir, '--split', 'dev', '--model', out, '--prompt', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('has 2 instruction(s); give 1..2');
  }, 240_000);
});

describe('stm train --prompts: what a run refuses', () => {
  const words = ['heart', 'lung', 'kidney', 'liver', 'brain', 'bone', 'skin', 'blood', 'eye', 'ear'];
  const pairsFile = join(dir, 'pairs-glove.jsonl');
  writeFileSync(
    pairsFile,
    words
      .map((w, i) =>
        JSON.stringify({ query: `${w} pain`, positive: `pain in the ${w} and ${words[(i + 3) % 10]}` }),
      )
      .join('\n'),
  );
  const quiet = { log: () => undefined, progress: () => undefined };
  const argv = (out: string, more: string[]) =>
    parseTrainArgs(
      ['--base', 'glove', '--train', pairsFile, '--negatives', 'none', '--batch', '4', '--steps', '4'].concat(
        ['--backend', 'cpu', '--out', out, '--checkpoint-every', '2'],
        more,
      ),
    );

  it('refuses to resume a GP-2 run under another policy, naming both', async () => {
    const out = join(dir, 'resume');
    const print = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await runTrain(argv(out, ['--prompts', 'gp:2']), quiet);
      await expect(runTrain(argv(out, ['--prompts', 'gp:3', '--resume']), quiet)).rejects.toThrow(
        /trained under query prompts GP-2 \(sha256 [0-9a-f]{12}\), but this command asks for GP-3/,
      );
      await expect(runTrain(argv(out, ['--resume']), quiet)).rejects.toThrow(
        /trained under query prompts GP-2 .*asks for none/,
      );
      // the same policy resumes
      await runTrain(argv(out, ['--prompts', 'gp:2', '--resume']), quiet);
    } finally {
      print.mockRestore();
    }
  });

  it('names the line of a bad instruction file before training', async () => {
    const file = join(dir, 'instructions.txt');
    writeFileSync(file, '# mine\nFind the answer\nFind {it}\n');
    await expect(runTrain(argv(join(dir, 'bad'), ['--prompts', file]), quiet)).rejects.toThrow(
      `${file}:3: an instruction may not contain { or }`,
    );
    expect(() => argv(join(dir, 'bad'), ['--prompt-format', 'Q: {text}'])).toThrow(
      /--prompt-format needs both \{instruction\} and \{text\}/,
    );
  });
});
