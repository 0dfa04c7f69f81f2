// Sparsification of task vectors (mergekit's sparsify.py; CPU reference: src/kernels/merge-sparsify.ts).
// Per expert k, PK[8k..8k+7] = (on, keep threshold, mask key, rescale, lower selection, upper selection,
// empty, 0); a selection index of 0xffffffff means "no bound".
//   delta: D[k * n + i] = E[k * n + i] - B[i]
//   mask:  Y = D masked when PK on (else Y = D); EPT elements per invocation:
//          METHOD 1 (select): keep when SEL[lower] <= key < SEL[upper] (keys as in merge_select.wgsl),
//                             nothing when the range is empty;
//          METHOD 2 (random): keep when (hash(key, i) >> 8) < threshold;
//          each invocation writes its (sum |D|, sum |Y|) to PART for the L1 rescale (no barriers).
//   della: Y = D masked by per-row ranks: the ascending rank of |D| (ties: lower index first) within the
//          row (dim 1, stride `inner`), counted against every entry of the row through workgroup tiles;
//          a workgroup takes a block of WG * 8 entries of one row; keep when
//          (hash(key, i) >> 8) < TBL[k * len + rank]; per-invocation sums as in mask.
//   l1:    per expert, SC[k] = sum|D| / sum|Y| when rescale is on and both sums >= 1e-7, else 1.
//   scale: Y[k * n + i] *= SC[k].
// hash: two rounds of pcg_hash, as src/kernels/merge-rng.ts. Workgroups are numbered linearly
// (x + y * num_workgroups.x); surplus ones return at once. WG is a power of two.
override WG: u32 = 256u;
override METHOD: u32 = 0u;
override DESC: u32 = 0u;
override EPT: u32 = 16u;
const NONE: u32 = 0xffffffffu;
const DELLA_EPT: u32 = 8u;

struct Params {
  n: u32,
  k: u32,
  blocks: u32,
  slots: u32,
  rows: u32,
  len: u32,
  inner: u32,
  bpr: u32,
}

@group(0) @binding(0) var<storage, read> E: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> DOUT: array<f32>;
@group(0) @binding(3) var<storage, read> D: array<f32>;
@group(0) @binding(4) var<storage, read> SEL: array<u32>;
@group(0) @binding(5) var<storage, read> PK: array<u32>;
@group(0) @binding(6) var<storage, read_write> Y: array<f32>;
@group(0) @binding(7) var<storage, read_write> PART: array<f32>;
@group(0) @binding(8) var<storage, read> TBL: array<u32>;
@group(0) @binding(9) var<storage, read_write> SC: array<f32>;
@group(0) @binding(10) var<uniform> p: Params;

var<workgroup> s0: array<f32, WG>;
var<workgroup> s1: array<f32, WG>;
var<workgroup> tile: array<u32, WG>;

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn maskHash(key: u32, i: u32) -> u32 {
  return pcg(pcg(i ^ key) + key);
}

// key (hi, lo) >= the key selected by selection s
fn keyGE(hi: u32, lo: u32, s: u32) -> bool {
  let h = SEL[s * 4u];
  return hi > h || (hi == h && lo >= SEL[s * 4u + 1u]);
}

@compute @workgroup_size(WG)
fn delta(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.k * p.n) {
    return;
  }
  DOUT[i] = E[i] - B[i % p.n];
}

@compute @workgroup_size(WG)
fn mask(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.k * p.blocks) {
    return;
  }
  let k = g / p.blocks;
  let b = g % p.blocks;
  let on = PK[8u * k] == 1u;
  let threshold = PK[8u * k + 1u];
  let key = PK[8u * k + 2u];
  let low = PK[8u * k + 4u];
  let high = PK[8u * k + 5u];
  let empty = PK[8u * k + 6u] == 1u;
  var sa = 0.0;
  var sb = 0.0;
  for (var e = 0u; e < EPT; e++) {
    let i = b * WG * EPT + e * WG + lid.x;
    if (i >= p.n) {
      break;
    }
    let x = D[k * p.n + i];
    var keep = true;
    if (on) {
      if (METHOD == 1u) {
        let hi = bitcast<u32>(x) & 0x7fffffffu;
        var lo = i;
        if (DESC == 1u) {
          lo = p.n - 1u - i;
        }
        keep = !empty && (low == NONE || keyGE(hi, lo, low)) && (high == NONE || !keyGE(hi, lo, high));
      } else if (METHOD == 2u) {
        keep = (maskHash(key, i) >> 8u) < threshold;
      }
    }
    var y = 0.0;
    if (keep) {
      y = x;
    }
    Y[k * p.n + i] = y;
    sa += abs(x);
    sb += abs(y);
  }
  let slot = k * p.slots + b * WG + lid.x;
  PART[2u * slot] = sa;
  PART[2u * slot + 1u] = sb;
}

