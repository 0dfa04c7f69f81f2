import { describe, expect, it } from 'vitest';
import { plural, withArticle } from './words';

describe('plural', () => {
  it('uses the singular only for exactly one', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(0, 'file')).toBe('0 files');
    expect(plural(2, 'file')).toBe('2 files');
    expect(plural(1234, 'query', 'queries')).toBe('1,234 queries');
    expect(plural(1, 'query', 'queries')).toBe('1 query');
  });
});

describe('withArticle', () => {
  it('picks "an" before a vowel sound and "a" before a consonant sound', () => {
    expect(withArticle('adapter')).toBe('an adapter');
    expect(withArticle('lora')).toBe('a lora');
    expect(withArticle('expert')).toBe('an expert');
    expect(withArticle('USE-lite model')).toBe('a USE-lite model');
    expect(withArticle('hour')).toBe('an hour');
    expect(withArticle('ONNX model')).toBe('an ONNX model');
    expect(withArticle('MLP')).toBe('an MLP');
  });
});
