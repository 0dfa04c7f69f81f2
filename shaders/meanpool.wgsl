// Masked mean pooling: y[b,d] = sum_t mask[b,t] * x[b,t,d] / max(sum_t mask[b,t], 1e-9).
// One invocation per output element (b,d); consecutive invocations read consecutive d (coalesced).
override WG: u32 = 64u;

struct Params {
  B: u32,
  T: u32,
  D: u32,
  total: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> MASK: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.total) {
    return;
  }
  let b = i / p.D;
  let d = i % p.D;
  var acc = 0.0;
  var msum = 0.0;
  for (var t = 0u; t < p.T; t = t + 1u) {
    let m = MASK[b * p.T + t];
    acc = acc + m * X[(b * p.T + t) * p.D + d];
    msum = msum + m;
  }
  Y[i] = acc / max(msum, 1e-9);
}
