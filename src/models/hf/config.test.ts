import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { ConfigError, parseConfig } from './config';

const tiny = (name: string) => readFileSync(join(TINY_MODELS_DIR, name, 'config.json'), 'utf8');
const DEC = {
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 128,
  vocab_size: 100,
};

describe('HF config.json', () => {
  it('reads the tiny BERT and Qwen3 configs', () => {
    expect(parseConfig(tiny('tiny-bert'))).toMatchObject({
      family: 'bert',
      hidden: 32,
      layers: 2,
      heads: 4,
      intermediate: 64,
      act: 'gelu',
      eps: 1e-12,
      positionOffset: 0,
      typeVocabSize: 2,
    });
    expect(parseConfig(tiny('tiny-qwen3'))).toMatchObject({
      family: 'decoder',
      modelType: 'qwen3',
      headDim: 8,
      kvHeads: 2,
      qkNorm: true,
      qkvBias: false,
      oBias: false,
      eosTokenIds: [302],
    });
  });

  it('reads the tiny Gemma 2 and Phi-3 configs', () => {
    expect(parseConfig(tiny('tiny-gemma2'))).toMatchObject({
      modelType: 'gemma2',
      attnScale: 1 / Math.sqrt(12),
      attnSoftcap: 1.5,
      finalSoftcap: 2.5,
      layerWindows: [4, null, 4],
      sandwichNorms: true,
    });
    expect(parseConfig(tiny('tiny-phi3'))).toMatchObject({
      modelType: 'phi3',
      rotaryDim: 4,
      fusedProjections: true,
      tieWordEmbeddings: false,
      ropeScaling: { type: 'longrope', shortFactor: [1, 1.7], longFactor: [2.5, 6], originalMax: 16 },
    });
  });

  it('distinguishes qwen2 (q/k/v biases), llama (none, or all with attention_bias) and qwen3 (q/k norms)', () => {
    const q2 = parseConfig({ ...DEC, model_type: 'qwen2', eos_token_id: [5, 6] });
    expect(q2).toMatchObject({
      qkvBias: true,
      oBias: false,
      qkNorm: false,
      headDim: 16,
      eosTokenIds: [5, 6],
      ropeTheta: 10000,
    });
    expect(parseConfig({ ...DEC, model_type: 'llama', rope_theta: 500000 })).toMatchObject({
      qkvBias: false,
      oBias: false,
      qkNorm: false,
      ropeTheta: 500000,
    });
    expect(parseConfig({ ...DEC, model_type: 'llama', attention_bias: true })).toMatchObject({
      qkvBias: true,
      oBias: true,
    });
    expect(parseConfig({ ...DEC, model_type: 'qwen3', head_dim: 32 })).toMatchObject({
      headDim: 32,
      qkNorm: true,
    });
    expect(parseConfig({ ...DEC, model_type: 'llama', num_key_value_heads: undefined })).toMatchObject({
      kvHeads: 4,
    });
  });

  it('reads RoBERTa positions as starting after the padding index', () => {
    const c = parseConfig({
      model_type: 'roberta',
      hidden_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 16,
      vocab_size: 50,
      pad_token_id: 1,
      max_position_embeddings: 514,
    });
    expect(c).toMatchObject({ family: 'bert', positionOffset: 2, maxPositions: 514 });
  });

  it('reads gemma: (1 + w) norms, sqrt(hidden) embeddings, GeGLU, head_dim, tied by default', () => {
    expect(parseConfig({ ...DEC, model_type: 'gemma', head_dim: 24 })).toMatchObject({
      modelType: 'gemma',
      headDim: 24,
      rotaryDim: 24,
      normAddOne: true,
      embedScale: Math.fround(8),
      mlpAct: 'gelu_tanh',
      attnScale: 1 / Math.sqrt(24),
      tieWordEmbeddings: true,
      sandwichNorms: false,
      attnSoftcap: null,
      finalSoftcap: null,
      layerWindows: [null, null],
      fusedProjections: false,
      ropeScaling: { type: 'default' },
    });
    // sqrt(48) is not an f32: HF rounds the normalizer to the weights' dtype
    const c = parseConfig({ ...DEC, hidden_size: 48, model_type: 'gemma', head_dim: 8 });
    expect((c as { embedScale: number }).embedScale).toBe(Math.fround(Math.sqrt(48)));
  });

  it('reads gemma2: query_pre_attn_scalar, soft-capping, sandwich norms, sliding windows on even layers', () => {
    const g2 = {
      ...DEC,
      num_hidden_layers: 3,
      model_type: 'gemma2',
      head_dim: 16,
      query_pre_attn_scalar: 24,
      attn_logit_softcapping: 20,
      final_logit_softcapping: 15,
      sliding_window: 5,
      max_position_embeddings: 64,
    };
    expect(parseConfig(g2)).toMatchObject({
      attnScale: 1 / Math.sqrt(24),
      attnSoftcap: 20,
      finalSoftcap: 15,
      sandwichNorms: true,
      normAddOne: true,
      layerWindows: [5, null, 5],
    });
    expect(
      parseConfig({ ...g2, layer_types: ['full_attention', 'sliding_attention', 'full_attention'] }),
    ).toMatchObject({ layerWindows: [null, 5, null] });
    expect(parseConfig({ ...g2, attn_logit_softcapping: null })).toMatchObject({ attnSoftcap: null });
  });

  it('reads phi3: fused projections, partial rotary, longrope, rope_scaling types for llama/qwen', () => {
    expect(
      parseConfig({ ...DEC, model_type: 'phi3', partial_rotary_factor: 0.75, sliding_window: 2047 }),
    ).toMatchObject({
      fusedProjections: true,
      headDim: 16,
      rotaryDim: 12,
      eps: 1e-5,
      layerWindows: [2047, 2047], // every layer (max_position_embeddings 4096 by default)
    });
    // a window covering max_position_embeddings hides nothing (Phi-4-mini's 262144)
    expect(parseConfig({ ...DEC, model_type: 'phi3', sliding_window: 262144 })).toMatchObject({
      layerWindows: [null, null],
    });
    expect(
      parseConfig({ ...DEC, model_type: 'llama', rope_scaling: { rope_type: 'linear', factor: 2 } }),
    ).toMatchObject({ ropeScaling: { type: 'linear', factor: 2 } });
    expect(
      parseConfig({
        ...DEC,
        model_type: 'llama',
        rope_scaling: {
          rope_type: 'llama3',
          factor: 8,
          low_freq_factor: 1,
          high_freq_factor: 4,
          original_max_position_embeddings: 8192,
        },
      }),
    ).toMatchObject({ ropeScaling: { type: 'llama3', originalMax: 8192, lowFreqFactor: 1 } });
    expect(
      parseConfig({
        ...DEC,
        model_type: 'qwen2',
        max_position_embeddings: 100,
        rope_scaling: { type: 'dynamic', factor: 2 },
      }),
    ).toMatchObject({ ropeScaling: { type: 'dynamic', factor: 2, originalMax: 100 } });
  });

  it('rejects unsupported types and missing or invalid fields, naming the file', () => {
    const err = (c: unknown) => {
      try {
        parseConfig(c, 'm/config.json');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(err({ ...DEC, model_type: 'gpt2' })).toMatch(
      /^m\/config\.json: model_type "gpt2" is not supported \(supported: bert, .*llama, gemma, gemma2, phi3\)/,
    );
    expect(err({ ...DEC })).toMatch(/missing "model_type"/);
    expect(err({ ...DEC, model_type: 'qwen2', intermediate_size: undefined })).toMatch(
      /missing required field "intermediate_size"/,
    );
    expect(err({ ...DEC, model_type: 'qwen2', hidden_size: '64' })).toMatch(
      /"hidden_size" must be an integer >= 1, got "64"/,
    );
    expect(err({ ...DEC, model_type: 'qwen2', num_key_value_heads: 3 })).toMatch(
      /not a multiple of num_key_value_heads 3/,
    );
    expect(err({ ...DEC, model_type: 'llama', rope_scaling: { rope_type: 'llama3', factor: 8 } })).toMatch(
      /rope_scaling\.low_freq_factor must be a positive number, got undefined/,
    );
    expect(err({ ...DEC, model_type: 'qwen2', rope_scaling: { type: 'yarn', factor: 4 } })).toMatch(
      /rope_scaling type "yarn" is not supported for qwen2 \(supported: default, linear, dynamic, llama3, longrope\)/,
    );
    expect(err({ ...DEC, model_type: 'gemma', rope_scaling: { type: 'linear', factor: 4 } })).toMatch(
      /rope_scaling type "linear" is not supported for gemma/,
    );
    expect(err({ ...DEC, model_type: 'gemma2', hidden_activation: 'silu' })).toMatch(
      /hidden_activation "silu" is not supported for gemma2/,
    );
    expect(err({ ...DEC, model_type: 'gemma2', layer_types: ['full_attention'] })).toMatch(
      /"layer_types" must list 2 entries/,
    );
    expect(err({ ...DEC, model_type: 'phi3', partial_rotary_factor: 0.1 })).toMatch(
      /partial_rotary_factor 0.1 gives 1 rotary dims of 16: must be even/,
    );
    expect(
      err({
        ...DEC,
        model_type: 'phi3',
        rope_scaling: { type: 'longrope', short_factor: [1], long_factor: [1] },
      }),
    ).toMatch(/rope_scaling\.short_factor must list 8 positive numbers \(rotary dims \/ 2\), got 1 entries/);
    expect(err({ ...DEC, model_type: 'llama', hidden_act: 'gelu' })).toMatch(
      /hidden_act "gelu" is not supported for llama/,
    );
    expect(
      err({
        model_type: 'bert',
        hidden_size: 10,
        num_hidden_layers: 1,
        num_attention_heads: 3,
        intermediate_size: 4,
        vocab_size: 9,
      }),
    ).toMatch(/not divisible/);
    expect(
      err({
        model_type: 'bert',
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 4,
        vocab_size: 9,
        hidden_act: 'mish',
      }),
    ).toMatch(/"hidden_act" "mish" is not supported/);
    expect(
      err({
        model_type: 'bert',
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 4,
        vocab_size: 9,
        position_embedding_type: 'relative_key',
      }),
    ).toMatch(/position_embedding_type "relative_key"/);
    expect(err('{"model_type": ')).toMatch(/not valid JSON/);
    expect(err('[1]')).toMatch(/not a JSON object/);
  });
});
