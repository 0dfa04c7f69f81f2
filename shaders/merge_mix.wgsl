// Element-wise task-vector mixing (mergekit's generalized task arithmetic), one element per invocation:
//   wd_k = W[k] * D[k * n + i]
//   CONSENSUS 1: majority = sign(sum_k wd_k) with 0 -> +; keep k when sign(wd_k) == majority (0 agrees with
//                neither); mixed = sum of kept wd_k; divisor = sum of kept W[k], 0 -> 1.
//   CONSENSUS 0: mixed = sum_k wd_k; divisor = sum_k W[k], |divisor| < 1e-8 -> 1.
//   Y[i] = B[i] + lambda * (normalize ? mixed / divisor : mixed)
// Workgroups are numbered linearly (x + y * num_workgroups.x); indices >= n do nothing.
override WG: u32 = 256u;
override CONSENSUS: u32 = 0u;

struct Params {
  n: u32,
  k: u32,
  normalize: u32,
  lambda: f32,
}

@group(0) @binding(0) var<storage, read> B: array<f32>;
@group(0) @binding(1) var<storage, read> D: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn mix(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.n) {
    return;
  }
  var mixed = 0.0;
  var divisor = 0.0;
  if (CONSENSUS == 1u) {
    var s = 0.0;
    for (var k = 0u; k < p.k; k++) {
      s += W[k] * D[k * p.n + i];
    }
    var majority = 1.0;
    if (s < 0.0) {
      majority = -1.0;
    }
    for (var k = 0u; k < p.k; k++) {
      let wd = W[k] * D[k * p.n + i];
      if (wd != 0.0 && sign(wd) == majority) {
        mixed += wd;
        divisor += W[k];
      }
    }
    if (divisor == 0.0) {
      divisor = 1.0;
    }
  } else {
    for (var k = 0u; k < p.k; k++) {
      mixed += W[k] * D[k * p.n + i];
      divisor += W[k];
    }
    if (abs(divisor) < 1e-8) {
      divisor = 1.0;
    }
  }
  if (p.normalize == 1u) {
    mixed = mixed / divisor;
  }
  Y[i] = B[i] + p.lambda * mixed;
}
