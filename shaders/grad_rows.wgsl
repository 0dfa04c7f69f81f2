// Row-wise backward passes, one workgroup per row (WG a power of two).
//   softmax: A = y; dx = y * (dy - Σ dy*y)
//   l2norm:  A = x; n = max(||x||, 1e-12), y = x / n; dx = (dy - y (y·dy)) / n (y·dy taken as 0 when ||x|| <= 1e-12)
// workgroup_sum comes from shaders/lib/workgroup_reduce.wgsl (prepended).
override WG: u32 = 256u;

struct Params {
  rows: u32,
  dim: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn row_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

@compute @workgroup_size(WG)
fn softmax(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= p.rows) {
    return;
  }
  let base = row * p.dim;
  var s = 0.0;
  for (var i = lid.x; i < p.dim; i = i + WG) {
    s = fma(DY[base + i], A[base + i], s);
  }
  let total = workgroup_sum(s, lid.x);
  for (var i = lid.x; i < p.dim; i = i + WG) {
    DX[base + i] = A[base + i] * (DY[base + i] - total);
  }
}

@compute @workgroup_size(WG)
fn l2norm(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= p.rows) {
    return;
  }
  let base = row * p.dim;
  var ss = 0.0;
  var xd = 0.0;
  for (var i = lid.x; i < p.dim; i = i + WG) {
    let x = A[base + i];
    ss = fma(x, x, ss);
    xd = fma(x, DY[base + i], xd);
  }
  let norm = sqrt(workgroup_sum(ss, lid.x));
  let dot = workgroup_sum(xd, lid.x);
  let n = max(norm, 1e-12);
  let yd = select(0.0, dot / n, norm > 1e-12);
  for (var i = lid.x; i < p.dim; i = i + WG) {
    DX[base + i] = (DY[base + i] - A[base + i] / n * yd) / n;
  }
}
