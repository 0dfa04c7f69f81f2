// Concatenation of a [outer, Ta, inner] and b [outer, Tb, inner] along the middle axis into
// y [outer, Ta + Tb, inner], one output element per invocation (workgroups numbered x + y * num_workgroups.x).
override WG: u32 = 256u;

struct Params {
  n: u32,
  ta: u32,
  tb: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.n) {
    return;
  }
  let e = i % p.inner;
  let r = i / p.inner;
  let len = p.ta + p.tb;
  let t = r % len;
  let o = r / len;
  if (t < p.ta) {
    Y[i] = A[(o * p.ta + t) * p.inner + e];
  } else {
    Y[i] = B[(o * p.tb + t - p.ta) * p.inner + e];
  }
}
