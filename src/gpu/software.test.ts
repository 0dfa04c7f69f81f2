import { describe, expect, it } from 'vitest';
import { decideAuto, softwareRenderer, type AdapterFacts } from './software';

// adapter infos as implementations report them (Dawn's SwiftShader in Node, as read on this machine)
const swiftshader: AdapterFacts = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: 'swiftshader-device-subzero-',
  description: 'SwiftShader driver 5.0.0',
  isFallbackAdapter: true,
};
const llvmpipe: AdapterFacts = {
  vendor: 'mesa',
  architecture: '',
  description: 'llvmpipe (LLVM 15.0.7, 256 bits)',
};
const lavapipe: AdapterFacts = { vendor: 'mesa', description: 'Vulkan: lavapipe' };
const warp: AdapterFacts = { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' };
const nvidia: AdapterFacts = {
  vendor: 'nvidia',
  architecture: 'hopper',
  device: '',
  description: 'NVIDIA H200',
  isFallbackAdapter: false,
};

describe('software adapters', () => {
  it('names SwiftShader, llvmpipe, lavapipe and WARP from any info field, and a bare fallback flag', () => {
    expect(softwareRenderer(swiftshader)).toBe('SwiftShader');
    expect(softwareRenderer({ architecture: 'swiftshader' })).toBe('SwiftShader');
    expect(softwareRenderer(llvmpipe)).toBe('llvmpipe');
    expect(softwareRenderer(lavapipe)).toBe('lavapipe');
    expect(softwareRenderer(warp)).toBe('WARP (Microsoft Basic Render Driver)');
    expect(softwareRenderer({ vendor: 'microsoft', architecture: 'warp' })).toBe('WARP');
    expect(softwareRenderer({ vendor: 'acme', isFallbackAdapter: true })).toBe('a fallback adapter');
    expect(softwareRenderer(nvidia)).toBeNull();
    expect(softwareRenderer({ vendor: 'apple', architecture: 'metal-3' })).toBeNull();
    expect(
      softwareRenderer({ vendor: 'intel', description: 'Intel(R) Arc(TM) Graphics (Warpath)' }),
    ).toBeNull();
  });

  it('auto takes a hardware GPU, and the CPU over a software one or none, saying why', () => {
    expect(decideAuto(nvidia)).toEqual({ use: 'webgpu', reason: 'auto: a hardware GPU adapter' });
    expect(decideAuto(swiftshader)).toEqual({
      use: 'cpu',
      reason: 'auto: the only WebGPU adapter is SwiftShader (a software renderer, slower than the CPU path)',
      software: 'SwiftShader',
    });
    expect(decideAuto(llvmpipe)).toMatchObject({ use: 'cpu', software: 'llvmpipe' });
    expect(decideAuto(warp)).toMatchObject({ use: 'cpu', software: 'WARP (Microsoft Basic Render Driver)' });
    expect(decideAuto({ isFallbackAdapter: true })).toMatchObject({
      use: 'cpu',
      reason: expect.stringMatching(/fallback adapter/),
    });
    expect(decideAuto(null)).toEqual({
      use: 'cpu',
      reason: 'auto: no WebGPU adapter is available',
      software: null,
    });
  });
});
