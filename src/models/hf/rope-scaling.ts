/**
 * config.json's rope_scaling -> the rope kernel's per-pair inverse frequencies and cos/sin multiplier
 * (RopeOptions.invFreq / mscale), the math of Hugging Face transformers' modeling_rope_utils, in float32
 * steps as torch computes them:
 * - default: inv[i] = 1 / theta^(2i/r)
 * - linear: inv / factor
 * - dynamic (NTK): for inputs spanning more than originalMax positions (HF: max_position_embeddings),
 *   theta' = theta * (factor * len / originalMax - (factor - 1))^(r / (r - 2)); else the default
 * - llama3: wavelengths 2π/inv longer than originalMax/lowFreqFactor divided by factor, shorter than
 *   originalMax/highFreqFactor kept, the band between blended by (originalMax/wavelen - low) / (high - low)
 * - longrope (Phi-3): inv[i] = 1 / (ext[i] * theta^(2i/r)), ext = shortFactor while the input spans at most
 *   originalMax positions, longFactor beyond; mscale = attentionFactor (applied to short and long alike)
 * `positions` is the number of positions the input spans (a KV cache's length + the new tokens), as HF's
 * max(position_ids) + 1.
 */
import type { RopeOptions } from '../../core/transformer-ops';
import type { RopeScaling } from './config';

const f = Math.fround;

/** 1 / theta^(2i/r) per pair, as torch's float32 `1.0 / (base ** (arange(0, r, 2).float() / r))` */
export function defaultInvFreq(theta: number, r: number): Float32Array {
  const out = new Float32Array(r / 2);
  for (let i = 0; i < r / 2; i++) out[i] = f(1 / f(Math.pow(theta, f((2 * i) / r))));
  return out;
}

/** invFreq / mscale for rope at this input span; {} when the plain theta frequencies apply */
export function ropeScalingOptions(
  s: RopeScaling,
  theta: number,
  rotaryDim: number,
  positions: number,
): Pick<RopeOptions, 'invFreq' | 'mscale'> {
  const r = rotaryDim;
  switch (s.type) {
    case 'default':
      return {};
    case 'linear':
      return { invFreq: defaultInvFreq(theta, r).map((v) => f(v / s.factor)) };
    case 'dynamic': {
      if (positions <= s.originalMax) return {};
      const base = theta * Math.pow((s.factor * positions) / s.originalMax - (s.factor - 1), r / (r - 2));
      return { invFreq: defaultInvFreq(base, r) };
    }
    case 'llama3': {
      const inv = defaultInvFreq(theta, r);
      const lowWavelen = s.originalMax / s.lowFreqFactor;
      const highWavelen = s.originalMax / s.highFreqFactor;
      return {
        invFreq: inv.map((v) => {
          const wavelen = f((2 * Math.PI) / v);
          if (wavelen > lowWavelen) return f(v / s.factor);
          if (wavelen < highWavelen) return v;
          const smooth = f(
            f(f(s.originalMax / wavelen) - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor),
          );
          return f(f(f((1 - smooth) * v) / s.factor) + f(smooth * v));
        }),
      };
    }
    case 'longrope': {
      const ext = positions > s.originalMax ? s.longFactor : s.shortFactor;
      const invFreq = new Float32Array(r / 2);
      for (let i = 0; i < r / 2; i++) invFreq[i] = f(1 / f(f(ext[i]) * f(Math.pow(theta, f((2 * i) / r)))));
      return { invFreq, mscale: s.attentionFactor };
    }
  }
}
