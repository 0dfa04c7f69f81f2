import { describe, expect, it } from 'vitest';
import { MemoryEmbeddingCache } from '../../../eval/embed-cache';
import { createCpuBackend } from '../../../gpu/cpu';
import { genericPolicy } from '../../../prompts/generic';
import type { MergeRecipe } from '../../../merge/recipe';
import type { Embedder } from '../../../models/types';
import { adapterExpertRecord } from '../../../testing/expert-record';
import { mergeExperts } from './merged';

const D = 4;
const base: Embedder = {
  id: 'base',
  dim: D,
  templates: { query: '{text}', passage: '{text}' },
  embed: (_b, texts) => Promise.resolve(new Float32Array(texts.length * D).fill(0.5)),
};
const weights = () =>
  new Map([
    [
      'adapter.W',
      { shape: [D, D], data: Float32Array.from({ length: D * D }, (_, i) => (i % (D + 1) ? 0 : 1)) },
    ],
    ['adapter.b', { shape: [D], data: new Float32Array(D) }],
  ]);
const recipe = (instruction?: string | null): MergeRecipe => ({
  method: 'linear',
  baseModel: 'glove',
  experts: [
    { id: 'a', name: 'A', params: { weight: 1 } },
    { id: 'b', name: 'B', params: { weight: 1 } },
  ],
  options: {},
  ...(instruction === undefined ? {} : { instruction }),
});

describe('a merge scored in the Merge tab embeds queries as the saved merge will (issue 11 item 4)', () => {
  it('under the recipe’s instruction, none, or the first expert’s default', async () => {
    const scope = {
      base,
      experts: [
        {
          record: { ...adapterExpertRecord({ id: 'a', name: 'A' }), prompts: genericPolicy(2) },
          weights: weights(),
        },
        { record: adapterExpertRecord({ id: 'b', name: 'B' }), weights: weights() },
      ],
      cache: new MemoryEmbeddingCache(),
      backend: createCpuBackend(),
    };
    const query = async (r: MergeRecipe) => (await mergeExperts(r, scope, 'm')).embedder.templates.query;
    expect(await query(recipe())).toBe(`${genericPolicy(2).instructions[0]}\nQuery: {text}`);
    expect(await query(recipe('Find it'))).toBe('Find it\nQuery: {text}');
    expect(await query(recipe(null))).toBe('{text}');
  });
});
