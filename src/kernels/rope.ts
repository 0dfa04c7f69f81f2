/**
 * rope: rotary position embedding on x [B,T,H,Dh] at positions offset..offset+T-1 (offset 0 unless given: a
 * KV cache's new tokens start past the cached ones), over the first rotaryDim (r) dims.
 * 'half' (NeoX/Llama/Qwen) rotates pairs (i, i + r/2); 'interleaved' (GPT-J) pairs (2i, 2i+1); pair i turns
 * by t * theta^(-2i/r), or by t * invFreq[i] when RopeOptions.invFreq is given (rope_scaling: see
 * models/hf/rope-scaling.ts); mscale multiplies cos and sin (longrope's attention factor), so the map is
 * mscale * R and its backward mscale * Rᵀ. CPU reference (f64 angles) + GPU program (shaders/rope.wgsl, f32
 * angles as in HF's f32 rotary cache, with range reduction before sin/cos; the frequencies ride in the
 * uniform block, at most MAX_ROPE_PAIRS pairs).
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

/** the most rotary pairs an invFreq may give (rotaryDim <= 512): the uniform block's frequency array */
export const MAX_ROPE_PAIRS = 256;

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
  /** per-pair inverse frequencies (r/2 of them) replacing theta^(-2i/r) */
  invFreq?: Float32Array;
  /** cos and sin multiplier (absent: 1) */
  mscale?: number;
}

/** pair i's inverse frequency (f64 when derived from theta; the f32 value when given) */
export function ropeInvFreq(dims: RopeDims, theta: number, i: number): number {
  return dims.invFreq ? dims.invFreq[i] : Math.pow(theta, (-2 * i) / dims.r);
}

export function ropeCpu(x: Float32Array, dims: RopeDims, theta: number): Float32Array {
  const { B, T, H, Dh, r, style } = dims;
  const off = dims.offset ?? 0;
  const y = x.slice();
  const half = r / 2;
  const m = dims.mscale ?? 1;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        const o = ((b * T + t) * H + h) * Dh;
        for (let i = 0; i < half; i++) {
          const ang = (t + off) * ropeInvFreq(dims, theta, i);
          const c = m * Math.cos(ang);
          const s = m * Math.sin(ang);
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
  const inv = opts.invFreq;
  if (inv) {
    if (inv.length !== r / 2)
      throw new ShapeError(op, `invFreq must hold rotaryDim/2 = ${r / 2} frequencies, got ${inv.length}`);
    if (inv.length > MAX_ROPE_PAIRS)
      throw new ShapeError(op, `invFreq: at most ${MAX_ROPE_PAIRS} pairs (rotaryDim ${r})`);
    if (!inv.every((f) => Number.isFinite(f) && f >= 0))
      throw new ShapeError(op, 'invFreq must hold finite frequencies >= 0');
  }
  const mscale = opts.mscale ?? 1;
  if (!Number.isFinite(mscale) || !(mscale > 0))
    throw new ShapeError(op, `mscale must be a finite number > 0, got ${opts.mscale}`);
  return { B, T, H, Dh, r, style, offset, ...(inv ? { invFreq: inv } : {}), mscale };
}

export function ropeProgram(dims: RopeDims, theta: number, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(256, limits.maxInvocationsPerWorkgroup);
  const n = dims.B * dims.T * dims.H * dims.Dh;
  // header (8 words), has_freq + padding (4 words), freqs: array<vec4<f32>, MAX_ROPE_PAIRS / 4>
  const u = new ArrayBuffer(48 + MAX_ROPE_PAIRS * 4);
  new Uint32Array(u, 0, 5).set([n, dims.T, dims.H, dims.Dh, dims.r]);
  new Float32Array(u, 20, 1)[0] = Math.log2(theta);
  new Uint32Array(u, 24, 1)[0] = dims.offset ?? 0;
  new Float32Array(u, 28, 1)[0] = dims.mscale ?? 1;
  if (dims.invFreq) {
    new Uint32Array(u, 32, 1)[0] = 1;
    new Float32Array(u, 48, dims.invFreq.length).set(dims.invFreq);
  }
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
