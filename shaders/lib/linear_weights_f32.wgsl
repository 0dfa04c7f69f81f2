// linear's weights as f32 (ShaderRef.prelude of the 'linear' program, shaders/linear.wgsl): the W
// binding, its workgroup tile and weight(i), element i of W as the tile's element type WTile.
alias WTile = f32;

@group(0) @binding(1) var<storage, read> W: array<f32>;

var<workgroup> tileW: array<f32, BK * BN>;

fn weight(i: u32) -> WTile {
  return W[i];
}
