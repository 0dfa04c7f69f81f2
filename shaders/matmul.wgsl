// Tiled matrix multiply: C[M,N] = A[M,K] x B[K,N]   (TRANSPOSE_B: B is stored [N,K]).
// Each workgroup computes one TILE x TILE block of C; A and B tiles are staged in workgroup memory.
// Workgroups are numbered linearly (x + y * num_workgroups.x) so the host can fold a large dispatch
// into two dimensions; surplus workgroups exit before touching memory.
override TILE: u32 = 16u;
override TRANSPOSE_B: bool = false;

struct Params {
  M: u32,
  K: u32,
  N: u32,
  tilesN: u32,
  totalTiles: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> tileA: array<f32, TILE * TILE>;
var<workgroup> tileB: array<f32, TILE * TILE>;

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
  let row = (wg / p.tilesN) * TILE + lid.y;
  let col = (wg % p.tilesN) * TILE + lid.x;
  let steps = (p.K + TILE - 1u) / TILE;
  var acc = 0.0;
  for (var t = 0u; t < steps; t = t + 1u) {
    // A tile: rows of this block, columns t*TILE.. ; B tile: rows t*TILE.., columns of this block.
    let ka = t * TILE + lid.x;
    var av = 0.0;
    if (row < p.M && ka < p.K) {
      av = A[row * p.K + ka];
    }
    tileA[lid.y * TILE + lid.x] = av;
    let kb = t * TILE + lid.y;
    var bv = 0.0;
    if (col < p.N && kb < p.K) {
      if (TRANSPOSE_B) {
        bv = B[col * p.K + kb];
      } else {
        bv = B[kb * p.N + col];
      }
    }
    tileB[lid.y * TILE + lid.x] = bv;
    workgroupBarrier();
    for (var i = 0u; i < TILE; i = i + 1u) {
      acc = acc + tileA[lid.y * TILE + i] * tileB[i * TILE + lid.x];
    }
    workgroupBarrier();
  }
  if (row < p.M && col < p.N) {
    C[row * p.N + col] = acc;
  }
}
