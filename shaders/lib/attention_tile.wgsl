// Shared by the tiled attention programs (shaders/flash_attention*.wgsl): the uniform block (the layout of
// kernels/attention.ts attentionParams, at binding 8) and the visibility and soft-cap rules.
// The queries are the last T of Tk positions: query i sits at pos = Tk - T + i. Key j is visible to it when
// mask[b, j] != 0 and key_lo(pos) <= j < key_hi(pos): causal keeps j <= pos, a window w > 0 keeps
// pos - w < j < pos + w. softcap > 0: the scaled score s becomes softcap * tanh(s / softcap).
struct Params {
  B: u32,
  T: u32,
  Hq: u32,
  Hkv: u32,
  Dh: u32,
  causal: u32,
  scale: f32,
  Tk: u32,
  softcap: f32,
  window: u32,
  // the tiled programs' tile of queries and of keys (BQ, BK)
  bq: u32,
  bk: u32,
}

@group(0) @binding(8) var<uniform> p: Params;

// "no score": below every finite score (WGSL has no infinity literal)
const NONE: f32 = -3.4028234663852886e38;

fn query_pos(i: u32) -> u32 {
  return p.Tk - p.T + i;
}

fn key_lo(pos: u32) -> u32 {
  if (p.window > 0u && pos + 1u > p.window) {
    return pos + 1u - p.window;
  }
  return 0u;
}

fn key_hi(pos: u32) -> u32 {
  var hi = p.Tk;
  if (p.causal != 0u) {
    hi = pos + 1u;
  }
  if (p.window > 0u) {
    hi = min(hi, pos + p.window);
  }
  return hi;
}

fn cap_score(s: f32) -> f32 {
  if (p.softcap > 0.0) {
    return p.softcap * tanh(clamp(s / p.softcap, -15.0, 15.0)); // tanh(±15) is ±1 in f32
  }
  return s;
}

// d(cap_score)/ds written with the capped score c: 1 - (c / softcap)^2
fn cap_grad(c: f32) -> f32 {
  if (p.softcap > 0.0) {
    let t = c / p.softcap;
    return 1.0 - t * t;
  }
  return 1.0;
}
