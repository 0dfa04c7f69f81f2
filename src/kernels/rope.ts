/**
 * rope: rotary position embedding on x [B,T,H,Dh] at positions offset..offset+T-1 (offset 0 unless given: a
 * KV cache's new tokens start past the cached ones), over the first rotaryDim (r) dims.
 * 'half' (NeoX/Llama/Qwen) rotates pairs (i, i + r/2); 'interleaved' (GPT-J) pairs (2i, 2i+1); pair i turns
 * by t * theta^(-2i/r). CPU reference (f64 angles) + GPU program (shaders/rope.wgsl, f32 angles as in
 * HF's f32 rotary cache, with range reduction before sin/cos).
 */
import { SIN_COS_WGSL } from './shader-lib';
import { ShapeError, type Tensor } from '../core/backend';
import type { RopeOptions } from '../core/transformer-ops';
import { type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDtype, expectRank } from './shape';
import { kernelOp } from '../core/op';

export const ropeShader: ShaderRef = {
  key: 'rope',
  url: new URL('../../shaders/rope.wgsl', import.meta.url),
  prelude: [SIN_COS_WGSL],
};

export type RopeOpts = RopeOptions;

export interface RopeDims {
  B: number;
  T: number;
  H: number;
  Dh: number;
  /** rotary dims (even, <= Dh) */
  r: number;
  style: 'half' | 'interleaved';
  /** position of row t = 0 (absent: 0) */
  offset?: number;
}

export function ropeCpu(x: Float32Array, dims: RopeDims, theta: number): Float32Array {
  const { B, T, H, Dh, r, style } = dims;
  const off = dims.offset ?? 0;
  const y = x.slice();
  const half = r / 2;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        const o = ((b * T + t) * H + h) * Dh;
        for (let i = 0; i < half; i++) {
          const ang = (t + off) * Math.pow(theta, (-2 * i) / r);
          const c = Math.cos(ang);
          const s = Math.sin(ang);
          const i1 = style === 'half' ? o + i : o + 2 * i;
          const i2 = style === 'half' ? o + i + half : o + 2 * i + 1;
          const x1 = x[i1];
          const x2 = x[i2];
          y[i1] = x1 * c - x2 * s;
          y[i2] = x2 * c + x1 * s;
        }
      }
    }
  }
  return y;
}

export function ropeShape(x: Tensor, opts: RopeOpts): RopeDims {
  const op = 'rope';
  expectRank(op, 'x', x, 4);
  expectDtype(op, 'x', x, 'f32');
  const [B, T, H, Dh] = x.shape;
  const r = opts.rotaryDim ?? Dh;
  const style = opts.style ?? 'half';
  if (!Number.isInteger(r) || r < 0 || r > Dh || r % 2 !== 0) {
    throw new ShapeError(op, `rotaryDim must be an even integer in [0, ${Dh}] (head dim), got ${r}`);
  }
  if (style !== 'half' && style !== 'interleaved')
    throw new ShapeError(op, `style must be 'half' or 'interleaved'`);
  if (!(opts.theta > 0) || !Number.isFinite(opts.theta))
    throw new ShapeError(op, `theta must be > 0, got ${opts.theta}`);
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset + T > 2 ** 24)
    throw new ShapeError(op, `offset must be an integer in [0, 2^24 - T], got ${offset}`);
  // issue 13 contract: per-pair frequencies and mscale are declared; the kernels land with the architectures
  if (opts.invFreq || (opts.mscale !== undefined && opts.mscale !== 1))
    throw new ShapeError(op, 'rope invFreq / mscale are not supported yet');
  return { B, T, H, Dh, r, style, offset };
}

export function ropeProgram(dims: RopeDims, theta: number, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(256, limits.maxInvocationsPerWorkgroup);
  const n = dims.B * dims.T * dims.H * dims.Dh;
  const u = new ArrayBuffer(32);
  new Uint32Array(u, 0, 5).set([n, dims.T, dims.H, dims.Dh, dims.r]);
  new Float32Array(u, 20, 1)[0] = Math.log2(theta);
  new Uint32Array(u, 24, 1)[0] = dims.offset ?? 0;
  return {
    shader: ropeShader,
    entryPoint: 'main',
    overrides: { WG: wg, INTERLEAVED: dims.style === 'interleaved' ? 1 : 0 },
    workgroups: Math.ceil(n / wg),
    bindings: [0, 1],
    uniformBinding: 2,
    uniforms: u,
  };
}

export const ropeOp = kernelOp('rope', {
  shaders: [ropeShader],
  plan: (x, opts) => ({ out: x.shape, inputs: [x], p: { d: ropeShape(x, opts), theta: opts.theta } }),
  cpu: ([x], { d, theta }) => ropeCpu(x, d, theta),
  program: ({ d, theta }, limits) => ropeProgram(d, theta, limits),
});
