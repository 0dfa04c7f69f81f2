/** The WebGPU side of TransformerOps: shape checks from the kernel modules, then one dispatch per op. */
import type { Tensor } from '../core/backend';
import type { ProgramSpec, ShaderRef } from '../core/program';
import type { GpuRuntime } from './runtime';
import type { Activation, Positional, TransformerOps } from '../core/transformer-ops';
import {
  activationProgram,
  activationShader,
  activationShape,
  swigluProgram,
  swigluShape,
} from '../kernels/activation';
import { attentionProgram, attentionShader, attentionShape } from '../kernels/attention';
import {
  addShape,
  binaryProgram,
  elementwiseShader,
  mulShape,
  scaleProgram,
  scaleShape,
} from '../kernels/elementwise';
import { layerNormShape, layernormShader, normProgram, rmsNormShape } from '../kernels/layernorm';
import {
  linearF16Shader,
  linearF16wShader,
  linearProgram,
  linearShader,
  linearShape,
} from '../kernels/linear';
import { positionalProgram, positionalShader, positionalShape, sinusoid } from '../kernels/positional';
import { poolProgram, poolShader, poolShape, type PoolMode } from '../kernels/pool';
import { ropeProgram, ropeShader, ropeShape, type RopeOpts } from '../kernels/rope';
import { softmaxProgram, softmaxShader, softmaxShape } from '../kernels/softmax';

export const TRANSFORMER_SHADERS: readonly ShaderRef[] = [
  linearShader,
  linearF16wShader,
  linearF16Shader,
  elementwiseShader,
  activationShader,
  layernormShader,
  softmaxShader,
  attentionShader,
  ropeShader,
  positionalShader,
  poolShader,
];

export class GpuTransformerOps implements TransformerOps {
  constructor(private readonly rt: GpuRuntime) {}

  linear(x: Tensor, w: Tensor, bias: Tensor | null, layout: 'kn' | 'nk'): Tensor {
    const d = linearShape(x, w, bias, layout, true);
    const ins = [x, w, bias ?? w];
    const wDtype = w.dtype === 'f16' ? 'f16' : 'f32';
    return this.run('linear', d.outShape, ins, () =>
      linearProgram(d, layout, bias !== null, this.rt.limits, wDtype),
    );
  }

  add(a: Tensor, b: Tensor): Tensor {
    addShape(a, b);
    return this.run('add', a.shape, [a, b], () => binaryProgram('add', a.size, b.size, this.rt.limits));
  }

  mul(a: Tensor, b: Tensor): Tensor {
    mulShape(a, b);
    return this.run('mul', a.shape, [a, b], () => binaryProgram('mul', a.size, b.size, this.rt.limits));
  }

  scale(x: Tensor, s: number): Tensor {
    scaleShape(x, s);
    return this.run('scale', x.shape, [x], () => scaleProgram(x.size, s, this.rt.limits));
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Tensor {
    const r = layerNormShape(x, gamma, beta, eps);
    const mode = { rms: false, hasBeta: beta !== null, addOne: false };
    return this.run('layerNorm', x.shape, [x, gamma, beta ?? gamma], () =>
      normProgram(r, eps, mode, this.rt.limits),
    );
  }

  rmsNorm(x: Tensor, gamma: Tensor, eps: number, opts?: { addOne?: boolean }): Tensor {
    const r = rmsNormShape(x, gamma, eps);
    const mode = { rms: true, hasBeta: false, addOne: opts?.addOne ?? false };
    return this.run('rmsNorm', x.shape, [x, gamma, gamma], () => normProgram(r, eps, mode, this.rt.limits));
  }

  activation(x: Tensor, kind: Activation): Tensor {
    activationShape(x, kind);
    return this.run('activation', x.shape, [x], () => activationProgram(x.size, kind, this.rt.limits));
  }

  swiglu(gate: Tensor, up: Tensor): Tensor {
    swigluShape(gate, up);
    return this.run('swiglu', gate.shape, [gate, up], () => swigluProgram(gate.size, this.rt.limits));
  }

  softmax(x: Tensor): Tensor {
    const r = softmaxShape(x);
    return this.run('softmax', x.shape, [x], () => softmaxProgram(r, this.rt.limits));
  }

  attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, opts: { causal: boolean; scale: number }): Tensor {
    const d = attentionShape(q, k, v, mask, opts);
    return this.run('attention', q.shape, [q, k, v, mask], () => attentionProgram(d, opts, this.rt.limits));
  }

  rope(x: Tensor, opts: RopeOpts): Tensor {
    const d = ropeShape(x, opts);
    return this.run('rope', x.shape, [x], () => ropeProgram(d, opts.theta, this.rt.limits));
  }

  addPositional(x: Tensor, pos: Positional): Tensor {
    const d = positionalShape(x, pos);
    const s = pos.kind === 'table' ? null : sinusoid(pos);
    const table = pos.kind === 'table' ? pos.table : x;
    return this.run('addPositional', x.shape, [x, table], () => positionalProgram(d, s, this.rt.limits));
  }

  pool(x: Tensor, mask: Tensor, mode: PoolMode): Tensor {
    const d = poolShape(x, mask, mode);
    return this.run('pool', [d.B, d.D], [x, mask], () => poolProgram(d, mode, this.rt.limits));
  }

  /** Validate the result size, allocate it and enqueue the program (skipped for empty outputs). */
  private run(op: string, outShape: readonly number[], inputs: Tensor[], program: () => ProgramSpec): Tensor {
    const ins = inputs.map((t) => this.rt.own(t, op));
    return this.rt.scoped(op, () => {
      const out = this.rt.alloc(op, [...outShape], 'f32');
      if (out.size > 0) this.rt.dispatch(program(), [...ins.map((t) => t.buffer), out.buffer]);
      return out;
    });
  }
}
