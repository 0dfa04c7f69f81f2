import { describe, expect, it } from 'vitest';
import { getMergeMethod, mergeMethodNames, mergeModels } from './registry';
import type { NamedTensor } from './types';

const T = (name: string, data: number[], shape = [data.length]): NamedTensor => ({
  name,
  shape,
  data: Float32Array.from(data),
});

describe('merge registry', () => {
  it('lists mergekit method names with their defaults', () => {
    expect(mergeMethodNames()).toEqual([
      'linear',
      'task_arithmetic',
      'ties',
      'dare_linear',
      'dare_ties',
      'breadcrumbs',
      'breadcrumbs_ties',
      'della',
      'della_linear',
      'slerp',
      'model_stock',
      'multislerp',
    ]);
    const d = (n: string) => getMergeMethod(n).defaults;
    expect(d('linear')).toEqual({ normalize: true });
    expect(d('ties')).toEqual({ normalize: true, rescale: false, lambda: 1 });
    expect(d('dare_linear')).toEqual({ normalize: false, rescale: true, lambda: 1 });
    expect(d('dare_ties')).toEqual({ normalize: false, rescale: true, lambda: 1 });
    expect(d('breadcrumbs_ties')).toEqual({ normalize: false, rescale: false, lambda: 1 });
    expect(d('della')).toEqual({ normalize: true, rescale: true, lambda: 1 });
    expect(d('della_linear')).toEqual({ normalize: false, rescale: true, lambda: 1 });
    expect(getMergeMethod('dare_ties').stochastic).toBe(true);
    expect(() => getMergeMethod('frankenmerge')).toThrow(/unknown merge method "frankenmerge".*ties/);
  });
  it('merges whole models by tensor name, whatever order the experts list them in', () => {
    const base = [T('a', [0, 0]), T('b', [1], [1])];
    const e1 = [T('b', [3], [1]), T('a', [2, -2])];
    const e2 = [T('a', [4, 2]), T('b', [1], [1])];
    const out = mergeModels('task_arithmetic', base, [e1, e2], [{ weight: 0.5 }, { weight: 0.5 }]);
    expect(out.map((t) => t.name)).toEqual(['a', 'b']);
    expect(Array.from(out[0].data)).toEqual([3, 0]);
    expect(Array.from(out[1].data)).toEqual([2]);
  });
  it('names the tensor and the expert on a missing tensor, a shape mismatch, a missing weight or base', () => {
    const base = [T('a', [0, 0])];
    expect(() => mergeModels('ties', base, [[T('c', [1, 1])]], [{ weight: 1 }])).toThrow(
      /expert 0 has no tensor "a"/,
    );
    expect(() => mergeModels('ties', base, [[T('a', [1, 1], [1, 2])]], [{ weight: 1 }])).toThrow(
      /"a" \[1,2\].*"a" \[2\]/,
    );
    expect(() => mergeModels('ties', base, [[T('a', [1, 1])]], [{} as never])).toThrow(
      /expert 0: parameter "weight" is required/,
    );
    expect(() => mergeModels('ties', null, [[T('a', [1, 1])]], [{ weight: 1 }])).toThrow(
      /base model is required/,
    );
    expect(() => mergeModels('ties', base, [[T('a', [1, 1])]], [{ weight: 1, density: 1.5 }])).toThrow(
      /density must lie in \[0, 1\]/,
    );
    expect(() => mergeModels('ties', base, [[T('a', [1, 1])]], [])).toThrow(/1 experts but 0 parameter sets/);
  });
});
