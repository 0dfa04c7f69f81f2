import { describe, expect, it } from 'vitest';
import { decoderTemplates, DEFAULT_INSTRUCTION } from '../models/hf/embedder';
import type { Embedder } from '../models/types';
import { parseEvalArgs } from './eval-args';
import { ownInstructions, promptVariants } from './eval-prompts';

const model = (query: string): Embedder => ({
  id: 'm',
  dim: 2,
  templates: { query, passage: '{text}' },
  embed: () => Promise.resolve(new Float32Array(0)),
});

describe('stm eval --prompt', () => {
  it('a model without an instruction format gets the paper’s around its plain template', () => {
    const [v] = promptVariants(model('{text}'), 'Find the answer');
    expect(v.instruction).toBe('Find the answer');
    expect(v.embedder.templates.query).toBe('Find the answer\nQuery: {text}');
    expect(v.embedder.templates.passage).toBe('{text}');
    expect(promptVariants(model('{text}'), 'each').map((x) => x.instruction)).toEqual([null]);
    expect(ownInstructions(model('{text}'))).toEqual([]);
  });

  it('a decoder: none drops its instruction, default keeps it, each is none then its own', () => {
    const dec = model(decoderTemplates().query);
    expect(promptVariants(dec, 'none')[0].embedder.templates.query).toBe('Query: {text}');
    expect(promptVariants(dec, 'default')[0]).toEqual({ instruction: DEFAULT_INSTRUCTION, embedder: dec });
    expect(promptVariants(dec, 'each').map((x) => x.instruction)).toEqual([null, DEFAULT_INSTRUCTION]);
    expect(promptVariants(dec, '1')[0].embedder.templates.query).toBe(
      `${DEFAULT_INSTRUCTION}\nQuery: {text}`,
    );
    expect(() => promptVariants(dec, '2')).toThrow('has 1 instruction(s); give 1..1');
    expect(() => promptVariants(model('{text}'), '1')).toThrow('has no instructions of its own');
    expect(() => promptVariants(dec, 'Find {x}')).toThrow('--prompt: an instruction may not contain');
  });

  it('refuses --prompt for BM25 and --prompt each with --run', () => {
    expect(() => parseEvalArgs(['--dataset', 'demo', '--retriever', 'bm25', '--prompt', 'none'])).toThrow(
      '--prompt is for dense models',
    );
    expect(() => parseEvalArgs(['--dataset', 'demo', '--prompt', 'each', '--run', 'x.tsv'])).toThrow(
      '--run writes one ranking',
    );
    expect(parseEvalArgs(['--dataset', 'demo', '--prompt', '2']).prompt).toBe('2');
  });
});
