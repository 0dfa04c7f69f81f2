// sin and cos of a (|a| up to ~1e5) to ~1e-7: Cody-Waite reduction by pi/2 (three-part constant, so
// k * part is exact), then Taylor polynomials on [-pi/4, pi/4]. The builtins are avoided: WGSL only
// promises 2^-11 absolute error for them (SwiftShader's are off by ~2e-4).
fn sin_cos(a: f32) -> vec2<f32> {
  let k = round(a * 0.6366197723675814);
  var r = fma(-k, 1.5703125, a);
  r = fma(-k, 4.837512969970703125e-4, r);
  r = fma(-k, 7.54978995489188216e-8, r);
  let r2 = r * r;
  let s = r + r * r2 * (-0.16666666666666666 + r2 * (0.008333333333333333 + r2 * (-1.984126984126984e-4 + r2 * 2.7557319223985893e-6)));
  let c = 1.0 + r2 * (-0.5 + r2 * (0.041666666666666664 + r2 * (-0.001388888888888889 + r2 * (2.48015873015873e-5 - r2 * 2.755731922398589e-7))));
  switch (i32(k) & 3) {
    case 0: {
      return vec2<f32>(s, c);
    }
    case 1: {
      return vec2<f32>(c, -s);
    }
    case 2: {
      return vec2<f32>(-s, -c);
    }
    default: {
      return vec2<f32>(-c, s);
    }
  }
}

