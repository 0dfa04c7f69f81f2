import { describe, expect, it } from 'vitest';
import { parseConfig, type DecoderConfig } from './config';
import { defaultInvFreq, ropeScalingOptions } from './rope-scaling';

// Expected values worked by hand from the formulas (theta = 10000, so inv = 10000^(-2i/r) = 1, 0.01 at r = 4
// and 1, 0.1, 0.01, 0.001 at r = 8); compared at f32 precision.
const close = (got: Float32Array | undefined, want: number[]) => {
  expect(got).toBeDefined();
  expect(got!.length).toBe(want.length);
  want.forEach((w, i) => expect(got![i]).toBeCloseTo(w, 6 - Math.max(0, Math.floor(Math.log10(w)))));
};

describe('rope_scaling -> invFreq / mscale', () => {
  it('default: theta^(-2i/r), and no options (the kernel derives them)', () => {
    close(defaultInvFreq(10000, 8), [1, 0.1, 0.01, 0.001]);
    expect(ropeScalingOptions({ type: 'default' }, 10000, 8, 5)).toEqual({});
  });

  it('linear divides every frequency by the factor', () => {
    const o = ropeScalingOptions({ type: 'linear', factor: 4 }, 10000, 4, 3);
    close(o.invFreq, [0.25, 0.0025]);
    expect(o.mscale).toBeUndefined();
  });

  it('dynamic NTK: theta grows only past the original context', () => {
    const s = { type: 'dynamic', factor: 2, originalMax: 10 } as const;
    expect(ropeScalingOptions(s, 10000, 4, 10)).toEqual({});
    // theta' = 10000 * (2 * 20 / 10 - 1)^(4 / 2) = 90000: inv = 1, 1 / 300
    close(ropeScalingOptions(s, 10000, 4, 20).invFreq, [1, 1 / 300]);
  });

  it('llama3: short wavelengths kept, long ones divided by the factor, the band between blended', () => {
    const s = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMax: 100 } as const;
    // wavelengths 2π/inv: 6.28 (< 25 kept), 62.8 (between 25 and 100), 628 and 6283 (> 100: / 8).
    // smooth = (100 / 62.83 - 1) / 3 = 0.197183; 0.1 * ((1 - smooth) / 8 + smooth) = 0.0297535
    close(ropeScalingOptions(s, 10000, 8, 4).invFreq, [1, 0.0297535, 0.00125, 0.000125]);
  });

  it('longrope: short factors within the original context, long beyond; mscale always', () => {
    const s = {
      type: 'longrope',
      shortFactor: [1, 2],
      longFactor: [4, 8],
      originalMax: 16,
      attentionFactor: Math.sqrt(1.5),
    } as const;
    const short = ropeScalingOptions(s, 10000, 4, 16);
    close(short.invFreq, [1, 0.005]);
    expect(short.mscale).toBeCloseTo(1.2247449, 7);
    const long = ropeScalingOptions(s, 10000, 4, 17);
    close(long.invFreq, [0.25, 0.00125]);
    expect(long.mscale).toBeCloseTo(1.2247449, 7);
  });

  it("phi3's config: attention factor sqrt(1 + ln(max / original) / ln(original))", () => {
    const c = parseConfig({
      model_type: 'phi3',
      hidden_size: 32,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      intermediate_size: 16,
      vocab_size: 10,
      max_position_embeddings: 64,
      original_max_position_embeddings: 16,
      partial_rotary_factor: 0.5,
      rope_scaling: { type: 'longrope', short_factor: [1, 1.5], long_factor: [3, 5] },
    }) as DecoderConfig;
    expect(c.rotaryDim).toBe(4);
    // factor 64 / 16 = 4: sqrt(1 + ln 4 / ln 16) = sqrt(1.5)
    expect(c.ropeScaling).toMatchObject({ type: 'longrope', originalMax: 16 });
    expect((c.ropeScaling as { attentionFactor: number }).attentionFactor).toBeCloseTo(Math.sqrt(1.5), 12);
  });
});
