// Tiled attention forward (flash-attention style), f32. Prepended: lib/attention_tile.wgsl (Params `p`,
// the visibility rule key_lo/key_hi, cap_score). q [B,T,Hq,Dh], k/v [B,Tk,Hkv,Dh], mask [B,Tk]; query head h
// reads kv head h / (Hq / Hkv). One workgroup per (b, tile of BQ queries, head h), h fastest. It walks the
// keys its queries can see in tiles of BK: the K tile goes to workgroup memory, the BQ x BK scores are
// computed there, each row's running max m and sum l are updated (online softmax) and its Dh accumulators
// rescaled by exp(m_old - m_new); then the V tile replaces the K tile and the accumulators take P·V.
// Nothing of size T x T is written to global memory. Padded keys are loaded as zeros (non-finite padding
// cannot leak through 0 * Inf); a query with no visible key writes zeros.
// Entry points: 'fwd' writes O [B,T,Hq,Dh]; 'stats' (for the backward) writes, per query row
// (b, i, h) at 2 * ((b * T + i) * Hq + h): the log-sum-exp of its scores and delta = dy · o (0, 0 for a
// row with no visible key).
// Tiles: BQ = p.bq queries, BK = p.bk keys, head dim p.Dh (uniforms, chosen per shape); the workgroup arrays
// are override-sized per device (QW >= BQ Dh, KW >= BK Dh, SW >= BQ BK, RW >= BQ: kernels/attention.ts
// flashTiles). Workgroup memory (2 QW + KW + SW + 3 RW) f32.
override WG: u32 = 64u;
override QW: u32 = 2048u; // words of a query tile array (>= BQ * Dh)
override KW: u32 = 2048u; // words of a key tile array (>= BK * Dh)
override SW: u32 = 1024u; // words of a score tile (>= BQ * BK)
override RW: u32 = 64u; // words of a per-row array (>= BQ)

@group(0) @binding(0) var<storage, read> Q: array<f32>;
@group(0) @binding(1) var<storage, read> K: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read> MASK: array<f32>;
@group(0) @binding(4) var<storage, read> DY: array<f32>;
@group(0) @binding(5) var<storage, read_write> ST: array<f32>;
@group(0) @binding(6) var<storage, read_write> O: array<f32>;

var<workgroup> qs: array<f32, QW>;
var<workgroup> kvs: array<f32, KW>;
var<workgroup> acc: array<f32, QW>;
var<workgroup> sc: array<f32, SW>;
var<workgroup> rowM: array<f32, RW>;
var<workgroup> rowL: array<f32, RW>;
var<workgroup> rowC: array<f32, RW>;

struct Tile {
  b: u32,
  h: u32,
  i0: u32,
  rows: u32,
}

// rows of kv head g at keys j0 .. j0 + nk into kvs (zeros past nk and for padded keys)
fn load_kv(src: u32, b: u32, g: u32, j0: u32, nk: u32, lane: u32) {
  for (var e = lane; e < p.bk * p.Dh; e = e + WG) {
    let c = e / p.Dh;
    var x = 0.0;
    if (c < nk && MASK[b * p.Tk + j0 + c] != 0.0) {
      let o = ((b * p.Tk + j0 + c) * p.Hkv + g) * p.Dh + e % p.Dh;
      if (src == 0u) {
        x = K[o];
      } else {
        x = V[o];
      }
    }
    kvs[e] = x;
  }
}

