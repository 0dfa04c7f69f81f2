/**
 * linear backward on the WASM SIMD gemm (f32 accumulation): dx = dy·Wᵀ is the forward gemm over W read in
 * the other layout; dw = xᵀ·dy (or dyᵀ·x for 'nk') multiplies a transposed copy of the left operand;
 * db = column sums of dy (f64). Weight panels are not cached: trained weights change in place.
 */
import type { LinearDims, LinearLayout } from '../../kernels/linear';
import { columnSumsCpu } from '../../kernels/grad-linear';
import type { WasmGemm } from './gemm';

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

export function linearBackwardGemm(
  gemm: WasmGemm,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  { M, K, N }: LinearDims,
  layout: LinearLayout,
  needDx: boolean,
): { dx: Float32Array | null; dw: Float32Array; db: Float32Array } {
  const dx = needDx ? gemm.linear(dy, w, null, M, N, K, layout === 'kn' ? 'nk' : 'kn', false) : null;
  const dw =
    layout === 'kn'
      ? gemm.linear(transpose(x, M, K), dy, null, K, M, N, 'kn', false)
      : gemm.linear(transpose(dy, M, N), x, null, N, M, K, 'kn', false);
  return { dx, dw, db: columnSumsCpu(dy, M, N) };
}
