import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readExpertDir, writeExpertDir } from '../experts/files-node';
import { resolveModelNode } from '../experts/resolve-node';
import { genericPolicy } from '../prompts/generic';
import { PROMPT_FORMAT } from '../prompts/policy';
import { adapterExpertRecord } from '../testing/expert-record';
import { mergeCli } from '../testing/cli-merge';
import { parseMergeArgs } from './merge-args';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-merge-instr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const D = 100; // GloVe's dimension

async function merge(argv: string[]): Promise<void> {
  await mergeCli(argv);
}

async function expert(name: string, gp: boolean): Promise<string> {
  const d = join(dir, name);
  const W = new Float32Array(D * D);
  for (let i = 0; i < D; i++) W[i * D + i] = 1 + (gp ? 0.1 : 0);
  await writeExpertDir(
    d,
    adapterExpertRecord({ id: name, name, ...(gp ? { prompts: genericPolicy(2) } : {}) }),
    new Map([
      ['adapter.W', { shape: [D, D], data: W }],
      ['adapter.b', { shape: [D], data: new Float32Array(D) }],
    ]),
  );
  return d;
}

describe('stm merge --instruction (issue 11 item 4)', () => {
  it('the merged expert, its recipe and its mergekit YAML carry the instruction; --config reads it back', async () => {
    const a = await expert('a', true);
    const b = await expert('b', false);
    const args = ['--method', 'linear', '--experts', `${a},${b}`, '--weights', '0.5'];
    const out = join(dir, 'm1');
    const yml = join(dir, 'm1.yml');
    await merge([...args, '--instruction', 'Find the answer', '--out', out, '--yaml', yml]);
    const m = await readExpertDir(out);
    expect(m.record.merge?.instruction).toBe('Find the answer');
    expect(m.record.prompts).toEqual({
      kind: 'fixed',
      format: PROMPT_FORMAT,
      instructions: ['Find the answer'],
    });
    expect(m.record.data.source).toMatch(/ · prompt “Find the answer”$/);
    expect(readFileSync(yml, 'utf8')).toContain('# stm_instruction: "Find the answer"');
    const e = await resolveModelNode(out, () => undefined);
    expect(e.templates.query).toBe('Find the answer\nQuery: {text}');
    // the YAML applied again gives the same instruction
    await merge(['--config', yml, '--out', join(dir, 'm2')]);
    expect((await readExpertDir(join(dir, 'm2'))).record.prompts?.instructions).toEqual(['Find the answer']);
    // none: no prompt; absent: the first expert's policy (GP-2)
    await merge([...args, '--instruction', 'none', '--out', join(dir, 'm3')]);
    expect((await readExpertDir(join(dir, 'm3'))).record.prompts).toBeUndefined();
    expect((await resolveModelNode(join(dir, 'm3'), () => undefined)).templates.query).toBe('{text}');
    await merge([...args, '--out', join(dir, 'm4')]);
    expect((await readExpertDir(join(dir, 'm4'))).record.prompts).toEqual(genericPolicy(2));
  });

  it('refuses an instruction with braces, naming the option', () => {
    expect(() =>
      parseMergeArgs([
        '--method',
        'linear',
        '--experts',
        'a',
        '--weights',
        '1',
        '--out',
        'x',
        '--instruction',
        'a {b}',
      ]),
    ).toThrow('--instruction: an instruction may not contain { or }');
  });
});
