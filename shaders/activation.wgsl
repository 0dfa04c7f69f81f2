// Pointwise activations, one element per invocation.
//   unary (KIND 0 relu, 1 gelu (exact, erf form), 2 gelu_tanh, 3 silu, 4 tanh): Y[i] = f(X[i])
//   swiglu: Y[i] = silu(X[i]) * U[i]
// erf_approx comes from shaders/lib/erf.wgsl (prepended). tanh arguments are clamped to ±15 (tanh(15) rounds to 1 in f32),
// so implementations that compute tanh through exp never see inf / inf.
override WG: u32 = 256u;
override KIND: u32 = 0u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn safe_tanh(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

fn silu(x: f32) -> f32 {
  return x / (1.0 + exp(-x));
}

fn act(x: f32) -> f32 {
  switch KIND {
    case 0u: {
      return max(x, 0.0);
    }
    case 1u: {
      return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118654752));
    }
    case 2u: {
      return 0.5 * x * (1.0 + safe_tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    }
    case 3u: {
      return silu(x);
    }
    default: {
      return safe_tanh(x);
    }
  }
}

@compute @workgroup_size(WG)
fn unary(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i < p.n) {
    Y[i] = act(X[i]);
  }
}

@compute @workgroup_size(WG)
fn swiglu(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i < p.n) {
    Y[i] = silu(X[i]) * U[i];
  }
}
