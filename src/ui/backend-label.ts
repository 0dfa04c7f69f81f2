/** The header's words for the active compute backend: what it is, a short why, and the full reason for its
 * tooltip (with how to force WebGPU when 'auto' passed over a software renderer). */
import { softwareRenderer } from '../gpu/software';
import type { BackendInfo } from '../worker/protocol';

export interface BackendLabel {
  text: string;
  title: string;
}

export function backendLabel(info: BackendInfo | null, notice: string | null): BackendLabel {
  if (!info) return { text: 'Backend starts with the first dense run', title: notice ?? '' };
  const kind = info.kind === 'webgpu' ? 'WebGPU' : 'CPU';
  let why = '';
  if (info.pref === 'auto')
    why = info.skipped
      ? `auto: ${info.skipped} is a software GPU`
      : info.kind === 'cpu'
        ? 'auto: no usable WebGPU'
        : 'auto';
  else if (info.kind === 'webgpu' && softwareRenderer({ description: info.label }))
    why = 'software renderer, slow';
  const hint = info.skipped ? '; choose WebGPU in the backend menu to use it anyway' : '';
  return {
    // "CPU (JS + WASM SIMD)" names its kind already
    text: `${info.label.startsWith(kind) ? info.label : `${kind} · ${info.label}`}${why ? ` (${why})` : ''}`,
    title: [info.reason + hint, notice].filter(Boolean).join('\n'),
  };
}
