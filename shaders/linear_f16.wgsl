// Linear layer with native f16 weights, for devices with the `shader-f16` feature (the runtime only
// selects it there). Weights are read as array<f16> (the same bytes as the packed-u32 layout of
// linear_f16w.wgsl) and staged as f16 in workgroup memory (half the W-tile footprint and bandwidth);
// every product and sum is f32 (f16 -> f32 is exact), so results equal linear_f16w.wgsl bit for bit.
// Activations are not narrowed: a transformer's residual stream can exceed f16's range and its 11-bit
// precision, and f16 accumulation over K ~ 10^3 terms loses several digits.
// Y[M,N] = X[M,K] · W + bias, W is [K,N] ('kn') or [N,K] ('nk', NK = true); tiling as linear.wgsl.
enable f16;

override WG: u32 = 16u;
override BK: u32 = 16u;
override NK: bool = false;
override HAS_BIAS: bool = false;
override BM: u32 = WG * 4u;
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
@group(0) @binding(1) var<storage, read> W: array<f16>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// tileX[k * BM + r] = X[row0 + r, k0 + k];  tileW[k * BN + c] = W(k0 + k, col0 + c)
var<workgroup> tileX: array<f32, BK * BM>;
var<workgroup> tileW: array<f16, BK * BN>;

@compute @workgroup_size(WG, WG)
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
  let nthreads = WG * WG;
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
      var v = 0.0h;
      if (col0 + c < p.N && k0 + k < p.K) {
        if (NK) {
          v = W[(col0 + c) * p.K + k0 + k];
        } else {
          v = W[(k0 + k) * p.N + col0 + c];
        }
      }
      tileW[k * BN + c] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k = k + 1u) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < TM; i = i + 1u) {
        a[i] = tileX[k * BM + lid.y + i * WG];
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
    let row = row0 + lid.y + i * WG;
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
