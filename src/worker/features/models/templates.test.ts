import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../../models/types';
import { chooseEngine, filesFor, folderLayout, modelIdFrom } from './files';
import { checkTemplates, resolveTemplates, templatesWithInstruction, withTemplates } from './templates';

const DECODER = { query: '{instruction}\nQuery: {text}', passage: 'passage: {text}', instruction: 'Find it' };
const ENCODER = { query: '{text}', passage: '{title}\n{text}', instruction: null };

describe('templates', () => {
  it('fills the instruction and checks placeholders', () => {
    expect(resolveTemplates(DECODER)).toEqual({
      query: 'Find it\nQuery: {text}',
      passage: 'passage: {text}',
    });
    expect(resolveTemplates(ENCODER)).toEqual({ query: '{text}', passage: '{title}\n{text}' });
    expect(checkTemplates({ ...DECODER, instruction: '  Other task ' }, DECODER, 'm').instruction).toBe(
      'Other task',
    );
    expect(() => checkTemplates({ ...ENCODER, query: 'q: {query}' }, ENCODER, 'm')).toThrow(
      'm: the query template needs the {text} placeholder',
    );
    expect(() => checkTemplates({ ...ENCODER, passage: '{text} {foo}' }, ENCODER, 'm')).toThrow(
      'unknown placeholder {foo} in the passage template',
    );
    expect(() => checkTemplates({ ...ENCODER, instruction: 'x' }, ENCODER, 'm')).toThrow(
      'm: the instruction is used only through an {instruction} placeholder',
    );
    expect(() => checkTemplates({ ...DECODER, instruction: 'a {text}' }, DECODER, 'm')).toThrow(
      'may not contain',
    );
  });

  it('lets any model carry an {instruction} placeholder (issue 11): a searched prompt on USE-lite or BERT', () => {
    const applied = { ...ENCODER, query: '{instruction}\nQuery: {text}', instruction: ' Find answers ' };
    expect(checkTemplates(applied, ENCODER, 'm')).toEqual({ ...applied, instruction: 'Find answers' });
    expect(resolveTemplates(checkTemplates(applied, ENCODER, 'm')).query).toBe('Find answers\nQuery: {text}');
    expect(() => checkTemplates({ ...applied, instruction: ' ' }, ENCODER, 'm')).toThrow(
      'm: the template has an {instruction} placeholder but the instruction is empty',
    );
    expect(() => checkTemplates({ ...applied, instruction: 'a {b}' }, ENCODER, 'm')).toThrow(
      'may not contain',
    );
  });

  it('puts an instruction into templates: around a plain one, into a placeholder, or takes it out', () => {
    const enc = templatesWithInstruction(ENCODER, ENCODER, 'Find answers');
    expect(enc).toEqual({
      query: 'Find answers'.length ? '{instruction}\nQuery: {text}' : '',
      passage: '{title}\n{text}',
      instruction: 'Find answers',
    });
    // applied again: the placeholder is kept, only the instruction changes
    expect(templatesWithInstruction(enc, ENCODER, 'Other')).toEqual({ ...enc, instruction: 'Other' });
    // none: the plain template again, which is the model's own
    expect(templatesWithInstruction(enc, ENCODER, null)).toEqual(ENCODER);
    expect(templatesWithInstruction(ENCODER, ENCODER, '  ')).toEqual(ENCODER);
    // a decoder keeps its format; without an instruction its plain "Query: {text}"
    expect(templatesWithInstruction(DECODER, DECODER, 'Other')).toEqual({ ...DECODER, instruction: 'Other' });
    expect(templatesWithInstruction(DECODER, DECODER, null)).toEqual({
      query: 'Query: {text}',
      passage: 'passage: {text}',
      instruction: '',
    });
    for (const t of [enc, templatesWithInstruction(DECODER, DECODER, null)])
      expect(() => checkTemplates(t, t === enc ? ENCODER : DECODER, 'm')).not.toThrow();
  });

  it('gives the wrapper the instruction its queries run under (evaluation reports record it)', () => {
    const base: Embedder = {
      id: 'e',
      dim: 1,
      templates: { query: '{text}', passage: '{title}\n{text}' },
      embed: async (_b, texts) => new Float32Array(texts.length),
    };
    const w = withTemplates(base, templatesWithInstruction(ENCODER, ENCODER, 'Find answers'));
    expect(w.templates.query).toBe('Find answers\nQuery: {text}');
    // "no instruction" for this model is its own plain template, as the prompt search's baseline has it
    expect(w.prompt).toEqual({
      format: '{instruction}\nQuery: {text}',
      plain: '{text}',
      instruction: 'Find answers',
    });
    expect(withTemplates(base, { ...ENCODER, passage: 'doc: {text}' }).prompt).toBeUndefined();
  });

  it('wraps an embedder only when the templates differ, passing embed through', async () => {
    const calls: string[][] = [];
    const base: Embedder = {
      id: 'e',
      dim: 1,
      templates: { query: '{text}', passage: '{title}\n{text}' },
      embed: async (_b, texts) => (calls.push([...texts]), new Float32Array(texts.length)),
    };
    expect(withTemplates(base, ENCODER)).toBe(base);
    const w = withTemplates(base, { ...ENCODER, passage: 'doc: {text}' });
    expect(w).not.toBe(base);
    expect(w).toMatchObject({ id: 'e', dim: 1, templates: { query: '{text}', passage: 'doc: {text}' } });
    await w.embed(null as never, ['x'], 'passage');
    expect(calls).toEqual([['x']]);
  });
});

describe('model folder layout', () => {
  it('finds the root folder and the engines a pick supports', () => {
    const both = folderLayout([
      'm/config.json',
      'm/model.safetensors',
      'm/tokenizer.json',
      'm/tokenizer_config.json',
      'm/onnx/model.onnx',
      'm/README.md',
    ]);
    expect(both.root).toBe('m');
    expect(both.engines).toEqual(['native', 'onnx']);
    expect(chooseEngine(both)).toBe('native');
    expect(filesFor(both, 'onnx')).toEqual([
      'onnx/model.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
      'config.json',
    ]);
    const onnxOnly = folderLayout(['x/onnx/model.onnx', 'x/tokenizer.json', 'x/tokenizer_config.json']);
    expect(chooseEngine(onnxOnly)).toBe('onnx');
    expect(() => chooseEngine(onnxOnly, 'native')).toThrow('x/config.json: missing');
    const flat = folderLayout(['config.json', 'model.safetensors']);
    expect(flat.root).toBe('');
    expect(() => chooseEngine(flat)).toThrow(/^selected files\/tokenizer\.json: missing from the folder/);
    expect(modelIdFrom(' my model|v2 ')).toBe('my-model-v2');
  });
});
