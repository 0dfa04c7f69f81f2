// Row normalisation over the last axis, one workgroup per row (WG a power of two).
//   layer norm (RMS = false): y = (x - mean) / sqrt(var + eps) * gamma (+ beta when HAS_BETA),
//                             two passes: mean, then the biased variance of (x - mean).
//   rms norm   (RMS = true):  y = x / sqrt(mean(x^2) + eps) * (ADD_ONE ? 1 + gamma : gamma).
// Without beta the host binds gamma in its slot; it is not read. workgroup_sum comes from
// shaders/lib/workgroup_reduce.wgsl (prepended).
override WG: u32 = 256u;
override RMS: bool = false;
override HAS_BETA: bool = false;
override ADD_ONE: bool = false;

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

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
  let n = f32(p.dim);
  var mean = 0.0;
  if (!RMS) {
    var s = 0.0;
    for (var i = lid.x; i < p.dim; i = i + WG) {
      s = s + X[base + i];
    }
    mean = workgroup_sum(s, lid.x) / n;
  }
  var ss = 0.0;
  for (var i = lid.x; i < p.dim; i = i + WG) {
    let c = X[base + i] - mean;
    ss = ss + c * c;
  }
  let inv = inverseSqrt(workgroup_sum(ss, lid.x) / n + p.eps);
  for (var i = lid.x; i < p.dim; i = i + WG) {
    var g = gamma[i];
    if (ADD_ONE) {
      g = 1.0 + g;
    }
    var y = (X[base + i] - mean) * inv * g;
    if (HAS_BETA) {
      y = y + beta[i];
    }
    Y[base + i] = y;
  }
}
