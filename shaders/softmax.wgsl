// Softmax over the last axis, one workgroup per row (WG a power of two):
// m = max(x), y = exp(x - m) / sum(exp(x - m)). workgroup_max and workgroup_sum come from
// shaders/lib/workgroup_reduce.wgsl (prepended).
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
  var m = -3.4028234663852886e38;
  for (var i = lid.x; i < p.dim; i = i + WG) {
    m = max(m, X[base + i]);
  }
  let rowMax = workgroup_max(m, lid.x);
  var s = 0.0;
  for (var i = lid.x; i < p.dim; i = i + WG) {
    s = s + exp(X[base + i] - rowMax);
  }
  let inv = 1.0 / workgroup_sum(s, lid.x);
  for (var i = lid.x; i < p.dim; i = i + WG) {
    Y[base + i] = exp(X[base + i] - rowMax) * inv;
  }
}
