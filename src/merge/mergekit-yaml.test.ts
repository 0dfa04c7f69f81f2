import { describe, expect, it } from 'vitest';
import {
  exportMergekitYaml,
  importMergekitYaml,
  parseMergekitYaml,
  yamlNumber,
  yamlString,
} from './mergekit-yaml';
import { recipeTensorParams, type MergeRecipe } from './recipe';
import type { ModelParams } from './types';

/** mergekit's TIES example (its README), with comments and a flow list. */
const TIES = `# a TIES merge
models:
  - model: psmathur/orca_mini_v3_13b
    parameters:
      density: [1, 0.7, 0.1] # density gradient
      weight: 1.0
  - model: garage-bAInd/Platypus2-13B
    parameters:
      density: 0.5
      weight: [0, 0.3, 0.7, 1] # weight gradient
  - model: WizardLM/WizardMath-13B-V1.0
    parameters:
      density: 0.33
      weight:
        - filter: mlp
          value: 0.5
        - value: 0
merge_method: ties
base_model: TheBloke/Llama-2-13B-fp16
parameters:
  normalize: true
  int8_mask: true
dtype: float16
`;

describe('mergekit recipes in (issue 10 item 7)', () => {
  it("parses mergekit's TIES example faithfully: numbers, gradients, filters", () => {
    const r = parseMergekitYaml(TIES, 'ties.yml');
    expect(r.mergeMethod).toBe('ties');
    expect(r.baseModel).toBe('TheBloke/Llama-2-13B-fp16');
    expect(r.dtype).toBe('float16');
    expect(r.models.map((m) => m.model)).toEqual([
      'psmathur/orca_mini_v3_13b',
      'garage-bAInd/Platypus2-13B',
      'WizardLM/WizardMath-13B-V1.0',
    ]);
    expect(r.models[0].parameters).toEqual({
      density: { kind: 'gradient', line: 5, values: [1, 0.7, 0.1] },
      weight: { kind: 'scalar', line: 6, value: 1 },
    });
    expect(r.models[1].parameters.weight).toEqual({ kind: 'gradient', line: 10, values: [0, 0.3, 0.7, 1] });
    expect(r.models[2].parameters.weight).toEqual({
      kind: 'conditional',
      line: 14,
      conds: [
        { filter: 'mlp', value: 0.5 },
        { filter: null, value: 0 },
      ],
    });
    expect(r.parameters).toEqual({
      normalize: { kind: 'scalar', line: 21, value: true },
      int8_mask: { kind: 'scalar', line: 22, value: true },
    });
  });

  it("imports per-layer values: gradients and filters to perLayer, a plain value beside (mergekit's TIES example)", () => {
    const { recipe, warnings } = importMergekitYaml(TIES, 'ties.yml');
    expect(warnings).toEqual([]);
    expect(recipe.experts.map((e) => [e.params, e.perLayer])).toEqual([
      [{ weight: 1, density: 1 }, { density: [1, 0.7, 0.1] }],
      [{ weight: 0, density: 0.5 }, { weight: [0, 0.3, 0.7, 1] }],
      [{ weight: 0, density: 0.33 }, { weight: [{ filter: 'mlp', value: 0.5 }, { value: 0 }] }],
    ]);
    expect(recipe.options).toEqual({ normalize: true });
    expect(recipe.perLayer).toBeUndefined();
    // 5 layers: what mergekit's evaluate_setting gives each tensor
    const at = (name: string) => recipeTensorParams(recipe, name, 5).models;
    expect(at('model.layers.2.mlp.up_proj.weight')).toEqual([
      { weight: 1, density: 0.7 },
      { weight: 0.5, density: 0.5 },
      { weight: 0.5, density: 0.33 },
    ]);
    const l3 = at('model.layers.3.self_attn.q_proj.weight');
    expect(l3[0].density).toBeCloseTo(0.4, 12);
    expect(l3[1].weight).toBeCloseTo(0.7 + 0.25 * 0.3, 12);
    expect(l3[2].weight).toBe(0);
  });

  it("falls through as mergekit's ConfigReader: a model's filters, the top level, the default", () => {
    const text = [
      'merge_method: ties',
      'base_model: b',
      'models:',
      '  - model: x',
      '    parameters:',
      '      weight: {filter: mlp, value: 0.2}',
      '      density:',
      '        - filter: self_attn',
      '          value: [0.1, 0.3]',
      '  - model: y',
      'parameters:',
      '  weight: [{filter: attn, value: 0.9}, {filter: "*", value: 0.4}]',
      '  lambda: [1, 2]',
      '  t: 0.5',
      '',
    ].join('\n');
    const { recipe, warnings } = importMergekitYaml(text, 'f.yml');
    expect(warnings).toEqual(['f.yml:14: ties does not read "t"; ignored']);
    expect(recipe.experts[0].perLayer).toEqual({
      weight: [
        { filter: 'mlp', value: 0.2 },
        { filter: 'attn', value: 0.9 },
        { filter: '*', value: 0.4 },
      ],
      density: [{ filter: 'self_attn', value: [0.1, 0.3] }, { value: 1 }],
    });
    expect(recipe.experts[0].params).toEqual({ weight: 0.4, density: 1 });
    expect(recipe.experts[1].perLayer).toEqual({
      weight: [
        { filter: 'attn', value: 0.9 },
        { filter: '*', value: 0.4 },
      ],
    });
    expect(recipe.perLayer).toEqual({ lambda: [1, 2] });
    expect(recipe.options).toEqual({ lambda: 1 });
    const t = recipeTensorParams(recipe, 'model.layers.1.self_attn.k_proj.weight', 2);
    expect(t.models).toEqual([{ weight: 0.9, density: 0.3 }, { weight: 0.9 }]);
    expect(t.options).toEqual({ lambda: 2 });
    expect(recipeTensorParams(recipe, 'model.norm.weight', 2).models[0]).toEqual({ weight: 0.4, density: 1 });
    // a required weight whose filters match nothing fails at that tensor, as in mergekit
    const noWeight = importMergekitYaml(
      'merge_method: ties\nbase_model: b\nmodels:\n  - model: x\n    parameters:\n      weight: [{filter: mlp, value: 1}]\n',
    ).recipe;
    expect(() => recipeTensorParams(noWeight, 'model.norm.weight', 2)).toThrow(
      'expert "x" weight: no rule matches tensor "model.norm.weight"',
    );
  });

  it('refuses per-layer values where they cannot apply, naming the key and line', () => {
    const head = 'merge_method: ties\nbase_model: b\nmodels:\n  - model: x\n    parameters: {weight: 1}\n';
    expect(() =>
      importMergekitYaml(`${head}parameters:\n  normalize: [{filter: mlp, value: true}]\n`, 'r.yml'),
    ).toThrow(
      'r.yml:7: parameters.normalize is a per-layer value (name filters); only numeric parameters (weight, density, gamma, epsilon, lambda, t) may vary by layer',
    );
    expect(() => importMergekitYaml(`${head}parameters:\n  rescale: [true, false]\n`, 'r.yml')).toThrow(
      'r.yml:7: parameters.rescale is a per-layer list of values that are not all numbers',
    );
    expect(() => importMergekitYaml(`${head}parameters:\n  seed: [1, 2]\n`, 'r.yml')).toThrow(
      'r.yml:7: parameters.seed is a per-layer value (a list interpolated across layers)',
    );
    expect(() =>
      importMergekitYaml(`${head}parameters:\n  density: [{filter: mlp, value: yes}]\n`, 'r.yml'),
    ).toThrow(
      "r.yml:7: parameters.density: a condition's value must be a number or a list of numbers, got true",
    );
  });

  it('imports scalar recipes into a MergeRecipe; top-level weight/density are defaults', () => {
    const text = TIES.replace('[1, 0.7, 0.1] # density gradient', '0.9')
      .replace('[0, 0.3, 0.7, 1] # weight gradient', '0.5')
      .replace(/weight:\n\s+- filter: mlp\n\s+value: 0.5\n\s+- value: 0/, 'weight: 0.25')
      .replace('  int8_mask: true', '  int8_mask: true\n  lambda: 1.5\n  density: 0.2');
    const imported = importMergekitYaml(text, 'ties.yml');
    expect(imported.recipe).toEqual({
      method: 'ties',
      baseModel: 'TheBloke/Llama-2-13B-fp16',
      experts: [
        {
          id: 'psmathur/orca_mini_v3_13b',
          name: 'psmathur/orca_mini_v3_13b',
          params: { weight: 1, density: 0.9 },
        },
        {
          id: 'garage-bAInd/Platypus2-13B',
          name: 'garage-bAInd/Platypus2-13B',
          params: { weight: 0.5, density: 0.5 },
        },
        {
          id: 'WizardLM/WizardMath-13B-V1.0',
          name: 'WizardLM/WizardMath-13B-V1.0',
          params: { weight: 0.25, density: 0.33 },
        },
      ],
      options: { normalize: true, lambda: 1.5 },
    });
    expect(imported.dtype).toBe('float16');
    // slerp: the base listed among the models is the base, not an expert; no weights needed
    const slerp = importMergekitYaml(
      'merge_method: slerp\nbase_model: a\nmodels:\n  - model: a\n  - model: b\nparameters:\n  t: 0.3\n',
    );
    expect(slerp.recipe.experts).toEqual([{ id: 'b', name: 'b', params: {} }]);
    expect(slerp.recipe.options).toEqual({ t: 0.3 });
  });

  it('names unknown keys with the file and line, and what is known', () => {
    expect(() => importMergekitYaml('merge_methd: ties\nmodels: []\n', 'r.yml')).toThrow(
      'r.yml:1: unknown key "merge_methd" in the recipe; known keys: merge_method, base_model, models, parameters, dtype, out_dtype',
    );
    expect(() =>
      importMergekitYaml(
        'merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    weigth: 1\n',
        'r.yml',
      ),
    ).toThrow('r.yml:5: unknown key "weigth" in models[0]; known keys: model, parameters');
    expect(() =>
      importMergekitYaml(
        'merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    parameters:\n      weight: 1\n      densty: 0.5\n',
        'r.yml',
      ),
    ).toThrow(
      'r.yml:7: unknown key "densty" in models[0].parameters; known keys: weight, density, gamma, epsilon',
    );
    expect(() =>
      importMergekitYaml(
        'merge_method: ties\nbase_model: b\nmodels:\n  - model: a\nparameters:\n  lamda: 2\n',
        'r.yml',
      ),
    ).toThrow('r.yml:6: unknown key "lamda" in parameters');
    expect(() => importMergekitYaml('merge_method: tiez\nmodels:\n  - model: a\n', 'r.yml')).toThrow(
      'r.yml:1: unknown merge method "tiez"',
    );
    expect(() =>
      importMergekitYaml('merge_method: ties\nbase_model: b\nslices: []\nmodels: []\n', 'r.yml'),
    ).toThrow('r.yml:3: "slices": layer slices (frankenmerges) are not supported');
    expect(() =>
      importMergekitYaml('merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n', 'r.yml'),
    ).toThrow('r.yml:4: model "a" has no "weight" (ties needs one per model)');
    expect(() =>
      importMergekitYaml(
        'merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    parameters: {weight: 1}\nparameters:\n  normalize: 1\n',
        'r.yml',
      ),
    ).toThrow('r.yml:7: parameters.normalize must be true or false, got 1');
  });
});

