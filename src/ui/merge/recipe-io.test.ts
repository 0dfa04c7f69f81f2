import { describe, expect, it } from 'vitest';
import type { MergeRecipe } from '../../merge/recipe';
import { adapterExpertRecord } from '../../testing/expert-record';
import { importRecipeYaml, recipeFileName, recipeYaml } from './recipe-io';

const experts = [
  adapterExpertRecord({ id: 'x-med', name: 'Med-Real', baseModel: 'use-lite' }),
  adapterExpertRecord({ id: 'x-gen', name: 'General-Synth', baseModel: 'use-lite' }),
  adapterExpertRecord({ id: 'x-glove', name: 'over glove', baseModel: 'glove' }),
  adapterExpertRecord({ id: 'x-lora', name: 'a LoRA', baseModel: 'use-lite', method: 'lora' }),
];

const recipe: MergeRecipe = {
  method: 'ties',
  baseModel: 'use-lite',
  experts: [
    { id: 'x-med', name: 'Med-Real', params: { weight: 0.7, density: 0.4 } },
    { id: 'x-gen', name: 'General-Synth', params: { weight: 0.3, density: 0.9 } },
  ],
  options: { lambda: 1.2, normalize: false },
};

const yaml = (models: string, base = 'use-lite') =>
  `merge_method: ties\nbase_model: ${base}\nmodels:\n${models}parameters:\n  lambda: 1\ndtype: float32\n`;
const model = (m: string, w = 0.5) =>
  `  - model: ${m}\n    parameters:\n      weight: ${w}\n      density: 0.5\n`;

describe('mergekit YAML in the Merge panel', () => {
  it('exports with the experts names and the base model id, and reads it back to the same recipe', () => {
    const text = recipeYaml(recipe, experts);
    expect(text).toContain('merge_method: ties\nbase_model: use-lite\nmodels:\n  - model: Med-Real\n');
    expect(text).toContain('  - model: General-Synth\n');
    expect(recipeFileName(recipe)).toBe('ties-Med-Real+General-Synth.yml');
    const back = importRecipeYaml(text, 'r.yml', experts);
    expect(back).toEqual({ ok: true, recipe, warnings: [] });
  });

  it('writes the id when two experts share a name, so the import finds the right one', () => {
    const twins = [
      ...experts,
      adapterExpertRecord({ id: 'x-med2', name: 'Med-Real', baseModel: 'use-lite' }),
    ];
    const text = recipeYaml(recipe, twins);
    expect(text).toContain('  - model: x-med\n');
    const back = importRecipeYaml(text, 'r.yml', twins);
    expect(back.ok && back.recipe.experts.map((e) => e.id)).toEqual(['x-med', 'x-gen']);
    // by name the two are ambiguous: a clear message, with the ids to write instead
    const amb = importRecipeYaml(yaml(model('Med-Real') + model('x-gen')), 'amb.yml', twins);
    expect(amb.ok).toBe(false);
    expect(!amb.ok && amb.error).toMatch(
      /^amb\.yml:4: model "Med-Real" names 2 stored experts .*\(x-med, x-med2\)/,
    );
  });

  it('matches case-sensitively first, then case-insensitively, by name or id', () => {
    const cased = [...experts, adapterExpertRecord({ id: 'x-MED', name: 'med-real', baseModel: 'use-lite' })];
    const exact = importRecipeYaml(yaml(model('med-real') + model('X-GEN')), 'c.yml', cased);
    expect(exact.ok && exact.recipe.experts.map((e) => [e.id, e.name])).toEqual([
      ['x-MED', 'med-real'],
      ['x-gen', 'General-Synth'],
    ]);
    const loose = importRecipeYaml(yaml(model('MED-REAL') + model('general-synth')), 'c.yml', experts);
    expect(loose.ok && loose.recipe.experts.map((e) => e.id)).toEqual(['x-med', 'x-gen']);
    expect(loose.ok && loose.recipe.experts[0].params).toEqual({ weight: 0.5, density: 0.5 });
  });

  it('names the file, line and model of an unknown model, another base, a mix of methods, a parse error', () => {
    const unknown = importRecipeYaml(yaml(model('Med-Real') + model('Nobody')), 'u.yml', experts);
    expect(!unknown.ok && unknown.error).toMatch(/^u\.yml:8: model "Nobody" is not a stored expert/);
    expect(!unknown.ok && unknown.error).toContain('Nothing was changed.');
    const base = importRecipeYaml(
      yaml(model('Med-Real') + model('General-Synth'), 'glove'),
      'b.yml',
      experts,
    );
    expect(!base.ok && base.error).toMatch(
      /^b\.yml:2: base_model "glove" is not the base of the experts \(Med-Real is over "use-lite"\)/,
    );
    const mixed = importRecipeYaml(yaml(model('Med-Real') + model('a LoRA')), 'm.yml', experts);
    expect(!mixed.ok && mixed.error).toMatch(
      /^m\.yml:8: model "a LoRA" \(lora over use-lite\) cannot be merged/,
    );
    const twice = importRecipeYaml(yaml(model('Med-Real') + model('med-real')), 't.yml', experts);
    expect(!twice.ok && twice.error).toMatch(/^t\.yml:8: expert "Med-Real" is listed twice/);
    const bad = importRecipeYaml('merge_method: ties\nbase_model: use-lite\nmodelz: []\n', 'p.yml', experts);
    expect(!bad.ok && bad.error).toMatch(/^p\.yml:3: .*modelz/);
    const noWeight = importRecipeYaml(
      'merge_method: ties\nbase_model: use-lite\nmodels:\n  - model: Med-Real\n',
      'w.yml',
      experts,
    );
    expect(!noWeight.ok && noWeight.error).toMatch(/^w\.yml:4: model "Med-Real" has no "weight"/);
  });

  it('warns that per-layer values go on the sliders as plain values (a gradient: its first point)', () => {
    const r = importRecipeYaml(
      yaml(model('Med-Real') + '  - model: General-Synth\n    parameters:\n      weight: [0, 1]\n'),
      'g.yml',
      experts,
    );
    expect(r.ok && r.warnings.join('\n')).toMatch(/g\.yml: per-layer values .* plain value/);
    expect(r.ok && r.recipe.experts[1].params.weight).toBe(0); // a gradient's first point
  });
});
