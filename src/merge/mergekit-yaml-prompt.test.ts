import { describe, expect, it } from 'vitest';
import { adapterExpertRecord } from '../testing/expert-record';
import { mergedExpertRecord } from '../experts/merge';
import { expertEmbedder } from '../experts/embedder';
import { genericPolicy } from '../prompts/generic';
import { PROMPT_FORMAT } from '../prompts/policy';
import type { Embedder } from '../models/types';
import {
  exportMergekitYaml,
  importMergekitYaml,
  INSTRUCTION_COMMENT,
  parseMergekitYaml,
} from './mergekit-yaml';
import { checkRecipe, recipeLabel, type MergeRecipe } from './recipe';

const recipe = (instruction?: string | null): MergeRecipe => ({
  method: 'linear',
  baseModel: 'use-lite',
  experts: [
    { id: 'a', name: 'A', params: { weight: 0.5 } },
    { id: 'b', name: 'B', params: { weight: 0.5 } },
  ],
  options: {},
  ...(instruction === undefined ? {} : { instruction }),
});
const paths = { baseModel: null, models: ['experts/a', 'experts/b'] };

describe('a merge recipe carries the merged expert’s query instruction', () => {
  it('round-trips through mergekit YAML as a comment mergekit skips (text, null, absent)', () => {
    const text = 'Given a medical question, retrieve passages that answer it: "quoted" too';
    const yml = exportMergekitYaml(recipe(text), paths);
    expect(yml.split('\n')[0]).toBe(`${INSTRUCTION_COMMENT} ${JSON.stringify(text)}`);
    // the YAML itself (what mergekit reads) is the same as without an instruction
    expect(parseMergekitYaml(yml)).toMatchObject({
      mergeMethod: 'linear',
      models: [{ model: 'experts/a' }, {}],
    });
    expect(yml.split('\n').slice(1).join('\n')).toBe(exportMergekitYaml(recipe(), paths));
    expect(importMergekitYaml(yml).recipe.instruction).toBe(text);
    expect(importMergekitYaml(exportMergekitYaml(recipe(null), paths)).recipe.instruction).toBeNull();
    expect('instruction' in importMergekitYaml(exportMergekitYaml(recipe(), paths)).recipe).toBe(false);
  });

  it('names the line of a bad instruction comment, and checks the recipe’s', () => {
    const yml = `merge_method: linear\n${INSTRUCTION_COMMENT} not quoted\nmodels:\n  - model: a\n    parameters:\n      weight: 1\n`;
    expect(() => importMergekitYaml(yml, 'r.yml')).toThrow(/r\.yml:2: .*double-quoted instruction or null/);
    const braces = yml.replace('not quoted', '"Find {x}"');
    expect(() => importMergekitYaml(braces, 'r.yml')).toThrow(/r\.yml:2: .*may not contain \{ or \}/);
    expect(() => checkRecipe(recipe('  '))).toThrow(/the query instruction: the instruction is empty/);
    expect(recipeLabel(recipe('Find it'))).toBe('linear · A 0.5 + B 0.5 · prompt “Find it”');
    expect(recipeLabel(recipe(null))).toBe('linear · A 0.5 + B 0.5 · no prompt');
  });

  it('the merged expert gets a policy from it: the text, none, or the first expert’s', async () => {
    const gp = genericPolicy(3);
    const records = [
      { ...adapterExpertRecord({ id: 'a', name: 'A' }), prompts: gp },
      adapterExpertRecord({ id: 'b', name: 'B' }),
    ];
    const merged = (r: MergeRecipe) => mergedExpertRecord(r, records, 'm', 'm', '2026-01-01T00:00:00.000Z');
    expect(merged(recipe()).prompts).toEqual(gp);
    expect(merged(recipe(null)).prompts).toBeUndefined();
    expect(merged(recipe('Find it')).prompts).toEqual({
      kind: 'fixed',
      format: PROMPT_FORMAT,
      instructions: ['Find it'],
    });
    // and its embedder puts queries under it (USE-lite's plain "{text}" in the paper's format)
    const base: Embedder = {
      id: 'use-lite',
      dim: 2,
      templates: { query: '{text}', passage: '{title}\n{text}' },
      embed: () => Promise.resolve(new Float32Array(0)),
    };
    const W = { shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) };
    const weights = new Map([
      ['adapter.W', W],
      ['adapter.b', { shape: [2], data: new Float32Array(2) }],
    ]);
    const e = expertEmbedder(base, merged(recipe('Find it')), weights, 'm');
    expect(e.templates.query).toBe('Find it\nQuery: {text}');
    expect(e.prompt).toEqual({ format: PROMPT_FORMAT, plain: '{text}', instruction: 'Find it' });
    expect(expertEmbedder(base, merged(recipe(null)), weights, 'm').templates.query).toBe(
      records[1].templates.query,
    );
  });
});
