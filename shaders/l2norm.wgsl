// Row L2 normalisation: y[r,:] = x[r,:] / max(||x[r,:]||2, 1e-12).
// One workgroup per row; each invocation sums a strided slice of squares, then a tree reduction in
// workgroup memory (workgroup_sum, shaders/lib/workgroup_reduce.wgsl, prepended) gives the row's sum of
// squares. WG must be a power of two.
override WG: u32 = 256u;

struct Params {
  rows: u32,
  dim: u32,
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
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) {
    return;
  }
  let base = row * p.dim;
  var s = 0.0;
  for (var i = lid.x; i < p.dim; i = i + WG) {
    let v = X[base + i];
    s = s + v * v;
  }
  let inv = 1.0 / max(sqrt(workgroup_sum(s, lid.x)), 1e-12);
  for (var i = lid.x; i < p.dim; i = i + WG) {
    Y[base + i] = X[base + i] * inv;
  }
}
