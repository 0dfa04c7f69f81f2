// Similarity matrix S[Q,N] between query rows q[Q,D] and document rows d[N,D] (both row-major).
// DOT:    S = q . d
// COSINE: S = (q . d) / (max(||q||, 1e-12) * max(||d||, 1e-12)); the squared norms are accumulated in
//         the same pass over the staged tiles, so no normalised copies are materialised.
// Tiled like matmul: each workgroup owns a TILE x TILE block of S, numbered linearly.
override TILE: u32 = 16u;
override COSINE: bool = false;

struct Params {
  Q: u32,
  N: u32,
  D: u32,
  tilesN: u32,
  totalTiles: u32,
}

@group(0) @binding(0) var<storage, read> QM: array<f32>;
@group(0) @binding(1) var<storage, read> DM: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> tileQ: array<f32, TILE * TILE>;
var<workgroup> tileD: array<f32, TILE * TILE>;

@compute @workgroup_size(TILE, TILE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= p.totalTiles) {
    return;
  }
  let qBase = (wg / p.tilesN) * TILE;
  let dBase = (wg % p.tilesN) * TILE;
  let qi = qBase + lid.y;
  let di = dBase + lid.x;
  let steps = (p.D + TILE - 1u) / TILE;
  var dotAcc = 0.0;
  var qq = 0.0;
  var dd = 0.0;
  for (var t = 0u; t < steps; t = t + 1u) {
    let k = t * TILE + lid.x;
    // tileQ[r][c] = q[qBase + r][t*TILE + c]; tileD[r][c] = d[dBase + r][t*TILE + c]
    var qv = 0.0;
    if (qi < p.Q && k < p.D) {
      qv = QM[qi * p.D + k];
    }
    tileQ[lid.y * TILE + lid.x] = qv;
    let dr = dBase + lid.y;
    var dv = 0.0;
    if (dr < p.N && k < p.D) {
      dv = DM[dr * p.D + k];
    }
    tileD[lid.y * TILE + lid.x] = dv;
    workgroupBarrier();
    for (var c = 0u; c < TILE; c = c + 1u) {
      let a = tileQ[lid.y * TILE + c];
      let b = tileD[lid.x * TILE + c];
      dotAcc = dotAcc + a * b;
      if (COSINE) {
        qq = qq + a * a;
        dd = dd + b * b;
      }
    }
    workgroupBarrier();
  }
  if (qi < p.Q && di < p.N) {
    var s = dotAcc;
    if (COSINE) {
      s = dotAcc / (max(sqrt(qq), 1e-12) * max(sqrt(dd), 1e-12));
    }
    S[qi * p.N + di] = s;
  }
}
