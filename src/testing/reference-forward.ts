/**
 * Test-only plain-TS forward passes of the tiny models, written as straightforward loops in float64 from the
 * safetensors weights and config.json, to check the ONNX exports compute the intended network.
 * Inputs are [B][T] with right padding; outputs are last_hidden_state [B*T*H].
 */
import type { ReadTensor } from './safetensors-read';

type W = Map<string, ReadTensor>;
type Mat = Float64Array[]; // T rows

function w(ws: W, name: string): Float32Array {
  const t = ws.get(name);
  if (!t) throw new Error(`missing tensor ${name}`);
  return t.data;
}

/** y = x W^T + b with W in PyTorch [out, in] layout */
function linear(x: Mat, weight: Float32Array, bias: Float32Array | null, outF: number): Mat {
  return x.map((row) => {
    const inF = row.length;
    const y = new Float64Array(outF);
    for (let o = 0; o < outF; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inF; i++) s += row[i] * weight[o * inF + i];
      y[o] = s;
    }
    return y;
  });
}

function layerNorm(x: Mat, g: Float32Array, b: Float32Array, eps: number): Mat {
  return x.map((row) => {
    const n = row.length;
    const mean = row.reduce((a, v) => a + v, 0) / n;
    const varc = row.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    return row.map((v, i) => ((v - mean) / Math.sqrt(varc + eps)) * g[i] + b[i]);
  });
}

function rmsNormVec(row: Float64Array, g: Float32Array, eps: number): Float64Array {
  const ms = row.reduce((a, v) => a + v * v, 0) / row.length;
  return row.map((v, i) => (v / Math.sqrt(ms + eps)) * g[i]);
}

const addM = (a: Mat, b: Mat): Mat => a.map((r, t) => r.map((v, i) => v + b[t][i]));

/**
 * Attention over heads: q rows [T][Hq*dh], k/v rows [T][Hkv*dh]; query head h reads kv head floor(h/(Hq/Hkv)).
 * Key j is visible to query i when mask[j] = 1 and (not causal or j <= i).
 */
function attention(
  q: Mat,
  k: Mat,
  v: Mat,
  mask: number[],
  hq: number,
  hkv: number,
  dh: number,
  causal: boolean,
): Mat {
  const T = q.length;
  const rep = hq / hkv;
  return q.map((qi, i) => {
    const out = new Float64Array(hq * dh);
    for (let h = 0; h < hq; h++) {
      const kh = Math.floor(h / rep);
      const scores: number[] = [];
      const keys: number[] = [];
      for (let j = 0; j < T; j++) {
        if (!mask[j] || (causal && j > i)) continue;
        let s = 0;
        for (let d = 0; d < dh; d++) s += qi[h * dh + d] * k[j][kh * dh + d];
        scores.push(s / Math.sqrt(dh));
        keys.push(j);
      }
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const z = e.reduce((a, b) => a + b, 0);
      keys.forEach((j, n) => {
        for (let d = 0; d < dh; d++) out[h * dh + d] += (e[n] / z) * v[j][kh * dh + d];
      });
    }
    return out;
  });
}

/** erf in float64: Maclaurin series for |x| < 4 (cancellation error ~1e-10), asymptotic erfc beyond (< 1e-12) */
function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 4) {
    let sum = 0;
    let term = x;
    for (let n = 0; n < 160; n++) {
      sum += term / (2 * n + 1);
      term *= (-x * x) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let s = 1;
  let p = 1;
  for (let n = 1; n < 6; n++) {
    p *= -(2 * n - 1) / (2 * t * t);
    s += p;
  }
  return Math.sign(x) * (1 - (Math.exp(-t * t) / (t * Math.sqrt(Math.PI))) * s);
}

export interface BertLikeConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  layer_norm_eps: number;
}

