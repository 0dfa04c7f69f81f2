// Pointwise backward passes, one element per invocation.
//   activation (KIND as activation.wgsl: 0 relu, 1 gelu, 2 gelu_tanh, 3 silu, 4 tanh): OUT = DY * f'(A)
//   swiglu_gate: OUT = DY * C * silu'(A); swiglu_up: OUT = DY * silu(A)   (A = gate, C = up)
//   token_pool (dx [B,T,D] from dy [B,D], A = mask [B,T]; MODE 0 masked mean (mask / max(Σ mask, 1e-9)), 1 cls, 2 last)
override WG: u32 = 256u;
override KIND: u32 = 0u;
override MODE: u32 = 0u;

struct Params {
  n: u32,
  T: u32,
  D: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> C: array<f32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

fn silu_grad(x: f32) -> f32 {
  let s = sigmoid(x);
  return s * (1.0 + x * (1.0 - s));
}

fn act_grad(x: f32) -> f32 {
  switch KIND {
    case 0u: {
      return select(0.0, 1.0, x > 0.0);
    }
    case 1u: {
      return 0.5 * (1.0 + erf_approx(x * 0.70710678118654752)) + x * exp(-0.5 * x * x) * 0.3989422804014327;
    }
    case 2u: {
      let c = 0.7978845608028654;
      let t = tanh(clamp(c * (x + 0.044715 * x * x * x), -15.0, 15.0));
      return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * x * x);
    }
    case 3u: {
      return silu_grad(x);
    }
    default: {
      let t = tanh(clamp(x, -15.0, 15.0));
      return 1.0 - t * t;
    }
  }
}

@compute @workgroup_size(WG)
fn activation(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i < p.n) {
    OUT[i] = DY[i] * act_grad(A[i]);
  }
}

@compute @workgroup_size(WG)
fn swiglu_gate(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i < p.n) {
    OUT[i] = DY[i] * C[i] * silu_grad(A[i]);
  }
}

@compute @workgroup_size(WG)
fn swiglu_up(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i < p.n) {
    _ = C[i]; // keeps the binding layout shared with swiglu_gate
    OUT[i] = DY[i] * A[i] * sigmoid(A[i]);
  }
}

@compute @workgroup_size(WG)
fn token_pool(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  // one invocation per (b, d): n = B * D; writes dx[b, t, d] for every t (zeros off the pooled token)
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) {
    return;
  }
  let d = i % p.D;
  let b = i / p.D;
  let g = DY[i];
  if (MODE == 0u) {
    var msum = 0.0;
    for (var t = 0u; t < p.T; t = t + 1u) {
      msum = msum + A[b * p.T + t];
    }
    let inv = 1.0 / max(msum, 1e-9);
    for (var t = 0u; t < p.T; t = t + 1u) {
      OUT[(b * p.T + t) * p.D + d] = A[b * p.T + t] * inv * g;
    }
    return;
  }
  var pooled = 0u;
  if (MODE == 2u) {
    pooled = p.T;
    for (var t = p.T; t > 0u; t = t - 1u) {
      if (A[b * p.T + t - 1u] != 0.0) {
        pooled = t - 1u;
        break;
      }
    }
  }
  for (var t = 0u; t < p.T; t = t + 1u) {
    OUT[(b * p.T + t) * p.D + d] = select(0.0, g, t == pooled);
  }
}
