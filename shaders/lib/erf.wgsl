// erf(x) by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7; with f32 rounding the tests bound it
// below 1e-6). WGSL has no erf builtin. Prepended (ShaderRef.prelude) to the activation programs.
fn erf_approx(x: f32) -> f32 {
  let ax = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * ax);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let y = 1.0 - poly * exp(-ax * ax);
  return select(y, -y, x < 0.0);
}
