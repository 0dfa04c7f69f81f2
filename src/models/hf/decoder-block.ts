/**
 * One decoder block of every family, driven by DecoderConfig (decoder.ts runs the stack):
 *   h = norm(x); q, k, v = (fused qkv_proj split by rows | q_proj, k_proj, v_proj);
 *   (qwen3: q/k RMSNorm per head); rope on the first rotaryDim dims (rope_scaling: per-pair frequencies);
 *   a = o_proj(attention(q, k, v; attnScale, softcap, the layer's window)); (gemma2: a = norm(a));
 *   r = x + a; h2 = norm(r) (gemma2: pre_feedforward_layernorm); m = down(act(gate) * up) with gate|up
 *   from the fused gate_up_proj (phi3) or gate_proj / up_proj; (gemma2: m = norm(m)); out = r + m.
 * Norms are RMSNorm, by (1 + weight) for gemma/gemma2. The weights each block needs and its linears (the
 * PEFT module paths LoRA and merges address: phi3's fused self_attn.qkv_proj and mlp.gate_up_proj as
 * whole matrices, with their row slices q|k|v and gate|up as `slices`) are listed beside the forward.
 */
import type { Tensor } from '../../core/backend';
import type { AttentionOptions, RopeOptions } from '../../core/transformer-ops';
import type { LinearModule, LinearSlice, Ops } from '../../nn/ops';
import type { DecoderConfig } from './config';
import type { KvCache } from './kv-cache';
import { ropeScalingOptions } from './rope-scaling';
import type { Weights } from './weights';

/** the rows of phi3's fused outputs: q|k|v of qkv_proj, gate|up of gate_up_proj */
export function fusedSlices(c: DecoderConfig): { qkv: [number, number, number]; gateUp: [number, number] } {
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  return { qkv: [qDim, kvDim, kvDim], gateUp: [c.intermediate, c.intermediate] };
}

/** declares the weights of block i (names without the model prefix) */
export function needBlockWeights(w: Weights, c: DecoderConfig, i: number): void {
  const H = c.hidden;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const p = `layers.${i}.`;
  w.need(`${p}input_layernorm.weight`, [H]);
  w.need(`${p}post_attention_layernorm.weight`, [H]);
  if (c.sandwichNorms) {
    w.need(`${p}pre_feedforward_layernorm.weight`, [H]);
    w.need(`${p}post_feedforward_layernorm.weight`, [H]);
  }
  if (c.fusedProjections) {
    w.need(`${p}self_attn.qkv_proj.weight`, [qDim + 2 * kvDim, H]);
    if (c.qkvBias) w.need(`${p}self_attn.qkv_proj.bias`, [qDim + 2 * kvDim]);
  } else {
    for (const [n, d] of [
      ['q', qDim],
      ['k', kvDim],
      ['v', kvDim],
    ] as const) {
      w.need(`${p}self_attn.${n}_proj.weight`, [d, H]);
      if (c.qkvBias) w.need(`${p}self_attn.${n}_proj.bias`, [d]);
    }
  }
  w.need(`${p}self_attn.o_proj.weight`, [H, qDim]);
  if (c.oBias) w.need(`${p}self_attn.o_proj.bias`, [H]);
  if (c.qkNorm) {
    w.need(`${p}self_attn.q_norm.weight`, [c.headDim]);
    w.need(`${p}self_attn.k_norm.weight`, [c.headDim]);
  }
  if (c.fusedProjections) w.need(`${p}mlp.gate_up_proj.weight`, [2 * c.intermediate, H]);
  else {
    w.need(`${p}mlp.gate_proj.weight`, [c.intermediate, H]);
    w.need(`${p}mlp.up_proj.weight`, [c.intermediate, H]);
  }
  w.need(`${p}mlp.down_proj.weight`, [H, c.intermediate]);
}

/** consecutive row slices of the given sizes */
function sliceList(names: readonly string[], lens: readonly number[]): LinearSlice[] {
  let start = 0;
  return names.map((name, i) => {
    const s = { name, start, len: lens[i] };
    start += lens[i];
    return s;
  });
}

/** the linears of block i, in forward order (phi3's fused ones with their row slices) */
export function blockLinears(c: DecoderConfig, i: number): LinearModule[] {
  const H = c.hidden;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const p = `layers.${i}.`;
  const I = c.intermediate;
  return [
    ...(c.fusedProjections
      ? [
          {
            path: `${p}self_attn.qkv_proj`,
            inDim: H,
            outDim: qDim + 2 * kvDim,
            slices: sliceList(['q_proj', 'k_proj', 'v_proj'], [qDim, kvDim, kvDim]),
          },
        ]
      : [
          { path: `${p}self_attn.q_proj`, inDim: H, outDim: qDim },
          { path: `${p}self_attn.k_proj`, inDim: H, outDim: kvDim },
          { path: `${p}self_attn.v_proj`, inDim: H, outDim: kvDim },
        ]),
    { path: `${p}self_attn.o_proj`, inDim: qDim, outDim: H },
    ...(c.fusedProjections
      ? [
          {
            path: `${p}mlp.gate_up_proj`,
            inDim: H,
            outDim: 2 * I,
            slices: sliceList(['gate_proj', 'up_proj'], [I, I]),
          },
        ]
      : [
          { path: `${p}mlp.gate_proj`, inDim: H, outDim: I },
          { path: `${p}mlp.up_proj`, inDim: H, outDim: I },
        ]),
    { path: `${p}mlp.down_proj`, inDim: I, outDim: H },
  ];
}

