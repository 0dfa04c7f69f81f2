// Exact per-row top-k by bitonic sorting of (score, index) pairs in workgroup memory.
// Order: higher score first; equal scores -> lower index first. Padding entries carry
// (padScore = -inf, index 0xffffffff) and therefore sort after every real entry.
//
// A pass splits each row of `len` entries into segments of S (a power of two >= 2 * kp), sorts each
// segment fully and keeps its best kp entries: output is [rows, segs, kp] (values and indices).
//   tile_sort: input is the raw score matrix, an entry's index is its column.
//   merge:     input is the previous pass's (value, index) lists, S / kp lists per segment.
// The host repeats merge passes until segs == 1; the result is then exact.
override S: u32 = 2048u;
override WG: u32 = 256u;

struct Params {
  rows: u32,
  len: u32,
  inStride: u32,
  segs: u32,
  kp: u32,
  total: u32,
  padScore: f32,
}

@group(0) @binding(0) var<storage, read> IN_VALS: array<f32>;
@group(0) @binding(1) var<storage, read> IN_IDX: array<u32>;
@group(0) @binding(2) var<storage, read_write> OUT_VALS: array<f32>;
@group(0) @binding(3) var<storage, read_write> OUT_IDX: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> sv: array<f32, S>;
var<workgroup> si: array<u32, S>;

fn better(av: f32, ai: u32, bv: f32, bi: u32) -> bool {
  return av > bv || (av == bv && ai < bi);
}

fn sortShared(lid: u32) {
  for (var size = 2u; size <= S; size = size << 1u) {
    for (var stride = size >> 1u; stride > 0u; stride = stride >> 1u) {
      for (var i = lid; i < S / 2u; i = i + WG) {
        let lo = 2u * stride * (i / stride) + (i % stride);
        let hi = lo + stride;
        let lv = sv[lo];
        let li = si[lo];
        let hv = sv[hi];
        let hi_ = si[hi];
        // Segments whose `size` bit is clear sort best-first, the others worst-first (bitonic runs).
        var swap = better(lv, li, hv, hi_);
        if ((lo & size) == 0u) {
          swap = better(hv, hi_, lv, li);
        }
        if (swap) {
          sv[lo] = hv;
          si[lo] = hi_;
          sv[hi] = lv;
          si[hi] = li;
        }
      }
      workgroupBarrier();
    }
  }
}

fn writeBest(wg: u32, lid: u32) {
  for (var j = lid; j < p.kp; j = j + WG) {
    OUT_VALS[wg * p.kp + j] = sv[j];
    OUT_IDX[wg * p.kp + j] = si[j];
  }
}

@compute @workgroup_size(WG)
fn tile_sort(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= p.total) {
    return;
  }
  let row = wg / p.segs;
  let start = (wg % p.segs) * S;
  for (var j = lid.x; j < S; j = j + WG) {
    let c = start + j;
    if (c < p.len) {
      sv[j] = IN_VALS[row * p.inStride + c];
      si[j] = c;
    } else {
      sv[j] = p.padScore;
      si[j] = 0xffffffffu;
    }
  }
  workgroupBarrier();
  sortShared(lid.x);
  writeBest(wg, lid.x);
}

@compute @workgroup_size(WG)
fn merge(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= p.total) {
    return;
  }
  let row = wg / p.segs;
  let start = (wg % p.segs) * S;
  for (var j = lid.x; j < S; j = j + WG) {
    let c = start + j;
    if (c < p.len) {
      sv[j] = IN_VALS[row * p.inStride + c];
      si[j] = IN_IDX[row * p.inStride + c];
    } else {
      sv[j] = p.padScore;
      si[j] = 0xffffffffu;
    }
  }
  workgroupBarrier();
  sortShared(lid.x);
  writeBest(wg, lid.x);
}
