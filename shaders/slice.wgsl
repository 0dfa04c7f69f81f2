// Slice along one axis: x [outer, T, inner] -> y [outer, len, inner] holding rows start..start+len-1 of the
// middle axis; with PAD (the backward), the other way: dy [outer, len, inner] -> dx [outer, T, inner], zeros
// outside the slice. One output element per invocation (workgroups numbered x + y * num_workgroups.x).
override WG: u32 = 256u;
override PAD: bool = false;

struct Params {
  n: u32,
  T: u32,
  start: u32,
  len: u32,
  inner: u32,
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
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.n) {
    return;
  }
  let e = i % p.inner;
  let r = i / p.inner;
  if (PAD) {
    let t = r % p.T;
    let o = r / p.T;
    if (t >= p.start && t < p.start + p.len) {
      Y[i] = X[(o * p.len + t - p.start) * p.inner + e];
    } else {
      Y[i] = 0.0;
    }
  } else {
    let t = r % p.len;
    let o = r / p.len;
    Y[i] = X[(o * p.T + p.start + t) * p.inner + e];
  }
}
