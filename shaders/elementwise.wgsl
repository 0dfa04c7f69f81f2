// Elementwise arithmetic over flat f32 tensors, one element per invocation.
//   binary (OP 0 add, 1 mul): Y[i] = A[i] op B[i % bdim]; bdim = n (same shape) or D (b [D] broadcast
//                             over the rows of a [..., D]).
//   scale:                    Y[i] = A[i] * s.
// Workgroups are numbered linearly (x + y * num_workgroups.x); indices >= n do nothing.
override WG: u32 = 256u;
override OP: u32 = 0u;

struct Binary {
  n: u32,
  bdim: u32,
}

struct Scale {
  n: u32,
  s: f32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> pb: Binary;
@group(0) @binding(4) var<uniform> ps: Scale;

@compute @workgroup_size(WG)
fn binary(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= pb.n) {
    return;
  }
  let b = B[i % pb.bdim];
  if (OP == 0u) {
    Y[i] = A[i] + b;
  } else {
    Y[i] = A[i] * b;
  }
}

@compute @workgroup_size(WG)
fn scale(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= ps.n) {
    return;
  }
  Y[i] = A[i] * ps.s;
}
