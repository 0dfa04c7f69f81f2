// Exact radix selection of the key at a given ascending rank, per selection, over task vectors D [K, n]
// (CPU reference: src/kernels/merge-select.ts). Element i of expert k has the unique key
//   hi = bits(|D[k * n + i]|) (sign cleared), lo = DESC ? n - 1 - i : i.
// Selection s keeps its state in STATE[4s..4s+3] = (prefix hi, prefix lo, rank left, expert); the host
// launches only selections with 0 < rank < n (the others are no bound at all).
// Per 8-bit digit, from the top of hi down to the bottom of lo:
//   hist:   count the digit of every key whose bits above the digit equal the prefix (256 bins per selection);
//   narrow: walk the bins to the one holding the rank, append it to the prefix, subtract the counts below,
//           clear the bins for the next digit.
// After the last digit the prefix is the selected key. Each hist workgroup scans a chunk of `chunk`
// elements of one selection (few, long workgroups: their fixed cost dominates on software renderers).
// Workgroups are numbered linearly (x + y * num_workgroups.x); surplus ones return at once.
override WG: u32 = 256u;
override DESC: u32 = 0u;

struct Params {
  n: u32,
  sels: u32,
  blocks: u32,
  chunk: u32,
  word: u32,
  shift: u32,
  maskHi: u32,
  maskLo: u32,
}

@group(0) @binding(0) var<storage, read> D: array<f32>;
@group(0) @binding(1) var<storage, read_write> STATE: array<u32>;
@group(0) @binding(2) var<storage, read_write> HIST: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> lh: array<atomic<u32>, 256>;

@compute @workgroup_size(WG)
fn clear(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let s = wid.x + wid.y * nwg.x;
  if (s >= p.sels) {
    return;
  }
  for (var j = lid.x; j < 256u; j += WG) {
    atomicStore(&HIST[s * 256u + j], 0u);
  }
}

@compute @workgroup_size(WG)
fn hist(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.sels * p.blocks) {
    return;
  }
  let s = g / p.blocks;
  let b = g % p.blocks;
  for (var j = lid.x; j < 256u; j += WG) {
    atomicStore(&lh[j], 0u);
  }
  workgroupBarrier();
  let ph = STATE[s * 4u];
  let pl = STATE[s * 4u + 1u];
  let off = STATE[s * 4u + 3u] * p.n;
  let end = min(p.n, (b + 1u) * p.chunk);
  for (var i = b * p.chunk + lid.x; i < end; i += WG) {
    let hi = bitcast<u32>(D[off + i]) & 0x7fffffffu;
    var lo = i;
    if (DESC == 1u) {
      lo = p.n - 1u - i;
    }
    if ((hi & p.maskHi) == ph && (lo & p.maskLo) == pl) {
      var d = (hi >> p.shift) & 255u;
      if (p.word == 1u) {
        d = (lo >> p.shift) & 255u;
      }
      atomicAdd(&lh[d], 1u);
    }
  }
  workgroupBarrier();
  for (var j = lid.x; j < 256u; j += WG) {
    let c = atomicLoad(&lh[j]);
    if (c > 0u) {
      atomicAdd(&HIST[s * 256u + j], c);
    }
  }
}

@compute @workgroup_size(WG)
fn narrow(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let s = wid.x + wid.y * nwg.x;
  if (s >= p.sels) {
    return;
  }
  if (lid.x == 0u) {
    var r = STATE[s * 4u + 2u];
    var b = 0u;
    loop {
      let c = atomicLoad(&HIST[s * 256u + b]);
      if (b == 255u || r < c) {
        break;
      }
      r -= c;
      b += 1u;
    }
    if (p.word == 0u) {
      STATE[s * 4u] = STATE[s * 4u] | (b << p.shift);
    } else {
      STATE[s * 4u + 1u] = STATE[s * 4u + 1u] | (b << p.shift);
    }
    STATE[s * 4u + 2u] = r;
  }
  storageBarrier();
  for (var j = lid.x; j < 256u; j += WG) {
    atomicStore(&HIST[s * 256u + j], 0u);
  }
}
