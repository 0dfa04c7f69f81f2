// Embedding gather: y[n,d] = table[ids[n], d]; an id >= V yields zeros (the host rejects such ids first).
override WG: u32 = 64u;

struct Params {
  V: u32,
  D: u32,
  total: u32,
}

@group(0) @binding(0) var<storage, read> TABLE: array<f32>;
@group(0) @binding(1) var<storage, read> IDS: array<u32>;
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
  let n = i / p.D;
  let d = i % p.D;
  let id = IDS[n];
  var v = 0.0;
  if (id < p.V) {
    v = TABLE[id * p.D + d];
  }
  Y[i] = v;
}