describe('mergekit recipes out (issue 10 item 7)', () => {
  const recipes: MergeRecipe[] = [
    {
      method: 'ties',
      baseModel: 'base.safetensors',
      experts: [
        {
          id: 'experts/a b.safetensors',
          name: 'experts/a b.safetensors',
          params: { weight: 0.7, density: 0.5 },
        },
        { id: 'yes', name: 'yes', params: { weight: 1e-7, density: 0.25 } },
      ],
      options: { normalize: false, lambda: 1.25 },
    },
    {
      method: 'della',
      baseModel: 'use-lite',
      experts: [
        { id: '/tmp/e1', name: '/tmp/e1', params: { weight: 0.5, density: 0.6, epsilon: 0.1 } },
        { id: '/tmp/e2: x', name: '/tmp/e2: x', params: { weight: -0.25 } },
      ],
      options: { rescale: true, seed: 7 },
    },
    {
      method: 'breadcrumbs_ties',
      baseModel: 'b',
      experts: [{ id: '1.5', name: '1.5', params: { weight: 1, density: 0.9, gamma: 0.02 } }],
      options: {},
    },
    // per-layer values: gradients, filters (one with a gradient value), a global gradient; the plain
    // value beside each is what the importer derives (the rule for every name, or the first point)
    {
      method: 'ties',
      baseModel: 'b',
      experts: [
        {
          id: 'x',
          name: 'x',
          params: { weight: 0.5, density: 0.2 },
          perLayer: {
            weight: [{ filter: 'self_attn', value: [0, 1] }, { filter: 'mlp', value: 0.7 }, { value: 0.5 }],
            density: [0.2, 0.8],
          },
        },
        {
          id: 'y',
          name: 'y',
          params: { weight: 1, density: 1 },
          perLayer: { density: [{ filter: 'adapter.b', value: 0.3 }, { value: 1 }] },
        },
      ],
      options: { lambda: 1, normalize: true },
      perLayer: { lambda: [1, 1.5, 2] },
    },
    // mergekit's slerp example: t per filter, each a gradient
    {
      method: 'slerp',
      baseModel: 'b',
      experts: [{ id: 'x', name: 'x', params: {} as ModelParams }],
      options: { t: 0.5 },
      perLayer: {
        t: [
          { filter: 'self_attn', value: [0, 0.5, 0.3, 0.7, 1] },
          { filter: 'mlp', value: [1, 0.5, 0.7, 0.3, 0] },
          { value: 0.5 },
        ],
      },
    },
    // slerp reads no per-model parameter: its expert carries none (not even a weight)
    {
      method: 'slerp',
      baseModel: 'b',
      experts: [{ id: 'x', name: 'x', params: {} as ModelParams }],
      options: { t: 0.35 },
    },
  ];

  it('round-trips: import(export(r)) == r', () => {
    for (const r of recipes) {
      const text = exportMergekitYaml(r, { baseModel: r.baseModel, models: r.experts.map((e) => e.id) });
      const back = importMergekitYaml(text, 'out.yml');
      expect(back.recipe, text).toEqual(r);
      expect(back.dtype).toBe('float32');
      expect(back.warnings).toEqual([]);
    }
  });

  it('writes what mergekit reads: keys, quoting, floats with a dot before the exponent', () => {
    expect(
      exportMergekitYaml(
        recipes[0],
        { baseModel: 'base.safetensors', models: ['experts/a b.safetensors', 'yes'] },
        'bfloat16',
      ),
    ).toBe(
      [
        'merge_method: ties',
        'base_model: base.safetensors',
        'models:',
        '  - model: experts/a b.safetensors',
        '    parameters:',
        '      weight: 0.7',
        '      density: 0.5',
        '  - model: "yes"',
        '    parameters:',
        '      weight: 1.0e-7',
        '      density: 0.25',
        'parameters:',
        '  normalize: false',
        '  lambda: 1.25',
        'dtype: bfloat16',
        '',
      ].join('\n'),
    );
    const perLayer: MergeRecipe = {
      method: 'ties',
      baseModel: 'b',
      experts: [
        {
          id: 'x',
          name: 'x',
          params: { weight: 0.5 },
          perLayer: {
            weight: [
              { filter: 'self_attn', value: [0, 1] },
              { filter: '*', value: 0.5 },
            ],
            density: [0.2, 0.8],
          },
        },
      ],
      options: { lambda: 1 },
      perLayer: { lambda: [1, 2] },
    };
    expect(exportMergekitYaml(perLayer, { baseModel: 'b', models: ['x'] })).toBe(
      [
        'merge_method: ties',
        'base_model: b',
        'models:',
        '  - model: x',
        '    parameters:',
        '      weight:',
        '        - filter: self_attn',
        '          value: [0, 1]',
        '        - filter: "*"',
        '          value: 0.5',
        '      density: [0.2, 0.8]',
        'parameters:',
        '  lambda: [1, 2]',
        'dtype: float32',
        '',
      ].join('\n'),
    );
    expect(yamlNumber(1.5e21)).toBe('1.5e+21');
    expect(yamlNumber(3e-9)).toBe('3.0e-9');
    expect(yamlString('~')).toBe('"~"');
    expect(yamlString('a #b')).toBe('"a #b"');
    expect(yamlString('org/model-1.5')).toBe('org/model-1.5');
  });
});
