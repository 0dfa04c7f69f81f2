// Linear layer with half-precision weights packed two per u32 (element 2i in the low 16 bits), for every
// adapter: weights are unpacked with the core builtin unpack2x16float and all arithmetic is f32, so the
// result equals shaders/linear.wgsl run on the f16-rounded weights. Same tiling as linear.wgsl:
// Y[M,N] = X[M,K] · W + bias, W is [K,N] ('kn') or [N,K] ('nk', NK = true); a WG x WG workgroup computes
// a (WG*4) x (WG*4) block of Y, each invocation 4 x 4 outputs; X and W tiles of depth BK are staged in
// workgroup memory as f32. Workgroups are numbered linearly; surplus ones exit before touching memory.
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
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// tileX[k * BM + r] = X[row0 + r, k0 + k];  tileW[k * BN + c] = W(k0 + k, col0 + c)
var<workgroup> tileX: array<f32, BK * BM>;
var<workgroup> tileW: array<f32, BK * BN>;

// element i of the half-precision weights: word i/2, low half for even i (core builtin, no extension)
fn weight(i: u32) -> f32 {
  let pair = unpack2x16float(W[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) == 1u);
}

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
      var v = 0.0;
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
        a[i] = tileX[k * BM + lid.y + i * WG];
      }
      for (var j = 0u; j < TN; j = j + 1u) {
        b[j] = tileW[k * BN + lid.x + j * WG];
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
