import { describe, expect, it, vi } from 'vitest';
import type { Backend, Tensor } from '../core/backend';
import { createCpuBackend } from '../gpu/cpu';
import { randomF32 } from '../testing/backends';
import { trackAllocations, weightedSum } from '../testing/lora-fixture';
import { inferenceOps } from './inference';
import type { Linear, Ops } from './ops';
import { Tape } from './tape';

/** one trainable linear 'w' (y = x·W, 'kn'), its dW accumulated into `grad` */
function trainable(W: Tensor, grad: Tensor): Linear {
  return {
    forward: (be, x) => be.matmul(x, W),
    record: (be, x) => ({
      y: be.matmul(x, W),
      trainable: true,
      backward: (dy, needDx) => {
        const g = be.linearBackward(x, W, dy, 'kn', needDx);
        be.addInPlace(grad, g.dw, 1);
        be.dispose(g.dw, g.db);
        return g.dx;
      },
      release: () => {},
    }),
  };
}

/** a frozen layer norm, the trainable linear, then a tensor with two consumers and an L2 norm */
function forward(ops: Ops, x: Float32Array, gamma: Tensor): Tensor {
  const xin = ops.input(x, [4, 6]);
  const h = ops.layerNorm(xin, gamma, null, 1e-5);
  ops.free(xin);
  const q = ops.linear(h, 'w');
  ops.free(h);
  const r = ops.activation(q, 'tanh');
  const s = ops.add(q, r);
  ops.free(q, r);
  const v = ops.reshape(s, [2, 10]);
  const n = ops.l2Normalize(v);
  ops.free(v);
  return n;
}

/** the fused-projection ops: the trainable linear's output split by slice, a GeGLU-style mul, a (1 + g) norm */
function fusedForward(ops: Ops, x: Float32Array, gamma: Tensor): Tensor {
  const xin = ops.input(x, [4, 6]);
  const y = ops.linear(xin, 'w'); // [4, 5]
  ops.free(xin);
  const a = ops.slice(y, 1, 0, 2);
  const b = ops.slice(y, 1, 2, 2);
  const c = ops.slice(y, 1, 3, 2); // overlaps b: two gradient contributions to column 3
  ops.free(y);
  const ga = ops.activation(a, 'gelu_tanh');
  const ab = ops.mul(ga, b);
  const sum = ops.add(ab, c);
  ops.free(a, b, c, ga, ab);
  const n = ops.rmsNorm(sum, gamma, 1e-6, { addOne: true });
  ops.free(sum);
  return n;
}

describe('Tape (recording op context)', () => {
  it('slice, mul and rmsNorm addOne: gradients match finite differences', async () => {
    const be: Backend = createCpuBackend();
    const x = randomF32(24, 5);
    const gamma = be.tensor(randomF32(2, 6, -0.3, 0.3), [2]);
    const w = randomF32(30, 7);
    const W = be.tensor(w, [6, 5]);
    const grad = be.tensor(new Float32Array(30), [6, 5]);
    const R = randomF32(8, 8);
    const tape = new Tape(be, trainable(W, grad));
    const n = fusedForward(tape, x, gamma);
    const dn = be.tensor(R, [4, 2]);
    tape.backward(n, dn);
    be.dispose(n, dn);
    const analytic = await be.readF32(grad);
    const loss = async (wv: Float32Array) => {
      const Wp = be.tensor(wv, [6, 5]);
      const out = fusedForward(inferenceOps(be, trainable(Wp, grad)), x, gamma);
      const s = await weightedSum(be, out, R);
      be.dispose(Wp, out);
      return s;
    };
    const h = 1e-2;
    for (let i = 0; i < 30; i++) {
      const [up, down] = [w.slice(), w.slice()];
      up[i] += h;
      down[i] -= h;
      const fd = ((await loss(up)) - (await loss(down))) / (up[i] - down[i]);
      expect(Math.abs(fd - analytic[i])).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(analytic[i]));
    }
    expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(1e-2);
  });

  it('matches finite differences, skips frozen paths, frees everything it kept', async () => {
    const be: Backend = createCpuBackend();
    const x = randomF32(24, 1);
    const gamma = be.tensor(randomF32(6, 2, 0.8, 1.2), [6]);
    const w = randomF32(30, 3);
    const W = be.tensor(w, [6, 5]);
    const grad = be.tensor(new Float32Array(30), [6, 5]);
    const R = randomF32(20, 4);
    const lin = trainable(W, grad);
    const lnBack = vi.spyOn(be, 'layerNormBackward');
    const live = trackAllocations(be);

    const tape = new Tape(be, lin);
    const n = forward(tape, x, gamma);
    const dn = be.tensor(R, [2, 10]);
    tape.backward(n, dn);
    be.dispose(n, dn);
    expect(() => tape.backward(n, dn)).toThrow(/after backward/);
    const released = new Tape(be, lin);
    be.dispose(forward(released, x, gamma));
    released.release();
    expect(live()).toEqual([]);
    expect(lnBack).not.toHaveBeenCalled(); // the layer norm's input needs no gradient

    const analytic = await be.readF32(grad);
    const loss = async (wv: Float32Array) => {
      const Wp = be.tensor(wv, [6, 5]);
      const out = forward(inferenceOps(be, trainable(Wp, grad)), x, gamma);
      const s = await weightedSum(be, out, R);
      be.dispose(Wp, out);
      return s;
    };
    const h = 1e-2;
    for (let i = 0; i < 30; i++) {
      const up = w.slice();
      up[i] += h;
      const down = w.slice();
      down[i] -= h;
      const fd = ((await loss(up)) - (await loss(down))) / (up[i] - down[i]);
      expect(Math.abs(fd - analytic[i])).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(analytic[i]));
    }
    expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(1e-2);
  });
});
