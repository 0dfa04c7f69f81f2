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
      /^m\/config\.json: model_type "gpt2" is not supported \(supported: bert, .*llama\)/,
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
      /rope_scaling "llama3" is not supported/,
    );
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
