/** The inference op context: each op is one Backend call, `free` disposes at once. */
import type { Backend } from '../core/backend';
import type { Linear, Ops } from './ops';

export function inferenceOps(be: Backend, lin: Linear): Ops {
  return {
    backend: be,
    input: (data, shape) => be.tensor(data, shape),
    gather: (table, ids) => be.gather(table, ids),
    linear: (x, path) => lin.forward(be, x, path),
    layerNorm: (x, gamma, beta, eps) => be.layerNorm(x, gamma, beta, eps),
    rmsNorm: (x, gamma, eps, opts) => be.rmsNorm(x, gamma, eps, opts),
    activation: (x, kind) => be.activation(x, kind),
    swiglu: (gate, up) => be.swiglu(gate, up),
    attention: (q, k, v, mask, opts) => be.attention(q, k, v, mask, opts),
    rope: (x, opts) => be.rope(x, opts),
    add: (a, b) => be.add(a, b),
    mul: (a, b) => be.mul(a, b),
    slice: (x, axis, start, len) => be.slice(x, axis, start, len),
    scale: (x, s) => be.scale(x, s),
    addPositional: (x, pos) => be.addPositional(x, pos),
    reshape: (x, shape) => be.reshape(x, shape),
    maskedMeanPool: (x, mask) => be.maskedMeanPool(x, mask),
    pool: (x, mask, mode) => be.pool(x, mask, mode),
    l2Normalize: (x) => be.l2Normalize(x),
    free: (...ts) => be.dispose(...ts),
  };
}
