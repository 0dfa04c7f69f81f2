// Tiled attention backward (flash-attention-2 style), f32, probabilities recomputed from q, k and the row
// statistics that flash_attention.wgsl 'stats' wrote: ST[2 row] = lse, ST[2 row + 1] = delta = dy · o.
// Prepended: lib/attention_tile.wgsl (Params `p`, key_lo/key_hi, cap_score, cap_grad). q/dy [B,T,Hq,Dh],
// k/v [B,T,Hkv,Dh] (no KV cache: Tk = T), mask [B,T]. For a visible (i, j):
//   s = cap_score(scale q_i·k_j), p_ij = exp(s - lse_i), dp_ij = dy_i·v_j, ds_ij = p_ij (dp_ij - delta_i) cap_grad(s) scale
//   dq_i = Σ_j ds_ij k_j,  dk_j = Σ_(i,h) ds_ij q_i,  dv_j = Σ_(i,h) p_ij dy_i   (h: the query heads of j's kv head)
// Tiles BQ = p.bq, BK = p.bk and the override-sized arrays QW, KW, SW, RW as in flash_attention.wgsl.
// 'dq': one workgroup per (b, tile of BQ queries, head h); walks the key tiles, K and V tiles in workgroup
//   memory; memory (3 QW + 2 KW + 2 SW + 2 RW) f32.
// 'dkv': one workgroup per (b, tile of BK keys, kv head g); walks the query heads of g and the query tiles
//   that can see its keys, accumulating dk and dv for its own keys only (no atomics, no T x T in global
//   memory); memory (2 QW + 4 KW + 2 SW + 2 RW) f32.
// Padded keys are loaded as zeros and get zero gradients.
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
@group(0) @binding(5) var<storage, read> ST: array<f32>;
@group(0) @binding(6) var<storage, read_write> O1: array<f32>;
@group(0) @binding(7) var<storage, read_write> O2: array<f32>;

var<workgroup> qs: array<f32, QW>;
var<workgroup> dys: array<f32, QW>;
var<workgroup> ks: array<f32, KW>;
var<workgroup> vs: array<f32, KW>;
var<workgroup> ps: array<f32, SW>;
var<workgroup> rowLse: array<f32, RW>;
var<workgroup> rowDelta: array<f32, RW>;

var<workgroup> dss: array<f32, SW>;
// the accumulators: dq's dqa, dkv's dka and dva (an entry point's workgroup memory holds only the
// variables it uses)
var<workgroup> dqa: array<f32, QW>;
var<workgroup> dka: array<f32, KW>;
var<workgroup> dva: array<f32, KW>;

// K and V rows of kv head g at keys j0 .. j0 + nk (zeros past nk and for padded keys)
fn load_keys(b: u32, g: u32, j0: u32, nk: u32, lane: u32) {
  for (var e = lane; e < p.bk * p.Dh; e = e + WG) {
    let c = e / p.Dh;
    var x = 0.0;
    var y = 0.0;
    if (c < nk && MASK[b * p.T + j0 + c] != 0.0) {
      let o = ((b * p.T + j0 + c) * p.Hkv + g) * p.Dh + e % p.Dh;
      x = K[o];
      y = V[o];
    }
    ks[e] = x;
    vs[e] = y;
  }
}

// q, dy rows and statistics of query head h at queries i0 .. i0 + rows (zeros past rows)
fn load_queries(b: u32, h: u32, i0: u32, rows: u32, lane: u32) {
  for (var e = lane; e < p.bq * p.Dh; e = e + WG) {
    let r = e / p.Dh;
    var x = 0.0;
    var y = 0.0;
    if (r < rows) {
      let o = ((b * p.T + i0 + r) * p.Hq + h) * p.Dh + e % p.Dh;
      x = Q[o];
      y = DY[o];
    }
    qs[e] = x;
    dys[e] = y;
  }
  for (var r = lane; r < p.bq; r = r + WG) {
    var lse = 0.0;
    var delta = 0.0;
    if (r < rows) {
      let row = (b * p.T + i0 + r) * p.Hq + h;
      lse = ST[2u * row];
      delta = ST[2u * row + 1u];
    }
    rowLse[r] = lse;
    rowDelta[r] = delta;
  }
}

