/**
 * Telling a software (CPU-emulated) WebGPU adapter from a real GPU. SwiftShader, llvmpipe, lavapipe and WARP run
 * every shader on the CPU, far slower than the CPU backend's own kernels (about 100× on this project's
 * evaluations), so `auto` skips them; `webgpu` still uses them when asked for.
 */

/** What an adapter tells about itself: GPUAdapterInfo's strings and the fallback flag (on the info in current
 * WebGPU, on the adapter in older browsers). */
export interface AdapterFacts {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_RENDERERS: readonly (readonly [RegExp, string])[] = [
  [/swiftshader/i, 'SwiftShader'],
  [/llvmpipe/i, 'llvmpipe'],
  [/lavapipe/i, 'lavapipe'],
  [/microsoft basic render/i, 'WARP (Microsoft Basic Render Driver)'],
  [/\bwarp\b/i, 'WARP'],
];

/** The software renderer this adapter is ('SwiftShader', 'llvmpipe', …), 'a fallback adapter' when it only says
 * isFallbackAdapter, or null for a hardware GPU. */
export function softwareRenderer(facts: AdapterFacts): string | null {
  const text = [facts.vendor, facts.architecture, facts.device, facts.description].filter(Boolean).join(' ');
  for (const [re, name] of SOFTWARE_RENDERERS) if (re.test(text)) return name;
  return facts.isFallbackAdapter ? 'a fallback adapter' : null;
}

/** The facts of a live adapter (GPUAdapterInfo, plus `isFallbackAdapter` wherever this browser keeps it). */
export function adapterFacts(adapter: GPUAdapter): AdapterFacts {
  const info = (adapter as { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const onAdapter = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info?.vendor,
    architecture: info?.architecture,
    device: info?.device,
    description: info?.description,
    isFallbackAdapter: info?.isFallbackAdapter === true || onAdapter === true,
  };
}

/** What `auto` does with the adapter it was offered (null: none), and why, in words a user can act on. */
export type AutoDecision =
  { use: 'webgpu'; reason: string } | { use: 'cpu'; reason: string; software: string | null };

export function decideAuto(facts: AdapterFacts | null): AutoDecision {
  if (!facts) return { use: 'cpu', reason: 'auto: no WebGPU adapter is available', software: null };
  const software = softwareRenderer(facts);
  if (software === null) return { use: 'webgpu', reason: 'auto: a hardware GPU adapter' };
  const reason =
    software === 'a fallback adapter'
      ? 'auto: the only WebGPU adapter is a fallback adapter (slower than the CPU path)'
      : `auto: the only WebGPU adapter is ${software} (a software renderer, slower than the CPU path)`;
  return {
    use: 'cpu',
    reason,
    software,
  };
}