/** rope's options for an input spanning positions offset..offset+T-1 (rope_scaling picks by that span) */
export function ropeOptionsFor(c: DecoderConfig, offset: number, T: number): RopeOptions {
  return {
    theta: c.ropeTheta,
    rotaryDim: c.rotaryDim,
    style: 'half',
    offset,
    ...ropeScalingOptions(c.ropeScaling, c.ropeTheta, c.rotaryDim, offset + T),
  };
}

export interface BlockInput {
  readonly ops: Ops;
  readonly W: Map<string, Tensor>;
  readonly c: DecoderConfig;
  /** [B, keys] (cached + new with a cache) */
  readonly mask: Tensor;
  readonly B: number;
  readonly T: number;
  readonly causal: boolean;
  readonly rope: RopeOptions;
  readonly cache?: KvCache;
}

/** splits y [rows, Σ parts] by columns into its parts; consumes y */
function split(ops: Ops, y: Tensor, parts: readonly number[]): Tensor[] {
  const out: Tensor[] = [];
  let at = 0;
  for (const n of parts) {
    out.push(ops.slice(y, 1, at, n));
    at += n;
  }
  ops.free(y);
  return out;
}

/** One block on rows [B*T, H]; consumes x. */
export function decoderBlock(a: BlockInput, i: number, x: Tensor): Tensor {
  const { ops, W, c, B, T, cache } = a;
  const hd = c.headDim;
  const p = `layers.${i}.`;
  const g = (n: string) => W.get(p + n)!;
  const norm = (t: Tensor, n: string): Tensor => {
    const y = ops.rmsNorm(t, g(`${n}.weight`), c.eps, c.normAddOne ? { addOne: true } : undefined);
    ops.free(t);
    return y;
  };
  const h = ops.rmsNorm(x, g('input_layernorm.weight'), c.eps, c.normAddOne ? { addOne: true } : undefined);
  const flat = c.fusedProjections
    ? split(ops, ops.linear(h, `${p}self_attn.qkv_proj`), fusedSlices(c).qkv)
    : (['q', 'k', 'v'] as const).map((n) => ops.linear(h, `${p}self_attn.${n}_proj`));
  ops.free(h);
  /** q, k: [B,T,heads,hd] after (q/k RMSNorm, qwen3, and) rope; v as is */
  const heads = (t: Tensor, n: 'q' | 'k' | 'v', count: number): Tensor => {
    let r = ops.reshape(t, [B, T, count, hd]);
    if (n === 'v') return r;
    if (c.qkNorm) r = norm(r, `self_attn.${n}_norm`);
    const y = ops.rope(r, a.rope);
    ops.free(r);
    return y;
  };
  const q = heads(flat[0], 'q', c.heads);
  const k = heads(flat[1], 'k', c.kvHeads);
  const v = heads(flat[2], 'v', c.kvHeads);
  const kv = cache ? cache.append(i, k, v) : { k, v };
  const opts: AttentionOptions = { causal: a.causal, scale: c.attnScale };
  if (c.attnSoftcap !== null) opts.softcap = c.attnSoftcap;
  const win = c.layerWindows[i];
  if (win !== null && win !== undefined) opts.window = win;
  const att = ops.attention(q, kv.k, kv.v, a.mask, opts);
  ops.free(q);
  if (!cache) ops.free(k, v);
  const a2 = ops.reshape(att, [B * T, c.heads * hd]);
  let o = ops.linear(a2, `${p}self_attn.o_proj`);
  ops.free(a2);
  if (c.sandwichNorms) o = norm(o, 'post_attention_layernorm');
  const r1 = ops.add(x, o);
  ops.free(x, o);
  const h2 = ops.rmsNorm(
    r1,
    g(`${c.sandwichNorms ? 'pre_feedforward_layernorm' : 'post_attention_layernorm'}.weight`),
    c.eps,
    c.normAddOne ? { addOne: true } : undefined,
  );
  const [gate, up] = c.fusedProjections
    ? split(ops, ops.linear(h2, `${p}mlp.gate_up_proj`), fusedSlices(c).gateUp)
    : [ops.linear(h2, `${p}mlp.gate_proj`), ops.linear(h2, `${p}mlp.up_proj`)];
  ops.free(h2);
  let act: Tensor;
  if (c.mlpAct === 'silu') act = ops.swiglu(gate, up);
  else {
    const ga = ops.activation(gate, c.mlpAct);
    act = ops.mul(ga, up);
    ops.free(ga);
  }
  ops.free(gate, up);
  let down = ops.linear(act, `${p}mlp.down_proj`);
  ops.free(act);
  if (c.sandwichNorms) down = norm(down, 'post_feedforward_layernorm');
  const out = ops.add(r1, down);
  ops.free(r1, down);
  return out;
}