@compute @workgroup_size(WG)
fn della(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.k * p.blocks) {
    return;
  }
  let k = g / p.blocks;
  let rem = g % p.blocks;
  let row = rem / p.bpr;
  let j0 = (rem % p.bpr) * WG * DELLA_EPT + lid.x;
  let o = row / p.inner;
  let c = row % p.inner;
  let rowOff = k * p.n + o * p.len * p.inner + c;
  var mag: array<u32, DELLA_EPT>;
  var rank: array<u32, DELLA_EPT>;
  for (var e = 0u; e < DELLA_EPT; e++) {
    let j = j0 + e * WG;
    if (j < p.len) {
      mag[e] = bitcast<u32>(D[rowOff + j * p.inner]) & 0x7fffffffu;
    }
    rank[e] = 0u;
  }
  for (var t0 = 0u; t0 < p.len; t0 += WG) {
    let jj = t0 + lid.x;
    if (jj < p.len) {
      tile[lid.x] = bitcast<u32>(D[rowOff + jj * p.inner]) & 0x7fffffffu;
    }
    workgroupBarrier();
    let m = min(WG, p.len - t0);
    for (var e = 0u; e < DELLA_EPT; e++) {
      let j = j0 + e * WG;
      if (j < p.len) {
        let a = mag[e];
        var r = 0u;
        for (var q = 0u; q < m; q++) {
          let b = tile[q];
          if (b < a || (b == a && t0 + q < j)) {
            r += 1u;
          }
        }
        rank[e] += r;
      }
    }
    workgroupBarrier();
  }
  let on = PK[8u * k] == 1u;
  let key = PK[8u * k + 2u];
  var sa = 0.0;
  var sb = 0.0;
  for (var e = 0u; e < DELLA_EPT; e++) {
    let j = j0 + e * WG;
    if (j < p.len) {
      let at = (o * p.len + j) * p.inner + c;
      let x = D[k * p.n + at];
      var y = x;
      if (on && (maskHash(key, at) >> 8u) >= TBL[k * p.len + rank[e]]) {
        y = 0.0;
      }
      Y[k * p.n + at] = y;
      sa += abs(x);
      sb += abs(y);
    }
  }
  let slot = k * p.slots + rem * WG + lid.x;
  PART[2u * slot] = sa;
  PART[2u * slot + 1u] = sb;
}

@compute @workgroup_size(WG)
fn l1(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let k = wid.x + wid.y * nwg.x;
  if (k >= p.k) {
    return;
  }
  var a = 0.0;
  var b = 0.0;
  for (var q = lid.x; q < p.slots; q += WG) {
    a += PART[2u * (k * p.slots + q)];
    b += PART[2u * (k * p.slots + q) + 1u];
  }
  s0[lid.x] = a;
  s1[lid.x] = b;
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st = st / 2u) {
    if (lid.x < st) {
      s0[lid.x] += s0[lid.x + st];
      s1[lid.x] += s1[lid.x + st];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    var s = 1.0;
    if (PK[8u * k + 3u] == 1u && s0[0] >= 1e-7 && s1[0] >= 1e-7) {
      s = s0[0] / s1[0];
    }
    SC[k] = s;
  }
}

@compute @workgroup_size(WG)
fn scale(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  if (i >= p.k * p.n) {
    return;
  }
  Y[i] = Y[i] * SC[i / p.n];
}
