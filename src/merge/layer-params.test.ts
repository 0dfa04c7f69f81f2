/** Per-layer merge parameters as in mergekit YAML: gradients over the layers and name filters. */
import { describe, expect, it } from 'vitest';
import { identityAdapter, mergeAdapters } from './adapters';
import { checkParamValue, layerCount, layerIndex, layerT, resolveParam, tensorParams } from './layer-params';
import { checkRecipe, recipeTensorParams, type MergeRecipe } from './recipe';

describe('layer parameters', () => {
  it('reads the layer index of HF, USE-lite, GPT-2 names; not of tensors outside the layers', () => {
    expect(layerIndex('model.layers.12.self_attn.q_proj.weight')).toBe(12);
    expect(layerIndex('bert.encoder.layer.3.attention.self.query.weight')).toBe(3);
    expect(layerIndex('encoder.layers.1.ffn.conv1')).toBe(1);
    expect(layerIndex('transformer.h.7.attn.c_attn.weight')).toBe(7);
    expect(layerIndex('hidden_layers.tanh_layer_0')).toBeNull();
    expect(layerIndex('model.embed_tokens.weight')).toBeNull();
    expect(layerCount(['a.layers.0.x', 'a.layers.4.y', 'norm.weight'])).toBe(5);
  });

  it("interpolates a gradient as mergekit's evaluate_setting: t = layer / (layers - 1)", () => {
    const g = [0, 0.5, 1, 0.5, 0];
    // 9 layers: t = i/8, scaled = t·4
    expect(resolveParam(g, 'model.layers.0.mlp.up_proj.weight', 9)).toBe(0);
    expect(resolveParam(g, 'model.layers.1.mlp.up_proj.weight', 9)).toBeCloseTo(0.25, 12);
    expect(resolveParam(g, 'model.layers.4.mlp.up_proj.weight', 9)).toBe(1);
    expect(resolveParam(g, 'model.layers.7.mlp.up_proj.weight', 9)).toBeCloseTo(0.25, 12);
    expect(resolveParam(g, 'model.layers.8.mlp.up_proj.weight', 9)).toBe(0);
    expect(layerT('model.embed_tokens.weight', 9)).toBe(0);
    // mergekit's plan_module reads pre and post weights at t = 0; a single layer at t = 1
    expect(layerT('lm_head.weight', 9)).toBe(0);
    expect(layerT('model.norm.weight', 9)).toBe(0);
    expect(resolveParam([0.2, 0.8], 'model.layers.0.mlp.up_proj.weight', 1)).toBe(0.8);
    expect(layerT('model.layers.0.mlp.up_proj.weight', 1)).toBe(1);
    expect(resolveParam(0.3, 'x', 9)).toBe(0.3);
  });

  it('filters: the first rule whose filter is in the name wins; a rule without filter is the default', () => {
    const v = [{ filter: 'self_attn', value: [0, 1] }, { filter: 'mlp', value: 0.7 }, { value: 0.5 }];
    expect(resolveParam(v, 'model.layers.0.self_attn.k_proj.weight', 3)).toBe(0);
    expect(resolveParam(v, 'model.layers.1.self_attn.k_proj.weight', 3)).toBe(0.5);
    expect(resolveParam(v, 'model.layers.2.self_attn.k_proj.weight', 3)).toBe(1);
    expect(resolveParam(v, 'model.layers.1.mlp.up_proj.weight', 3)).toBe(0.7);
    expect(resolveParam(v, 'model.norm.weight', 3)).toBe(0.5);
    expect(() => resolveParam([{ filter: 'attn', value: 1 }], 'model.norm.weight', 3, 'weight')).toThrow(
      /weight: no rule matches tensor "model.norm.weight".*add a rule without a filter/,
    );
  });

  it('checks the form and names the parameter; the plain number form is unchanged', () => {
    expect(() => checkParamValue('density', 'x')).toThrow(/density: expected a number, a list of numbers/);
    expect(() => checkParamValue('density', [{ filter: 'a', value: 'x' }])).toThrow(/rule 1 value/);
    expect(() => checkParamValue('density', [{ filer: 'a', value: 1 }])).toThrow(/unknown key\(s\) filer/);
    const r: MergeRecipe = {
      method: 'ties',
      baseModel: 'b',
      experts: [
        { id: 'a', name: 'A', params: { weight: 1, density: 0.5 }, perLayer: { density: [0.2, 0.8] } },
      ],
      options: { lambda: 2 },
      perLayer: { lambda: [{ filter: 'mlp', value: 3 }, { value: 1 }] },
    };
    expect(checkRecipe(r)).toBe(r);
    expect(recipeTensorParams(r, 'layers.1.mlp.up', 2)).toEqual({
      models: [{ weight: 1, density: 0.8 }],
      options: { lambda: 3 },
    });
    const bad = { ...r, experts: [{ ...r.experts[0], perLayer: { weight: [] } }] };
    expect(() => checkRecipe(bad)).toThrow(/ties: expert "A" weight: expected a number/);
  });

  it('mergeAdapters applies name filters per adapter tensor', async () => {
    const dim = 3;
    const ex = [0, 1].map((k) => {
      const [w, b] = identityAdapter(dim);
      w.data[1] = 1 + k;
      b.data[0] = 2 + k;
      return {
        name: `A${k}`,
        config: { kind: 'full' as const, rank: 0 },
        weights: new Map([
          [w.name, w],
          [b.name, b],
        ]),
      };
    });
    const r: MergeRecipe = {
      method: 'task_arithmetic',
      baseModel: 'b',
      experts: ex.map((e) => ({
        id: e.name,
        name: e.name,
        params: { weight: 1 },
        perLayer: { weight: [{ filter: 'adapter.b', value: 0 }, { value: 0.5 }] },
      })),
      options: {},
    };
    const out = await mergeAdapters(r, ex, dim);
    expect(out.get('adapter.W')!.data[1]).toBeCloseTo(0.5 * 1 + 0.5 * 2, 6);
    expect(out.get('adapter.b')!.data[0]).toBe(0);
  });

  it('tensorParams: per-tensor parameters of a checkpoint merge, the layer count from the names', () => {
    const names = [
      'model.embed_tokens.weight',
      'model.layers.0.mlp.up.weight',
      'model.layers.2.mlp.up.weight',
      'model.layers.1.self_attn.q.weight',
    ];
    const plain = tensorParams(names, [{ name: 'a', params: { weight: 0.4 } }], { lambda: 1 });
    expect(plain('model.layers.0.mlp.up.weight')).toEqual({
      models: [{ weight: 0.4 }],
      options: { lambda: 1 },
    });
    const p = tensorParams(
      names,
      [
        {
          name: 'a',
          params: { weight: 0.4 },
          perLayer: { weight: [{ filter: 'mlp', value: [0, 1] }, { value: 0.5 }] },
        },
      ],
      { lambda: 1 },
      { lambda: [2, 4] },
    );
    expect(p('model.layers.0.mlp.up.weight')).toEqual({ models: [{ weight: 0 }], options: { lambda: 2 } });
    expect(p('model.layers.2.mlp.up.weight')).toEqual({ models: [{ weight: 1 }], options: { lambda: 4 } });
    expect(p('model.layers.1.self_attn.q.weight')).toEqual({
      models: [{ weight: 0.5 }],
      options: { lambda: 3 },
    });
    expect(p('model.embed_tokens.weight')).toEqual({ models: [{ weight: 0.5 }], options: { lambda: 2 } });
  });
});