// Workgroup w's tile: runs the online softmax over every key tile its queries may see (a range that depends
// on w only, so the barriers stay in uniform control flow) and leaves the unnormalised outputs in acc and
// (m, l) per row in rowM, rowL.
fn attend(w: u32, lane: u32) -> Tile {
  let nqt = (p.T + p.bq - 1u) / p.bq;
  let h = w % p.Hq;
  let b = w / (p.Hq * nqt);
  let i0 = ((w / p.Hq) % nqt) * p.bq;
  let rows = min(p.bq, p.T - i0);
  let g = h / (p.Hq / p.Hkv);
  for (var e = lane; e < p.bq * p.Dh; e = e + WG) {
    let r = e / p.Dh;
    var x = 0.0;
    if (r < rows) {
      x = Q[((b * p.T + i0 + r) * p.Hq + h) * p.Dh + e % p.Dh];
    }
    qs[e] = x;
    acc[e] = 0.0;
  }
  for (var r = lane; r < p.bq; r = r + WG) {
    rowM[r] = NONE;
    rowL[r] = 0.0;
  }
  // the keys any query of the tile may see (the bounds grow with the position)
  let jlo = key_lo(query_pos(i0));
  let jhi = key_hi(query_pos(i0 + rows - 1u));
  for (var j0 = jlo; j0 < jhi; j0 = j0 + p.bk) {
    let nk = min(p.bk, jhi - j0);
    load_kv(0u, b, g, j0, nk, lane);
    workgroupBarrier();
    for (var e = lane; e < p.bq * p.bk; e = e + WG) {
      let r = e / p.bk;
      let c = e % p.bk;
      let j = j0 + c;
      var s = NONE;
      if (r < rows && c < nk) {
        let pos = query_pos(i0 + r);
        if (MASK[b * p.Tk + j] != 0.0 && j >= key_lo(pos) && j < key_hi(pos)) {
          var dot = 0.0;
          for (var d = 0u; d < p.Dh; d = d + 1u) {
            dot = fma(qs[r * p.Dh + d], kvs[c * p.Dh + d], dot);
          }
          s = cap_score(dot * p.scale);
        }
      }
      sc[e] = s;
    }
    workgroupBarrier();
    for (var r = lane; r < p.bq; r = r + WG) {
      let mOld = rowM[r];
      var m = mOld;
      for (var c = 0u; c < nk; c = c + 1u) {
        m = max(m, sc[r * p.bk + c]);
      }
      var sum = 0.0;
      for (var c = 0u; c < p.bk; c = c + 1u) {
        let s = sc[r * p.bk + c];
        var e = 0.0;
        if (s != NONE) {
          e = exp(s - m);
        }
        sc[r * p.bk + c] = e;
        sum = sum + e;
      }
      let corr = exp(mOld - m); // 1 while nothing is visible; 0 at the first visible key
      rowC[r] = corr;
      rowL[r] = rowL[r] * corr + sum;
      rowM[r] = m;
    }
    workgroupBarrier(); // the K tile is free
    load_kv(1u, b, g, j0, nk, lane);
    workgroupBarrier();
    for (var e = lane; e < p.bq * p.Dh; e = e + WG) {
      let r = e / p.Dh;
      let d = e % p.Dh;
      var a = acc[e] * rowC[r];
      for (var c = 0u; c < nk; c = c + 1u) {
        a = fma(sc[r * p.bk + c], kvs[c * p.Dh + d], a);
      }
      acc[e] = a;
    }
    workgroupBarrier();
  }
  return Tile(b, h, i0, rows);
}

@compute @workgroup_size(WG)
fn fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.B * ((p.T + p.bq - 1u) / p.bq) * p.Hq) {
    return;
  }
  let t = attend(w, lid.x);
  for (var e = lid.x; e < t.rows * p.Dh; e = e + WG) {
    let r = e / p.Dh;
    var y = 0.0;
    if (rowL[r] > 0.0) {
      y = acc[e] / rowL[r];
    }
    O[((t.b * p.T + t.i0 + r) * p.Hq + t.h) * p.Dh + e % p.Dh] = y;
  }
}

@compute @workgroup_size(WG)
fn stats(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.B * ((p.T + p.bq - 1u) / p.bq) * p.Hq) {
    return;
  }
  let t = attend(w, lid.x);
  for (var r = lid.x; r < t.rows; r = r + WG) {
    let row = (t.b * p.T + t.i0 + r) * p.Hq + t.h;
    var lse = 0.0;
    var delta = 0.0;
    let l = rowL[r];
    if (l > 0.0) {
      lse = rowM[r] + log(l);
      for (var d = 0u; d < p.Dh; d = d + 1u) {
        delta = fma(DY[row * p.Dh + d], acc[r * p.Dh + d], delta);
      }
      delta = delta / l;
    }
    ST[2u * row] = lse;
    ST[2u * row + 1u] = delta;
  }
}
