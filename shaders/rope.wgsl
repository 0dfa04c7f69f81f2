// Rotary position embedding on x [B,T,H,Dh] at positions 0..T-1, one element per invocation.
// Pair i of the first r dims turns by t * theta^(-2i/r): 'half' pairs (i, i + r/2), 'interleaved'
// (INTERLEAVED) pairs (2i, 2i+1); dims >= r are copied. Angles are f32 (as HF's f32 rotary cache);
// their sin/cos come from sin_cos below, not the imprecise builtins.
override WG: u32 = 256u;
override INTERLEAVED: bool = false;
// INVERSE rotates by -angle: the backward pass (the rotation's transpose) of the forward rotation
override INVERSE: bool = false;

struct Params {
  n: u32,
  T: u32,
  H: u32,
  Dh: u32,
  r: u32,
  log2theta: f32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

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
  let d = idx % p.Dh;
  if (d >= p.r) {
    Y[idx] = X[idx];
    return;
  }
  let row = idx / p.Dh;
  let t = (row / p.H) % p.T;
  let base = idx - d;
  let halfR = p.r / 2u;
  var i: u32;
  var i1: u32;
  var i2: u32;
  var first: bool;
  if (INTERLEAVED) {
    i = d / 2u;
    i1 = base + 2u * i;
    i2 = i1 + 1u;
    first = d % 2u == 0u;
  } else {
    first = d < halfR;
    i = select(d - halfR, d, first);
    i1 = base + i;
    i2 = i1 + halfR;
  }
  let inv = exp2(-(f32(2u * i) / f32(p.r)) * p.log2theta);
  let sc = sin_cos(f32(t) * inv);
  let c = sc.y;
  let s = select(sc.x, -sc.x, INVERSE);
  let x1 = X[i1];
  let x2 = X[i2];
  Y[idx] = select(x2 * c + x1 * s, x1 * c - x2 * s, first);
}
