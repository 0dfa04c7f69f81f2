// layerNorm / rmsNorm backward, one workgroup per row (WG a power of two). With xhat the normalised row,
// inv = 1/sqrt(var + eps) (RMS: 1/sqrt(mean(x^2) + eps)), g = gamma (ADD_ONE: 1 + gamma), dxh = dy * g:
//   layer: dx = inv * (dxh - mean(dxh) - xhat * mean(dxh * xhat));  rms: dx = inv * (dxh - xhat * mean(dxh * xhat))
// PROD[i] = dy * xhat, whose column sums (grad_linear colsum) are dgamma. workgroup_sum comes from
// shaders/lib/workgroup_reduce.wgsl (prepended).
override WG: u32 = 256u;
override RMS: bool = false;
override ADD_ONE: bool = false;

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@group(0) @binding(4) var<storage, read_write> PROD: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

fn g_at(i: u32) -> f32 {
  return select(gamma[i], 1.0 + gamma[i], ADD_ONE);
}

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
  var sd = 0.0;
  var sdx = 0.0;
  for (var i = lid.x; i < p.dim; i = i + WG) {
    let xh = (X[base + i] - mean) * inv;
    let d = DY[base + i] * g_at(i);
    sd = sd + d;
    sdx = sdx + d * xh;
  }
  let meanD = workgroup_sum(sd, lid.x) / n;
  let meanDX = workgroup_sum(sdx, lid.x) / n;
  for (var i = lid.x; i < p.dim; i = i + WG) {
    let xh = (X[base + i] - mean) * inv;
    let d = DY[base + i] * g_at(i);
    var c = d - xh * meanDX;
    if (!RMS) {
      c = c - meanD;
    }
    DX[base + i] = inv * c;
    PROD[base + i] = DY[base + i] * xh;
  }
}
