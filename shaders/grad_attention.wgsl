// Attention backward, probabilities recomputed from q, k and the row statistics.
// q/dy [B,T,Hq,Dh], k/v [B,T,Hkv,Dh], mask [B,T]; key j visible to query i when mask != 0, (!causal or j <= i)
// and (window 0 or i - window < j < i + window). Scores s = scale q·k, soft-capped (softcap > 0) to
// softcap * tanh(s / softcap); then ds also takes tanh's derivative 1 - (s / softcap)^2 (cap_grad).
//   dq  (one invocation per query row (b,i,h)): m = max s_j, lse = m + log Σ exp(s_j - m), p_j = exp(s_j - lse),
//       dp_j = dy_i·v_j, delta = Σ p_j dp_j; dq = scale Σ p_j (dp_j - delta) k_j; ST[row] = (lse, delta).
//       A row with no visible key gets dq = 0 and is never read by dkv (no key is visible to it).
//   dkv (one invocation per key row (b,j,g)): over the query heads h of kv head g and the queries i that see j:
//       dv_j += p_ij dy_i, dk_j += scale p_ij (dp_ij - delta_i) q_i.
override WG: u32 = 64u;

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
@group(0) @binding(3) var<storage, read> MASK: array<f32>;
@group(0) @binding(4) var<storage, read> DY: array<f32>;
@group(0) @binding(5) var<storage, read_write> ST: array<f32>;
@group(0) @binding(6) var<storage, read_write> O1: array<f32>;
@group(0) @binding(7) var<storage, read_write> O2: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

fn visible(b: u32, i: u32, j: u32) -> bool {
  let inWindow = p.window == 0u || (j + p.window > i && j < i + p.window);
  return MASK[b * p.T + j] != 0.0 && (p.causal == 0u || j <= i) && inWindow;
}

fn cap_grad(s: f32) -> f32 {
  if (p.softcap > 0.0) {
    let t = s / p.softcap;
    return 1.0 - t * t;
  }
  return 1.0;
}

fn dy_dot_v(a: u32, vo: u32) -> f32 {
  var acc = 0.0;
  for (var d = 0u; d < p.Dh; d = d + 1u) {
    acc = fma(DY[a + d], V[vo + d], acc);
  }
  return acc;
}

fn qk(qo: u32, ko: u32) -> f32 {
  var acc = 0.0;
  for (var d = 0u; d < p.Dh; d = d + 1u) {
    acc = fma(Q[qo + d], K[ko + d], acc);
  }
  let s = acc * p.scale;
  if (p.softcap > 0.0) {
    return p.softcap * tanh(clamp(s / p.softcap, -15.0, 15.0));
  }
  return s;
}

@compute @workgroup_size(WG)
fn dq(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let row = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (row >= p.B * p.T * p.Hq) {
    return;
  }
  let h = row % p.Hq;
  let i = (row / p.Hq) % p.T;
  let b = row / (p.Hq * p.T);
  let g = h / (p.Hq / p.Hkv);
  let qo = row * p.Dh;
  for (var d = 0u; d < p.Dh; d = d + 1u) {
    O1[qo + d] = 0.0;
  }
  var m = -3.0e38;
  var any = false;
  for (var j = 0u; j < p.T; j = j + 1u) {
    if (visible(b, i, j)) {
      m = max(m, qk(qo, ((b * p.T + j) * p.Hkv + g) * p.Dh));
      any = true;
    }
  }
  if (!any) {
    ST[2u * row] = 0.0;
    ST[2u * row + 1u] = 0.0;
    return;
  }
  var l = 0.0;
  var dsum = 0.0;
  for (var j = 0u; j < p.T; j = j + 1u) {
    if (visible(b, i, j)) {
      let ko = ((b * p.T + j) * p.Hkv + g) * p.Dh;
      let e = exp(qk(qo, ko) - m);
      l = l + e;
      dsum = fma(e, dy_dot_v(qo, ko), dsum);
    }
  }
  let lse = m + log(l);
  let delta = dsum / l;
  ST[2u * row] = lse;
  ST[2u * row + 1u] = delta;
  for (var j = 0u; j < p.T; j = j + 1u) {
    if (visible(b, i, j)) {
      let ko = ((b * p.T + j) * p.Hkv + g) * p.Dh;
      let sj = qk(qo, ko);
      let pj = exp(sj - lse);
      let ds = pj * (dy_dot_v(qo, ko) - delta) * cap_grad(sj) * p.scale;
      for (var d = 0u; d < p.Dh; d = d + 1u) {
        O1[qo + d] = fma(ds, K[ko + d], O1[qo + d]);
      }
    }
  }
}

@compute @workgroup_size(WG)
fn dkv(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let krow = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (krow >= p.B * p.T * p.Hkv) {
    return;
  }
  let g = krow % p.Hkv;
  let j = (krow / p.Hkv) % p.T;
  let b = krow / (p.Hkv * p.T);
  let ko = krow * p.Dh;
  for (var d = 0u; d < p.Dh; d = d + 1u) {
    O1[ko + d] = 0.0;
    O2[ko + d] = 0.0;
  }
  let group = p.Hq / p.Hkv;
  for (var i = 0u; i < p.T; i = i + 1u) {
    if (!visible(b, i, j)) {
      continue;
    }
    for (var hh = 0u; hh < group; hh = hh + 1u) {
      let row = (b * p.T + i) * p.Hq + g * group + hh;
      let qo = row * p.Dh;
      let sij = qk(qo, ko);
      let pij = exp(sij - ST[2u * row]);
      let ds = pij * (dy_dot_v(qo, ko) - ST[2u * row + 1u]) * cap_grad(sij) * p.scale;
      for (var d = 0u; d < p.Dh; d = d + 1u) {
        O1[ko + d] = fma(ds, Q[qo + d], O1[ko + d]);
        O2[ko + d] = fma(pij, DY[qo + d], O2[ko + d]);
      }
    }
  }
}
