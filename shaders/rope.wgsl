// Rotary position embedding on x [B,T,H,Dh] at positions offset..offset+T-1, one element per invocation.
// Pair i of the first r dims turns by t * theta^(-2i/r) (or t * freqs[i] when has_freq: rope_scaling's
// per-pair inverse frequencies): 'half' pairs (i, i + r/2), 'interleaved' (INTERLEAVED) pairs (2i, 2i+1);
// dims >= r are copied. cos and sin are multiplied by mscale. Angles are f32 (as HF's f32 rotary cache);
// their sin/cos come from sin_cos (shaders/lib/sin_cos.wgsl, prepended), not the imprecise builtins.
override WG: u32 = 256u;
override INTERLEAVED: bool = false;
// INVERSE rotates by -angle: the backward pass (mscale times the rotation's transpose) of the forward
override INVERSE: bool = false;

struct Params {
  n: u32,
  T: u32,
  H: u32,
  Dh: u32,
  r: u32,
  log2theta: f32,
  offset: u32,
  mscale: f32,
  has_freq: u32,
  // 256 pairs (MAX_ROPE_PAIRS in src/kernels/rope.ts), four to a vec4 (uniform arrays stride 16 bytes)
  freqs: array<vec4<f32>, 64>,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;


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
  let t = (row / p.H) % p.T + p.offset;
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
  var inv = exp2(-(f32(2u * i) / f32(p.r)) * p.log2theta);
  if (p.has_freq != 0u) {
    inv = p.freqs[i / 4u][i % 4u];
  }
  let sc = sin_cos(f32(t) * inv) * p.mscale;
  let c = sc.y;
  let s = select(sc.x, -sc.x, INVERSE);
  let x1 = X[i1];
  let x2 = X[i2];
  Y[idx] = select(x2 * c + x1 * s, x1 * c - x2 * s, first);
}
