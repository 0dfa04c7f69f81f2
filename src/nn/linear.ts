/** The plain Linear source: y = x·W + b from a model's uploaded (frozen) weights. */
import type { Backend, Tensor } from '../core/backend';
import type { Linear, LinearCall } from './ops';

/** A linear's weight and optional bias on a backend. layout 'kn': w is [in, out] (TF); 'nk': [out, in] (PyTorch). */
export interface LinearWeights {
  readonly w: Tensor;
  readonly b: Tensor | null;
}

/** dx = dy·Wᵀ for y = x·W ('kn'), dy·W for y = x·Wᵀ ('nk'): linear over W read in the other layout, so an
 * f16 or q8 weight (backend.tensorF16 / tensorQ8) passes dx back as an f32 one does */
function linearDx(be: Backend, w: Tensor, dy: Tensor, layout: 'kn' | 'nk'): Tensor {
  return be.linear(dy, w, null, layout === 'kn' ? 'nk' : 'kn');
}

/** Frozen weights: the backward only passes dx through. `weights` throws for an unknown path. */
export function plainLinear(layout: 'kn' | 'nk', weights: (path: string) => LinearWeights): Linear {
  return {
    forward: (be, x, path) => {
      const p = weights(path);
      return be.linear(x, p.w, p.b, layout);
    },
    record: (be, x, path): LinearCall => {
      const p = weights(path);
      return {
        y: be.linear(x, p.w, p.b, layout),
        trainable: false,
        backward: (dy, needDx) => (needDx ? linearDx(be, p.w, dy, layout) : null),
        release: () => {},
      };
    },
  };
}
