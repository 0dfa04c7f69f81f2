import { describe, expect, it } from 'vitest';
import { parseCandidates } from './user-candidates';

describe('parseCandidates', () => {
  it('keeps one instruction per line, skipping blanks, comments and repeats', () => {
    const text =
      '\uFEFF# my candidates\n\nGiven a medical question, retrieve passages that answer it\r\n' +
      '  Retrieve answers for the question  \n# another\nGiven a medical question, retrieve passages that answer it\n';
    expect(parseCandidates(text, 'c.txt')).toEqual([
      'Given a medical question, retrieve passages that answer it',
      'Retrieve answers for the question',
    ]);
    expect(parseCandidates('# only comments\n\n', 'c.txt')).toEqual([]);
  });

  it('refuses a bad line naming the file and line', () => {
    expect(() => parseCandidates('ok line\n\nUse {text} here\n', 'c.txt')).toThrow(
      /^c\.txt:3: an instruction may not contain \{ or \}/,
    );
    expect(() => parseCandidates(`a\n${'x'.repeat(2001)}\n`, 'dir/c.txt')).toThrow(
      /^dir\/c\.txt:2: the instruction is longer than 2000 characters/,
    );
  });
});
