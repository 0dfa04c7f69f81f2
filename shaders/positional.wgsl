// Positions added to token embeddings x [B,T,D], one element per invocation.
//   MODE 0: y[b,t,d] = x[b,t,d] + table[t,d]   (table [P,D], P >= T; row-major so its first T rows)
//   MODE 1 ('concat', tensor2tensor): d < D/2: sin(t inv(d)), else cos(t inv(d - D/2)),
//           inv(i) = invMin * exp(-i * logRange / max(D/2 - 1, 1))
//   MODE 2 ('interleaved', Vaswani): d = 2i: sin(t inv(i)), d = 2i+1: cos(t inv(i)),
//           inv(i) = invMin * exp(-(2i / D) * logRange)
// logRange = ln(maxTimescale / minTimescale), invMin = 1 / minTimescale. For sinusoids the host binds
// x in the table slot; it is not read. Angles are f32; sin/cos from sin_cos (shaders/lib/sin_cos.wgsl, prepended).
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