// p_rc into ps and ds_rc into dss (zeros where (i0 + r, j0 + c) is not visible), from the loaded tiles
fn probs(b: u32, i0: u32, rows: u32, j0: u32, nk: u32, lane: u32) {
  for (var e = lane; e < p.bq * p.bk; e = e + WG) {
    let r = e / p.bk;
    let c = e % p.bk;
    let j = j0 + c;
    var pr = 0.0;
    var ds = 0.0;
    if (r < rows && c < nk) {
      let pos = i0 + r;
      if (MASK[b * p.T + j] != 0.0 && j >= key_lo(pos) && j < key_hi(pos)) {
        var dot = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < p.Dh; d = d + 1u) {
          dot = fma(qs[r * p.Dh + d], ks[c * p.Dh + d], dot);
          dp = fma(dys[r * p.Dh + d], vs[c * p.Dh + d], dp);
        }
        let s = cap_score(dot * p.scale);
        pr = exp(s - rowLse[r]);
        ds = pr * (dp - rowDelta[r]) * cap_grad(s) * p.scale;
      }
    }
    ps[e] = pr;
    dss[e] = ds;
  }
}

@compute @workgroup_size(WG)
fn dq(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let lane = lid.x;
  let w = wid.x + wid.y * nwg.x;
  let nqt = (p.T + p.bq - 1u) / p.bq;
  if (w >= p.B * nqt * p.Hq) {
    return;
  }
  let h = w % p.Hq;
  let b = w / (p.Hq * nqt);
  let i0 = ((w / p.Hq) % nqt) * p.bq;
  let rows = min(p.bq, p.T - i0);
  let g = h / (p.Hq / p.Hkv);
  load_queries(b, h, i0, rows, lane);
  for (var e = lane; e < p.bq * p.Dh; e = e + WG) {
    dqa[e] = 0.0;
  }
  let jlo = key_lo(i0);
  let jhi = key_hi(i0 + rows - 1u);
  for (var j0 = jlo; j0 < jhi; j0 = j0 + p.bk) {
    let nk = min(p.bk, jhi - j0);
    load_keys(b, g, j0, nk, lane);
    workgroupBarrier();
    probs(b, i0, rows, j0, nk, lane);
    workgroupBarrier();
    for (var e = lane; e < p.bq * p.Dh; e = e + WG) {
      let r = e / p.Dh;
      let d = e % p.Dh;
      var a = dqa[e];
      for (var c = 0u; c < nk; c = c + 1u) {
        a = fma(dss[r * p.bk + c], ks[c * p.Dh + d], a);
      }
      dqa[e] = a;
    }
    workgroupBarrier();
  }
  for (var e = lane; e < rows * p.Dh; e = e + WG) {
    O1[((b * p.T + i0 + e / p.Dh) * p.Hq + h) * p.Dh + e % p.Dh] = dqa[e];
  }
}

@compute @workgroup_size(WG)
fn dkv(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let lane = lid.x;
  let w = wid.x + wid.y * nwg.x;
  let nkt = (p.T + p.bk - 1u) / p.bk;
  if (w >= p.B * nkt * p.Hkv) {
    return;
  }
  let g = w % p.Hkv;
  let b = w / (p.Hkv * nkt);
  let j0 = ((w / p.Hkv) % nkt) * p.bk;
  let nk = min(p.bk, p.T - j0);
  load_keys(b, g, j0, nk, lane);
  for (var e = lane; e < p.bk * p.Dh; e = e + WG) {
    dka[e] = 0.0;
    dva[e] = 0.0;
  }
  // the queries that may see a key of the tile: i >= j0 when causal, j0 - window < i < j0 + nk - 1 + window
  var ilo = 0u;
  var ihi = p.T;
  if (p.window > 0u) {
    if (j0 + 1u > p.window) {
      ilo = j0 + 1u - p.window;
    }
    ihi = min(ihi, j0 + nk - 1u + p.window);
  }
  if (p.causal != 0u) {
    ilo = max(ilo, j0);
  }
  let group = p.Hq / p.Hkv;
  for (var hh = 0u; hh < group; hh = hh + 1u) {
    let h = g * group + hh;
    for (var i0 = ilo; i0 < ihi; i0 = i0 + p.bq) {
      let rows = min(p.bq, ihi - i0);
      workgroupBarrier(); // the previous tile's qs, dys, ps, dss are read
      load_queries(b, h, i0, rows, lane);
      workgroupBarrier();
      probs(b, i0, rows, j0, nk, lane);
      workgroupBarrier();
      for (var e = lane; e < p.bk * p.Dh; e = e + WG) {
        let c = e / p.Dh;
        let d = e % p.Dh;
        var a = dka[e];
        var v = dva[e];
        for (var r = 0u; r < rows; r = r + 1u) {
          a = fma(dss[r * p.bk + c], qs[r * p.Dh + d], a);
          v = fma(ps[r * p.bk + c], dys[r * p.Dh + d], v);
        }
        dka[e] = a;
        dva[e] = v;
      }
    }
  }
  for (var e = lane; e < nk * p.Dh; e = e + WG) {
    let o = ((b * p.T + j0 + e / p.Dh) * p.Hkv + g) * p.Dh + e % p.Dh;
    O1[o] = dka[e];
    O2[o] = dva[e];
  }
}
