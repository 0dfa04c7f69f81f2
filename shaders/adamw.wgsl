// Optimiser and accumulation ops, one element per invocation (sumsq: one chunk per workgroup).
//   adamw: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (m*ibc1 / (sqrt(v*ibc2) + eps) + wd * p)
//          with ibc1 = 1/(1-b1^t), ibc2 = 1/(1-b2^t), omb1 = 1-b1, omb2 = 1-b2 computed on the host in f64
//          (1 - b2 in f32 would lose ~1e-5 relative to cancellation). All programs pass a 48-byte block.
//   zero: P = 0.   axpy: P += a * G.   sumsq: MB[wg] = Σ G[i]^2 over the workgroup's CHUNK elements
//   (workgroup_sum from shaders/lib/workgroup_reduce.wgsl, prepended).
override WG: u32 = 256u;
override CHUNK: u32 = 4096u;

struct Params {
  n: u32,
  a: f32,
  b1: f32,
  b2: f32,
  eps: f32,
  wd: f32,
  ibc1: f32,
  ibc2: f32,
  omb1: f32,
  omb2: f32,
}

@group(0) @binding(0) var<storage, read_write> P: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> MB: array<f32>;
@group(0) @binding(3) var<storage, read_write> VB: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn adamw(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) {
    return;
  }
  let g = G[i];
  let m = p.b1 * MB[i] + p.omb1 * g;
  let v = p.b2 * VB[i] + p.omb2 * g * g;
  MB[i] = m;
  VB[i] = v;
  let w = P[i];
  P[i] = w - p.a * (m * p.ibc1 / (sqrt(v * p.ibc2) + p.eps) + p.wd * w);
}

@compute @workgroup_size(WG)
fn zero(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i < p.n) {
    P[i] = 0.0;
  }
}

@compute @workgroup_size(WG)
fn axpy(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i < p.n) {
    P[i] = fma(p.a, G[i], P[i]);
  }
}

@compute @workgroup_size(WG)
fn sumsq(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let w = wid.x + wid.y * nwg.x;
  let start = w * CHUNK;
  let end = min(start + CHUNK, p.n);
  var s = 0.0;
  for (var i = start + lid.x; i < end; i = i + WG) {
    s = fma(G[i], G[i], s);
  }
  let total = workgroup_sum(s, lid.x);
  if (lid.x == 0u && start < max(p.n, 1u)) {
    MB[w] = total;
  }
}
