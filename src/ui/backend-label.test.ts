import { describe, expect, it } from 'vitest';
import { backendLabel } from './backend-label';

describe("the header's backend label", () => {
  it("says what 'auto' took and why, with the full reason and how to force WebGPU in the tooltip", () => {
    const label = backendLabel(
      {
        kind: 'cpu',
        label: 'CPU (JS + WASM SIMD)',
        pref: 'auto',
        reason:
          'auto: the only WebGPU adapter is SwiftShader (a software renderer, slower than the CPU path)',
        skipped: 'SwiftShader',
      },
      null,
    );
    expect(label).toEqual({
      text: 'CPU (JS + WASM SIMD) (auto: SwiftShader is a software GPU)',
      title:
        'auto: the only WebGPU adapter is SwiftShader (a software renderer, slower than the CPU path); choose WebGPU in the backend menu to use it anyway',
    });
  });

  it('marks WebGPU chosen on a software renderer, and keeps a notice in the tooltip', () => {
    const label = backendLabel(
      {
        kind: 'webgpu',
        label: 'SwiftShader Device (Subzero) / google / swiftshader',
        pref: 'webgpu',
        reason: 'webgpu: as asked, on SwiftShader (a software renderer, slower than the CPU path)',
        skipped: null,
      },
      'WebGPU device lost (unknown): x; acquired a new device.',
    );
    expect(label.text).toBe(
      'WebGPU · SwiftShader Device (Subzero) / google / swiftshader (software renderer, slow)',
    );
    expect(label.title).toBe(
      'webgpu: as asked, on SwiftShader (a software renderer, slower than the CPU path)\nWebGPU device lost (unknown): x; acquired a new device.',
    );
    const hw = backendLabel(
      {
        kind: 'webgpu',
        label: 'NVIDIA H200',
        pref: 'auto',
        reason: 'auto: a hardware GPU adapter',
        skipped: null,
      },
      null,
    );
    expect(hw.text).toBe('WebGPU · NVIDIA H200 (auto)');
    expect(backendLabel(null, null).text).toBe('Backend starts with the first dense run');
  });
});
