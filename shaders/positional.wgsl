// Positions added to token embeddings x [B,T,D], one element per invocation.
//   MODE 0: y[b,t,d] = x[b,t,d] + table[t,d]   (table [P,D], P >= T; row-major so its first T rows)
//   MODE 1 ('concat', tensor2tensor): d < D/2: sin(t inv(d)), else cos(t inv(d - D/2)),
//           inv(i) = invMin * exp(-i * logRange / max(D/2 - 1, 1))
//   MODE 2 ('interleaved', Vaswani): d = 2i: sin(t inv(i)), d = 2i+1: cos(t inv(i)),
//           inv(i) = invMin * exp(-(2i / D) * logRange)
// logRange = ln(maxTimescale / minTimescale), invMin = 1 / minTimescale. For sinusoids the host binds
// x in the table slot; it is not read. Angles are f32; sin/cos from sin_cos below.
override WG: u32 = 256u;
override MODE: u32 = 0u;

struct Params {
  n: u32,
  T: u32,
  D: u32,
  invMin: f32,
  logRange: f32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// sin and cos of a (|a| up to ~1e5) to ~1e-7: Cody-Waite reduction by pi/2 (three-part constant, so
// k * part is exact), then Taylor polynomials on [-pi/4, pi/4]. The builtins are avoided: WGSL only
// promises 2^-11 absolute error for them (SwiftShader's are off by ~2e-4).
fn sin_cos(a: f32) -> vec2<f32> {
  let k = round(a * 0.6366197723675814);
  var r = fma(-k, 1.5703125, a);
  r = fma(-k, 4.837512969970703125e-4, r);
  r = fma(-k, 7.54978995489188216e-8, r);
  let r2 = r * r;
  let s = r + r * r2 * (-0.16666666666666666 + r2 * (0.008333333333333333 + r2 * (-1.984126984126984e-4 + r2 * 2.7557319223985893e-6)));
  let c = 1.0 + r2 * (-0.5 + r2 * (0.041666666666666664 + r2 * (-0.001388888888888889 + r2 * (2.48015873015873e-5 - r2 * 2.755731922398589e-7))));
  switch (i32(k) & 3) {
    case 0: {
      return vec2<f32>(s, c);
    }
    case 1: {
      return vec2<f32>(c, -s);
    }
    case 2: {
      return vec2<f32>(-s, -c);
    }
    default: {
      return vec2<f32>(-c, s);
    }
  }
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let idx = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (idx >= p.n) {
    return;
  }
  let td = idx % (p.T * p.D); // t * D + d
  if (MODE == 0u) {
    Y[idx] = X[idx] + table[td];
    return;
  }
  let t = f32(td / p.D);
  let d = td % p.D;
  var i: u32;
  var useSin: bool;
  var inv: f32;
  if (MODE == 1u) {
    let half = p.D / 2u;
    useSin = d < half;
    i = select(d - half, d, useSin);
    inv = p.invMin * exp(-f32(i) * p.logRange / f32(max(half, 2u) - 1u));
  } else {
    i = d / 2u;
    useSin = d % 2u == 0u;
    inv = p.invMin * exp(-(f32(2u * i) / f32(p.D)) * p.logRange);
  }
  let sc = sin_cos(t * inv);
  Y[idx] = X[idx] + select(sc.y, sc.x, useSin);
}
