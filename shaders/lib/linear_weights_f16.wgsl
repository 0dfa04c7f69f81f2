// linear's weights as native f16 (the 'linear_f16' program: this prelude, then shaders/linear.wgsl),
// for devices with the `shader-f16` feature (the runtime only selects it there). Its directive must
// open the module, so this file comes first in the prelude. Weights are read as array<f16> (the same
// bytes as the packed-u32 layout of linear_weights_f16_packed.wgsl) and staged as f16 in workgroup
// memory (half the W-tile footprint and bandwidth); every product and sum is f32 (f16 -> f32 is exact),
// so results equal the packed variant bit for bit. Activations are not narrowed: a transformer's
// residual stream can exceed f16's range and its 11-bit precision, and f16 accumulation over K ~ 10^3
// terms loses several digits.
enable f16;

alias WTile = f16;

@group(0) @binding(1) var<storage, read> W: array<f16>;

var<workgroup> tileW: array<f16, BK * BN>;

fn weight(i: u32) -> WTile {
  return W[i];
}
