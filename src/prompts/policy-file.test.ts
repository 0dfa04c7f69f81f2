import { describe, expect, it } from 'vitest';
import { GENERIC_INSTRUCTIONS } from './generic';
import { policyFromArg, parsePolicyFile } from './policy-file';
import { PROMPT_FORMAT } from './policy';

describe('prompt policy files', () => {
  it('one instruction is fixed, several are GP over them; comments and blank lines are skipped', () => {
    expect(parsePolicyFile('# mine\n\n  Find the answer  \n', 'p.txt')).toEqual({
      kind: 'fixed',
      format: PROMPT_FORMAT,
      instructions: ['Find the answer'],
    });
    const gp = parsePolicyFile('A one\r\n# c\nB two\n', 'p.txt', 'Instruct: {instruction}\nQuery:{text}');
    expect(gp).toEqual({
      kind: 'gp',
      format: 'Instruct: {instruction}\nQuery:{text}',
      instructions: ['A one', 'B two'],
    });
  });

  it('names the file and line of a bad instruction', () => {
    expect(() => parsePolicyFile('ok\nbad {x}\n', 'p.txt')).toThrow(
      'p.txt:2: an instruction may not contain',
    );
    expect(() => parsePolicyFile('a\n\na\n', 'p.txt')).toThrow('p.txt:3: the instruction repeats line 1');
    expect(() => parsePolicyFile('# only\n\n', 'p.txt')).toThrow('p.txt: holds no instruction');
  });

  it('reads --prompts none, gp:<n> and files', async () => {
    const read = (f: string) => Promise.resolve(f === 'x.txt' ? 'one\ntwo\n' : '');
    expect(await policyFromArg('none', PROMPT_FORMAT, read)).toBeUndefined();
    const gp = await policyFromArg('gp:3', PROMPT_FORMAT, read);
    expect(gp).toEqual({ kind: 'gp', format: PROMPT_FORMAT, instructions: GENERIC_INSTRUCTIONS.slice(0, 3) });
    expect((await policyFromArg('x.txt', PROMPT_FORMAT, read))?.instructions).toEqual(['one', 'two']);
    await expect(policyFromArg('gp:0', PROMPT_FORMAT, read)).rejects.toThrow(/n in 1\.\./);
    await expect(policyFromArg('gp:x', PROMPT_FORMAT, read)).rejects.toThrow(/whole number/);
    await expect(policyFromArg('x.txt', '{text}', read)).rejects.toThrow(/needs both \{instruction\}/);
  });
});
