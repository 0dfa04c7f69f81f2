// Column mean-centring: Y[n,j] = X[n,j] - mean_n X[n,j] for X [N,D].
// One workgroup per block of COLS adjacent columns; its LANES rows of invocations walk the rows with stride
// LANES (adjacent invocations read adjacent columns), the LANES partial sums of a column are added in
// workgroup memory, then every invocation writes its strided rows centred. Workgroups are numbered
// linearly (x + y * num_workgroups.x); surplus ones exit.
override COLS: u32 = 16u;
override LANES: u32 = 16u;

struct Params {
  rows: u32,
  cols: u32,
  blocks: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> partial: array<f32, COLS * LANES>;

@compute @workgroup_size(COLS, LANES)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let block = wid.x + wid.y * nwg.x;
  if (block >= p.blocks) {
    return;
  }
  let col = block * COLS + lid.x;
  var s = 0.0;
  if (col < p.cols) {
    for (var r = lid.y; r < p.rows; r = r + LANES) {
      s = s + X[r * p.cols + col];
    }
  }
  partial[lid.y * COLS + lid.x] = s;
  workgroupBarrier();
  var total = 0.0;
  for (var l = 0u; l < LANES; l = l + 1u) {
    total = total + partial[l * COLS + lid.x];
  }
  if (col >= p.cols) {
    return;
  }
  let mean = total / f32(p.rows);
  for (var r = lid.y; r < p.rows; r = r + LANES) {
    Y[r * p.cols + col] = X[r * p.cols + col] - mean;
  }
}
