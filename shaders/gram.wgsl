// Gram matrix: C[i,j] = sum_n X[n,i] * X[n,j] for X [N,D], C [D,D] (symmetric).
// Each workgroup computes one TILE x TILE block (bi, bj) with bi <= bj and writes it and its mirror;
// blocks below the diagonal exit at once. Both operand tiles are rows of X staged in workgroup memory
// (adjacent invocations read adjacent columns). Workgroups are numbered linearly (x + y *
// num_workgroups.x) so the host can fold a large dispatch into two dimensions; surplus ones exit.
override TILE: u32 = 16u;

struct Params {
  rows: u32,
  cols: u32,
  tiles: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> C: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> tileI: array<f32, TILE * TILE>;
var<workgroup> tileJ: array<f32, TILE * TILE>;

@compute @workgroup_size(TILE, TILE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= p.tiles * p.tiles) {
    return;
  }
  let bi = wg / p.tiles;
  let bj = wg % p.tiles;
  if (bj < bi) {
    return;
  }
  let i = bi * TILE + lid.y;
  let j = bj * TILE + lid.x;
  let steps = (p.rows + TILE - 1u) / TILE;
  var acc = 0.0;
  for (var t = 0u; t < steps; t = t + 1u) {
    // tile row k holds X[t*TILE + k, block columns]
    let n = t * TILE + lid.y;
    let ci = bi * TILE + lid.x;
    let cj = bj * TILE + lid.x;
    var vi = 0.0;
    var vj = 0.0;
    if (n < p.rows) {
      if (ci < p.cols) {
        vi = X[n * p.cols + ci];
      }
      if (cj < p.cols) {
        vj = X[n * p.cols + cj];
      }
    }
    tileI[lid.y * TILE + lid.x] = vi;
    tileJ[lid.y * TILE + lid.x] = vj;
    workgroupBarrier();
    for (var k = 0u; k < TILE; k = k + 1u) {
      acc = acc + tileI[k * TILE + lid.y] * tileJ[k * TILE + lid.x];
    }
    workgroupBarrier();
  }
  if (i < p.cols && j < p.cols) {
    C[i * p.cols + j] = acc;
    if (bi != bj) {
      C[j * p.cols + i] = acc;
    }
  }
}
