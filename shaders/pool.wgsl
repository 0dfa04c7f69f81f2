// Token pooling x [B,T,D], mask [B,T] -> [B,D], one output element per invocation.
// LAST = false ('cls'): token 0. LAST = true: the last token whose mask is non-zero, zeros if none.
override WG: u32 = 64u;
override LAST: bool = false;

struct Params {
  B: u32,
  T: u32,
  D: u32,
  total: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let o = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (o >= p.total) {
    return;
  }
  let b = o / p.D;
  let d = o % p.D;
  var t = 0u;
  var found = true;
  if (LAST) {
    found = false;
    for (var s = p.T; s > 0u; s = s - 1u) {
      if (mask[b * p.T + s - 1u] != 0.0) {
        t = s - 1u;
        found = true;
        break;
      }
    }
  }
  var y = 0.0;
  if (found) {
    y = X[(b * p.T + t) * p.D + d];
  }
  Y[o] = y;
}
