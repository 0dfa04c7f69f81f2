// Linear layer: Y[M,N] = X[M,K] · W + bias.  W is [K,N] ('kn') or [N,K] ('nk', NK = true).
// Register-blocked tiled matmul: a WG x WGY workgroup computes a BM x BN = (WGY*4) x (WG*4) block of Y,
// each invocation a 4 x 4 sub-block (rows ly + i*WGY, columns lx + j*WG). WGY = WG but for a few rows
// (one text, a decode step): then fewer rows per block, so padding rows are not computed. X and W tiles of depth BK
// are staged in workgroup memory (BK * BM f32 for X, BK * BN WTile for W). Workgroups are numbered
// linearly (x + y * num_workgroups.x); surplus ones exit before touching memory.
// The weight format comes from a prelude (shaders/lib/linear_weights_*.wgsl): the W binding (1), the
// W tile `tileW`, its element type WTile and weight(i), element i of W as WTile. Products and sums are
// f32 in every format.
override WG: u32 = 16u;
override WGY: u32 = WG;
override BK: u32 = 16u;
override NK: bool = false;
override HAS_BIAS: bool = false;
override BM: u32 = WGY * 4u;
override BN: u32 = WG * 4u;
const TM: u32 = 4u;
const TN: u32 = 4u;

struct Params {
  M: u32,
  K: u32,
  N: u32,
  tilesN: u32,
  total: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// tileX[k * BM + r] = X[row0 + r, k0 + k];  tileW[k * BN + c] = W(k0 + k, col0 + c) (declared by the prelude)
var<workgroup> tileX: array<f32, BK * BM>;

@compute @workgroup_size(WG, WGY)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= p.total) {
    return;
  }
  let row0 = (wg / p.tilesN) * BM;
  let col0 = (wg % p.tilesN) * BN;
  let lin = lid.y * WG + lid.x;
  let nthreads = WG * WGY;
  var acc: array<f32, 16>;
  for (var i = 0u; i < TM * TN; i = i + 1u) {
    acc[i] = 0.0;
  }
  let steps = (p.K + BK - 1u) / BK;
  for (var s = 0u; s < steps; s = s + 1u) {
    let k0 = s * BK;
    // X tile: consecutive threads walk k (contiguous in X)
    for (var e = lin; e < BM * BK; e = e + nthreads) {
      let r = e / BK;
      let k = e % BK;
      var v = 0.0;
      if (row0 + r < p.M && k0 + k < p.K) {
        v = X[(row0 + r) * p.K + k0 + k];
      }
      tileX[k * BM + r] = v;
    }
    // W tile: consecutive threads walk the contiguous axis of W (n for 'kn', k for 'nk')
    for (var e = lin; e < BN * BK; e = e + nthreads) {
      var k: u32;
      var c: u32;
      if (NK) {
        k = e % BK;
        c = e / BK;
      } else {
        k = e / BN;
        c = e % BN;
      }
      var v = WTile(0);
      if (col0 + c < p.N && k0 + k < p.K) {
        if (NK) {
          v = weight((col0 + c) * p.K + k0 + k);
        } else {
          v = weight((k0 + k) * p.N + col0 + c);
        }
      }
      tileW[k * BN + c] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k = k + 1u) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < TM; i = i + 1u) {
        a[i] = tileX[k * BM + lid.y + i * WGY];
      }
      for (var j = 0u; j < TN; j = j + 1u) {
        b[j] = f32(tileW[k * BN + lid.x + j * WG]);
      }
      for (var i = 0u; i < TM; i = i + 1u) {
        for (var j = 0u; j < TN; j = j + 1u) {
          acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i = i + 1u) {
    let row = row0 + lid.y + i * WGY;
    for (var j = 0u; j < TN; j = j + 1u) {
      let col = col0 + lid.x + j * WG;
      if (row < p.M && col < p.N) {
        var v = acc[i * TN + j];
        if (HAS_BIAS) {
          v = v + bias[col];
        }
        Y[row * p.N + col] = v;
      }
    }
  }
}
