// linear's weights in half precision packed two per u32, element 2i in the low 16 bits (the
// 'linear_f16w' program: this prelude, then shaders/linear.wgsl), for every adapter: weights are
// unpacked with the core builtin unpack2x16float and staged as f32, and all arithmetic is f32, so the
// result equals the f32 program run on the f16-rounded weights.
alias WTile = f32;

@group(0) @binding(1) var<storage, read> W: array<u32>;

var<workgroup> tileW: array<f32, BK * BN>;

// element i of the half-precision weights: word i/2, low half for even i (core builtin, no extension)
fn weight(i: u32) -> WTile {
  let pair = unpack2x16float(W[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) == 1u);
}
