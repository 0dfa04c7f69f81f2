// Scaled dot-product attention with key padding mask, optional causal mask and grouped-query heads.
// q [B,T,Hq,Dh], k/v [B,Tk,Hkv,Dh] (Tk >= T), mask [B,Tk]; query head h reads kv head h / (Hq / Hkv).
// The queries are the last T of the Tk positions (a KV cache holds the others): query i sits at Tk - T + i.
// One workgroup per (b, query i, head h), h fastest (neighbouring workgroups share k/v rows). Keys are
// visited in chunks of WG (one key per invocation) with an online softmax: a running max m and sum l,
// and Dh accumulators in workgroup memory rescaled by exp(m_old - m_new) per chunk. Key j is visible
// when mask[b,j] != 0, (not causal or j <= pos) and (window 0 or pos - window < j < pos + window), pos = Tk - T + i;
// a query with no visible key writes zeros. softcap > 0: the scaled score s becomes softcap * tanh(s / softcap).
// Workgroup memory: (2 * DH_SLOTS + 2 * WG) f32, WG of them the reductions' `partial`
// (workgroup_max and workgroup_sum, shaders/lib/workgroup_reduce.wgsl, prepended). WG must be a power of two.
override WG: u32 = 128u;
override DH_SLOTS: u32 = 128u;

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
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read> Q: array<f32>;
@group(0) @binding(1) var<storage, read> K: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> qv: array<f32, DH_SLOTS>;
var<workgroup> acc: array<f32, DH_SLOTS>;
var<workgroup> probs: array<f32, WG>;

const NONE: f32 = -3.4028234663852886e38;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.B * p.T * p.Hq) {
    return;
  }
  let h = w % p.Hq;
  let i = (w / p.Hq) % p.T;
  let b = w / (p.Hq * p.T);
  let kh = h / (p.Hq / p.Hkv);
  let lane = lid.x;
  let qo = w * p.Dh; // ((b * T + i) * Hq + h) * Dh
  for (var d = lane; d < p.Dh; d = d + WG) {
    qv[d] = Q[qo + d];
    acc[d] = 0.0;
  }
  workgroupBarrier();

  // the keys [j0, j0 + nkeys) that causal and window leave (j0 <= pos < j0 + nkeys)
  let pos = p.Tk - p.T + i;
  var hi = p.Tk;
  if (p.causal != 0u) {
    hi = pos + 1u;
  }
  var j0 = 0u;
  if (p.window > 0u) {
    hi = min(hi, pos + p.window);
    if (pos + 1u > p.window) {
      j0 = pos + 1u - p.window;
    }
  }
  let nkeys = hi - j0;
  let chunks = (nkeys + WG - 1u) / WG;
  var m = NONE;
  var l = 0.0;
  for (var c = 0u; c < chunks; c = c + 1u) {
    let jr = c * WG + lane;
    let j = j0 + jr;
    var s = NONE;
    let visible = jr < nkeys && mask[b * p.Tk + min(j, p.Tk - 1u)] != 0.0;
    if (visible) {
      let ko = ((b * p.Tk + j) * p.Hkv + kh) * p.Dh;
      var dot = 0.0;
      for (var d = 0u; d < p.Dh; d = d + 1u) {
        dot = fma(qv[d], K[ko + d], dot);
      }
      s = dot * p.scale;
      if (p.softcap > 0.0) {
        s = p.softcap * tanh(clamp(s / p.softcap, -15.0, 15.0)); // tanh(±15) is ±1 in f32
      }
    }
    let mNew = max(m, workgroup_max(s, lane));
    var pr = 0.0;
    if (visible) {
      pr = exp(s - mNew);
    }
    probs[lane] = pr;
    let chunkSum = workgroup_sum(pr, lane); // its barriers also publish probs
    let corr = exp(m - mNew); // 1 when nothing was visible yet and still is; 0 on the first visible chunk
    l = l * corr + chunkSum;
    let len = min(WG, nkeys - c * WG);
    for (var d = lane; d < p.Dh; d = d + WG) {
      var a = acc[d] * corr;
      for (var jj = 0u; jj < len; jj = jj + 1u) {
        let pj = probs[jj];
        if (pj != 0.0) {
          a = fma(pj, V[((b * p.Tk + j0 + c * WG + jj) * p.Hkv + kh) * p.Dh + d], a);
        }
      }
      acc[d] = a;
    }
    m = mNew;
    workgroupBarrier(); // probs is rewritten by the next chunk
  }
  for (var d = lane; d < p.Dh; d = d + WG) {
    var y = 0.0;
    if (l > 0.0) {
      y = acc[d] / l;
    }
    O[qo + d] = y;
  }
}
