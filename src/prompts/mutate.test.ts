import { describe, expect, it } from 'vitest';
import { LIBRARY } from './library';
import { mutateOne, mutations, MUTATION_RULES } from './mutate';
import { TASK_TYPES } from './search-types';

const S = 'Given a question, retrieve passages that answer it';

describe('mutations', () => {
  it('rephrase the template both ways', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++)
      seen.add(mutateOne('Given a medical question, retrieve passages', 'rephrase', { seed })!);
    expect(seen).toEqual(
      new Set([
        'Retrieve passages for the given medical question',
        'Retrieve passages for this medical question',
        'Given a medical question, find passages',
      ]),
    );
    expect(mutateOne(S, 'rephrase', { seed: 1 })).toMatch(
      /^(Retrieve passages that answer the given question|Given a question, find passages that answer it)$/,
    );
    const back = new Set<string>();
    for (let seed = 0; seed < 20; seed++)
      back.add(
        mutateOne('Retrieve medical answers for the following health question', 'rephrase', { seed })!,
      );
    expect(back).toContain('Given a health question, retrieve medical answers');
    expect(back).toContain('Find medical answers for the following health question');
  });

  it('add the domain, the intent, and shorten', () => {
    expect(mutateOne(S, 'add-domain', { task: 'medical-qa', seed: 1 })).toMatch(
      /^(Given a medical question, retrieve passages that answer it|Given a question, retrieve medical passages that answer it)$/,
    );
    expect(mutateOne(S, 'add-domain', { seed: 1 })).toBeNull(); // no task type, no domain
    expect(mutateOne('Given a claim, retrieve documents', 'add-intent', { seed: 1 })).toBe(
      'Given a claim, retrieve documents that answer the question',
    );
    expect(mutateOne('Find the passage for this query', 'add-intent', { seed: 1 })).toBe(
      'Find the passage that answers the question for this query',
    );
    expect(mutateOne(S, 'add-intent', { seed: 1 })).toBeNull(); // it already has one
    const short = new Set<string>();
    for (let seed = 0; seed < 20; seed++)
      short.add(
        mutateOne('Given a biomedical query, retrieve relevant abstracts that report findings', 'shorten', {
          seed,
        })!,
      );
    expect(short).toEqual(
      new Set([
        'Given a biomedical query, retrieve relevant abstracts',
        'Given a query, retrieve relevant abstracts that report findings',
        'Given a biomedical query, retrieve abstracts that report findings',
        'Retrieve relevant abstracts that report findings',
      ]),
    );
    for (const s of short) expect(s.length).toBeLessThan(70);
  });

  it('are deterministic by seed and always valid instructions', () => {
    for (const task of TASK_TYPES)
      for (const s of LIBRARY[task]) {
        const a = mutations(s, { task, seed: 5 });
        expect(mutations(s, { task, seed: 5 })).toEqual(a);
        expect(a.length).toBeGreaterThan(0);
        for (const m of a) {
          expect(MUTATION_RULES).toContain(m.rule);
          expect(m.instruction).not.toBe(s);
          expect(m.instruction).not.toMatch(/[{}]|\s{2}|^[a-z]/);
        }
      }
  });
});
