// Tree reductions over a workgroup in workgroup memory: WG (the including program's workgroup-size
// override) must be a power of two. Lane l adds (or takes the max of) lane l + half for half = WG/2,
// WG/4, ..., 1, so the order, and the result, is fixed. Every invocation gets the result, and `partial`
// is free again on return. Call in uniform control flow, with lane = local_invocation_id.x.
var<workgroup> partial: array<f32, WG>;

fn workgroup_sum(v: f32, lane: u32) -> f32 {
  return workgroup_reduce(v, lane, false);
}

fn workgroup_max(v: f32, lane: u32) -> f32 {
  return workgroup_reduce(v, lane, true);
}

fn workgroup_reduce(v: f32, lane: u32, take_max: bool) -> f32 {
  partial[lane] = v;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half = half / 2u) {
    if (lane < half) {
      let a = partial[lane];
      let b = partial[lane + half];
      partial[lane] = select(a + b, max(a, b), take_max);
    }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
