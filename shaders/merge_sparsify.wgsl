// Sparsification of task vectors (mergekit's sparsify.py; CPU reference: src/kernels/merge-sparsify.ts).
//   delta: D[k * n + i] = E[k * n + i] - B[i]
//   mask:  Y = D masked per expert k with PK[4k] = 1 (else Y = D):
//          METHOD 1 (select): keep when SEL[2k] <= key < SEL[2k + 1] (keys as in merge_select.wgsl);
//          METHOD 2 (random): keep when (hash(PK[4k + 2], i) >> 8) < PK[4k + 1];
//          and per workgroup the partial sums (sum |D|, sum |Y|) into PART for the L1 rescale.
//   della: Y = D masked by per-row ranks: the ascending rank of |D| (ties: lower index first) within the
//          row (dim 1, stride `inner`), counted against every entry of the row through workgroup tiles;
//          keep when (hash(PK[4k + 2], i) >> 8) < TBL[k * len + rank]; partial sums as in mask.
//   l1:    per expert, SC[k] = sum|D| / sum|Y| when PK[4k + 3] = 1 and both sums >= 1e-7, else 1.
//   scale: Y[k * n + i] *= SC[k].
// hash: two rounds of pcg_hash, as src/kernels/merge-rng.ts. Workgroups are numbered linearly
// (x + y * num_workgroups.x); surplus ones return at once. WG is a power of two.
override WG: u32 = 256u;
override METHOD: u32 = 0u;

struct Params {
  n: u32,
  k: u32,
  blocks: u32,
  desc: u32,
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

fn keyGE(hi: u32, lo: u32, s: u32) -> bool {
  let h = SEL[s * 4u];
  return hi > h || (hi == h && lo >= SEL[s * 4u + 1u]);
}

// sums a and b over the workgroup; invocation 0 writes them to PART[2 * slot], PART[2 * slot + 1]
fn partials(slot: u32, l: u32, a: f32, b: f32) {
  s0[l] = a;
  s1[l] = b;
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st = st / 2u) {
    if (l < st) {
      s0[l] += s0[l + st];
      s1[l] += s1[l + st];
    }
    workgroupBarrier();
  }
  if (l == 0u) {
    PART[2u * slot] = s0[0];
    PART[2u * slot + 1u] = s1[0];
  }
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
  let i = (g % p.blocks) * WG + lid.x;
  var x = 0.0;
  var y = 0.0;
  if (i < p.n) {
    x = D[k * p.n + i];
    y = x;
    if (PK[4u * k] == 1u) {
      var keep = true;
      if (METHOD == 1u) {
        let hi = bitcast<u32>(x) & 0x7fffffffu;
        var lo = i;
        if (p.desc == 1u) {
          lo = p.n - 1u - i;
        }
        keep = keyGE(hi, lo, 2u * k) && !keyGE(hi, lo, 2u * k + 1u);
      } else if (METHOD == 2u) {
        keep = (maskHash(PK[4u * k + 2u], i) >> 8u) < PK[4u * k + 1u];
      }
      if (!keep) {
        y = 0.0;
      }
    }
    Y[k * p.n + i] = y;
  }
  partials(g, lid.x, abs(x), abs(y));
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
  let j = (rem % p.bpr) * WG + lid.x;
  let o = row / p.inner;
  let c = row % p.inner;
  let valid = j < p.len;
  let at = (o * p.len + j) * p.inner + c;
  var x = 0.0;
  var a = 0u;
  if (valid) {
    x = D[k * p.n + at];
    a = bitcast<u32>(x) & 0x7fffffffu;
  }
  var rank = 0u;
  for (var t0 = 0u; t0 < p.len; t0 += WG) {
    let jj = t0 + lid.x;
    if (jj < p.len) {
      tile[lid.x] = bitcast<u32>(D[k * p.n + (o * p.len + jj) * p.inner + c]) & 0x7fffffffu;
    }
    workgroupBarrier();
    if (valid) {
      let m = min(WG, p.len - t0);
      for (var q = 0u; q < m; q++) {
        let b = tile[q];
        if (b < a || (b == a && t0 + q < j)) {
          rank += 1u;
        }
      }
    }
    workgroupBarrier();
  }
  var y = x;
  if (valid) {
    if (PK[4u * k] == 1u && (maskHash(PK[4u * k + 2u], at) >> 8u) >= TBL[k * p.len + rank]) {
      y = 0.0;
    }
    Y[k * p.n + at] = y;
  }
  partials(g, lid.x, abs(x), abs(y));
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
  for (var q = lid.x; q < p.blocks; q += WG) {
    a += PART[2u * (k * p.blocks + q)];
    b += PART[2u * (k * p.blocks + q) + 1u];
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
    if (PK[4u * k + 3u] == 1u && s0[0] >= 1e-7 && s1[0] >= 1e-7) {
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
