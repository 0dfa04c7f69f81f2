// linear's weights as int8 per stored row (the 'linear_q8' program: this prelude, then shaders/linear.wgsl),
// for every adapter (core builtins only). One buffer: the int8 values packed four per u32 (element 4i in
// the low byte, little-endian), then one f32 scale per stored row (its bits as u32), so a q8 tensor is
// one storage binding. Element i of W is q * scale[row of i]: products and sums stay f32, so the result
// equals the f32 program run on the dequantised weights (src/kernels/q8.ts: dequantQ8).
// A stored row has p.K values when W is [N,K] ('nk', NK) and p.N when it is [K,N] (the dx of linear's
// backward reads an 'nk' weight as 'kn' with K and N swapped, so the row is still the stored one).
alias WTile = f32;

@group(0) @binding(1) var<storage, read> W: array<u32>;

var<workgroup> tileW: array<f32, BK * BN>;

fn weight(i: u32) -> WTile {
  let q = extractBits(i32(W[i >> 2u]), (i & 3u) * 8u, 8u);
  let cols = select(p.N, p.K, NK);
  let scales = (p.N * p.K + 3u) / 4u;
  return f32(q) * bitcast<f32>(W[scales + i / cols]);
}
