// InfoNCE over S' = q·docsᵀ [Bq,Nd] (unscaled); logits are scale * S'. W = 0.5 when symmetric, else 1.
//   rows (one invocation per query i): LOSS[i] = lse_n - logit[i,pos_i];
//        G[i,n] = W * scale / Bq * (softmax_n - [n == pos_i])   (writes the whole row)
//   cols (symmetric, one invocation per doc column n, for every j with pos_j == n): the column's softmax over
//        queries; LOSS[Bq + j] = lse_i - logit[j,n]; G[i,n] += W * scale / Bq * (softmax_i - [i == j])
// G therefore holds scale * dL/dlogits = dL/dS'; the host sums LOSS * W / Bq in f64.
override WG: u32 = 64u;

struct Params {
  Bq: u32,
  Nd: u32,
  scale: f32,
  w: f32,
}

@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> POS: array<u32>;
@group(0) @binding(2) var<storage, read_write> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> LOSS: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.Bq) {
    return;
  }
  let o = i * p.Nd;
  var m = -3.0e38;
  for (var n = 0u; n < p.Nd; n = n + 1u) {
    m = max(m, p.scale * S[o + n]);
  }
  var sum = 0.0;
  for (var n = 0u; n < p.Nd; n = n + 1u) {
    sum = sum + exp(p.scale * S[o + n] - m);
  }
  let lse = m + log(sum);
  let pos = POS[i];
  LOSS[i] = lse - p.scale * S[o + pos];
  let c = p.w * p.scale / f32(p.Bq);
  for (var n = 0u; n < p.Nd; n = n + 1u) {
    let pr = exp(p.scale * S[o + n] - lse);
    G[o + n] = c * (pr - select(0.0, 1.0, n == pos));
  }
}

@compute @workgroup_size(WG)
fn cols(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let n = flat_index(wid, nwg, lid);
  if (n >= p.Nd) {
    return;
  }
  let c = p.w * p.scale / f32(p.Bq);
  for (var j = 0u; j < p.Bq; j = j + 1u) {
    if (POS[j] != n) {
      continue;
    }
    var m = -3.0e38;
    for (var i = 0u; i < p.Bq; i = i + 1u) {
      m = max(m, p.scale * S[i * p.Nd + n]);
    }
    var sum = 0.0;
    for (var i = 0u; i < p.Bq; i = i + 1u) {
      sum = sum + exp(p.scale * S[i * p.Nd + n] - m);
    }
    let lse = m + log(sum);
    LOSS[p.Bq + j] = lse - p.scale * S[j * p.Nd + n];
    for (var i = 0u; i < p.Bq; i = i + 1u) {
      let pr = exp(p.scale * S[i * p.Nd + n] - lse);
      G[i * p.Nd + n] = G[i * p.Nd + n] + c * (pr - select(0.0, 1.0, i == j));
    }
  }
}
