import { describe, expect, it } from 'vitest';
import { hfTargetModules } from './target-modules';

describe('hfTargetModules: row-slice patterns', () => {
  it("adds the fused module PEFT has on Phi-3 for a slice's name, and says so", () => {
    expect(
      hfTargetModules('microsoft/Phi-4-mini-instruct', ['q_proj', 'self_attn.v_proj', 'o_proj']),
    ).toEqual({
      targetModules: ['q_proj', 'self_attn.v_proj', 'o_proj', 'qkv_proj', 'self_attn.qkv_proj'],
      dropped: [],
      fused: ['q_proj -> qkv_proj', 'self_attn.v_proj -> self_attn.qkv_proj'],
    });
    expect(hfTargetModules('x', ['qkv_proj', 'down_proj'])).toEqual({
      targetModules: ['qkv_proj', 'down_proj'],
      dropped: [],
      fused: [],
    });
    expect(hfTargetModules('x', 'all-linear').fused).toEqual([]);
  });
});
