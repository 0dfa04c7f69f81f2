// Linear backward helpers, one output element per invocation.
//   dw:     O = Aᵀ·B with A [M,K] (x), B [M,N] (dy), written [K,N] or, with NK, [N,K] (W's layout).
//   colsum: O[c] = Σ_r A[r*N + c] for A [M,N] (bias grads, dgamma/dbeta).
//   transpose: O [K,M] = Aᵀ for A [M,K] (so large dW products run on the tiled linear kernel).
override WG: u32 = 256u;
override NK: bool = false;

struct Params {
  M: u32,
  K: u32,
  N: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn dw(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let idx = flat_index(wid, nwg, lid);
  if (idx >= p.K * p.N) {
    return;
  }
  var k = idx / p.N;
  var n = idx % p.N;
  if (NK) {
    n = idx / p.K;
    k = idx % p.K;
  }
  var acc = 0.0;
  for (var i = 0u; i < p.M; i = i + 1u) {
    acc = fma(A[i * p.K + k], B[i * p.N + n], acc);
  }
  O[idx] = acc;
}

@compute @workgroup_size(WG)
fn colsum(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let c = flat_index(wid, nwg, lid);
  if (c >= p.N) {
    return;
  }
  var acc = 0.0;
  for (var r = 0u; r < p.M; r = r + 1u) {
    acc = acc + A[r * p.N + c];
  }
  O[c] = acc;
}

@compute @workgroup_size(WG)
fn transpose(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let idx = flat_index(wid, nwg, lid);
  if (idx >= p.M * p.K) {
    return;
  }
  let c = idx / p.M;
  let r = idx % p.M;
  O[idx] = A[r * p.K + c];
}