export function bertForward(
  cfg: BertLikeConfig,
  ws: W,
  ids: number[][],
  mask: number[][],
  tt?: number[][],
): Float32Array {
  const H = cfg.hidden_size;
  const nh = cfg.num_attention_heads;
  const out: number[] = [];
  ids.forEach((row, b) => {
    let x: Mat = row.map((id, t) => {
      const r = new Float64Array(H);
      const typ = tt ? tt[b][t] : 0;
      for (let i = 0; i < H; i++) {
        r[i] =
          w(ws, 'embeddings.word_embeddings.weight')[id * H + i] +
          w(ws, 'embeddings.position_embeddings.weight')[t * H + i] +
          w(ws, 'embeddings.token_type_embeddings.weight')[typ * H + i];
      }
      return r;
    });
    x = layerNorm(
      x,
      w(ws, 'embeddings.LayerNorm.weight'),
      w(ws, 'embeddings.LayerNorm.bias'),
      cfg.layer_norm_eps,
    );
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      const p = `encoder.layer.${l}`;
      const lin = (inp: Mat, n: string, o: number) =>
        linear(inp, w(ws, `${p}.${n}.weight`), w(ws, `${p}.${n}.bias`), o);
      const ctx = attention(
        lin(x, 'attention.self.query', H),
        lin(x, 'attention.self.key', H),
        lin(x, 'attention.self.value', H),
        mask[b],
        nh,
        nh,
        H / nh,
        false,
      );
      const ln = (inp: Mat, n: string) =>
        layerNorm(inp, w(ws, `${p}.${n}.weight`), w(ws, `${p}.${n}.bias`), cfg.layer_norm_eps);
      x = ln(addM(lin(ctx, 'attention.output.dense', H), x), 'attention.output.LayerNorm');
      const inter = lin(x, 'intermediate.dense', cfg.intermediate_size).map((r) =>
        r.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
      );
      x = ln(addM(lin(inter, 'output.dense', H), x), 'output.LayerNorm');
    }
    for (const r of x) out.push(...r);
  });
  return Float32Array.from(out);
}

export interface Qwen3LikeConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  intermediate_size: number;
  rms_norm_eps: number;
  rope_theta: number;
}

/** per-head RMSNorm then 'half' RoPE at position t, on a [heads*dh] row */
function normRope(
  row: Float64Array,
  heads: number,
  dh: number,
  g: Float32Array,
  eps: number,
  t: number,
  theta: number,
): Float64Array {
  const out = new Float64Array(row.length);
  const half = dh / 2;
  for (let h = 0; h < heads; h++) {
    const v = rmsNormVec(row.subarray(h * dh, (h + 1) * dh), g, eps);
    for (let i = 0; i < half; i++) {
      const a = t * Math.pow(theta, (-2 * i) / dh);
      const [x1, x2] = [v[i], v[i + half]];
      out[h * dh + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
      out[h * dh + i + half] = x2 * Math.cos(a) + x1 * Math.sin(a);
    }
  }
  return out;
}

export function qwen3Forward(
  cfg: Qwen3LikeConfig,
  ws: W,
  ids: number[][],
  mask: number[][],
  causal: boolean,
): Float32Array {
  const {
    hidden_size: H,
    head_dim: dh,
    num_attention_heads: hq,
    num_key_value_heads: hkv,
    rms_norm_eps: eps,
  } = cfg;
  const out: number[] = [];
  ids.forEach((row, b) => {
    const emb = w(ws, 'model.embed_tokens.weight');
    let x: Mat = row.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H)));
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      const lin = (inp: Mat, n: string, o: number) => linear(inp, w(ws, `${p}.${n}.weight`), null, o);
      const hn = x.map((r) => rmsNormVec(r, w(ws, `${p}.input_layernorm.weight`), eps));
      const q = lin(hn, 'self_attn.q_proj', hq * dh).map((r, t) =>
        normRope(r, hq, dh, w(ws, `${p}.self_attn.q_norm.weight`), eps, t, cfg.rope_theta),
      );
      const k = lin(hn, 'self_attn.k_proj', hkv * dh).map((r, t) =>
        normRope(r, hkv, dh, w(ws, `${p}.self_attn.k_norm.weight`), eps, t, cfg.rope_theta),
      );
      const v = lin(hn, 'self_attn.v_proj', hkv * dh);
      x = addM(x, lin(attention(q, k, v, mask[b], hq, hkv, dh, causal), 'self_attn.o_proj', H));
      const h2 = x.map((r) => rmsNormVec(r, w(ws, `${p}.post_attention_layernorm.weight`), eps));
      const gate = lin(h2, 'mlp.gate_proj', cfg.intermediate_size);
      const up = lin(h2, 'mlp.up_proj', cfg.intermediate_size);
      const act = gate.map((r, t) => r.map((g, i) => (g / (1 + Math.exp(-g))) * up[t][i]));
      x = addM(x, lin(act, 'mlp.down_proj', H));
    }
    for (const r of x) out.push(...rmsNormVec(r, w(ws, 'model.norm.weight'), eps));
  });
  return Float32Array.from(out);
}
