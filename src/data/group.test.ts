import { describe, expect, it } from 'vitest';
import { guessGroup } from './group';

describe('guessGroup', () => {
  it('guesses medical from the name of the usual medical collections', () => {
    for (const n of [
      'med',
      'medquad',
      'MedicalQARetrieval',
      'nfcorpus',
      'trec-covid',
      'BioASQ',
      'scifact',
      'med (2)',
    ])
      expect(guessGroup(n), n).toBe('medical');
  });
  it('guesses general otherwise, and from a medical description', () => {
    for (const n of ['cran', 'fiqa', 'imported', 'media-articles', 'arguana'])
      expect(guessGroup(n), n).toBe('general');
    expect(guessGroup('imported', 'MEDLINE abstracts, biomedical')).toBe('medical');
    expect(guessGroup('cranfield', 'aeronautics abstracts')).toBe('general');
  });
});
