import { describe, expect, it } from 'vitest';
import { genericPolicy } from '../prompts/generic';
import { PROMPT_FORMAT } from '../prompts/policy';
import type { Embedder } from '../models/types';
import { adapterExpertRecord } from '../testing/expert-record';
import { expertEmbedder, expertPolicy, trainedCandidates } from './embedder';

// templates only: the base is never asked to embed here
const base: Embedder = {
  id: 'use-lite',
  dim: 2,
  templates: { query: '{text}', passage: '{title}\n{text}' },
  embed: () => Promise.reject(new Error('not embedded in this test')),
};
const weights = new Map([
  ['adapter.W', { shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) }],
  ['adapter.b', { shape: [2], data: new Float32Array(2) }],
]);
const gp = genericPolicy(3);

describe('an expert’s prompts at use', () => {
  it('a GP expert’s training instructions join a prompt search’s candidates; a plain expert adds none', () => {
    const e = expertEmbedder(
      base,
      { ...adapterExpertRecord({ id: 'g', name: 'G' }), prompts: gp },
      weights,
      'g',
    );
    const given = [{ id: 'u1', instruction: 'Mine', origin: 'user' as const }];
    const c = trainedCandidates(e, given);
    expect(c.map((x) => x.instruction)).toEqual(['Mine', ...gp.instructions]);
    expect(c.slice(1).map((x) => x.note)).toEqual(['trained 1/3', 'trained 2/3', 'trained 3/3']);
    const plain = expertEmbedder(base, adapterExpertRecord({ id: 'p', name: 'P' }), weights, 'p');
    expect(trainedCandidates(plain, given)).toEqual(given);
  });

  it('an instruction chosen after training (the Prompts tab) replaces the policy’s default; null: none', () => {
    const rec = { ...adapterExpertRecord({ id: 'g', name: 'G' }), prompts: gp };
    expect(expertEmbedder(base, rec, weights, 'g').templates.query).toBe(
      `${gp.instructions[0]}\nQuery: {text}`,
    );
    const chosen = expertEmbedder(base, { ...rec, instruction: 'Find relevant passages' }, weights, 'g');
    expect(chosen.templates.query).toBe('Find relevant passages\nQuery: {text}');
    expect(chosen.prompt).toEqual({
      format: PROMPT_FORMAT,
      plain: '{text}',
      instruction: 'Find relevant passages',
    });
    // still known as the GP expert: a search lists its training instructions
    expect(expertPolicy(chosen)).toEqual(gp);
    const none = expertEmbedder(base, { ...rec, instruction: null }, weights, 'g');
    expect(none.templates.query).toBe('{text}');
    expect(none.prompt?.instruction).toBeNull();
    // a prompt-free expert given an instruction: the paper's format around its plain template
    const plain = { ...adapterExpertRecord({ id: 'p', name: 'P' }), instruction: 'Find it' };
    expect(expertEmbedder(base, plain, weights, 'p').templates.query).toBe('Find it\nQuery: {text}');
  });
});
