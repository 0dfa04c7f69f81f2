/**
 * gatherMeanPool: table [V,D] f32, ids [B*T] u32, mask [B,T] f32 -> [B,D] = sum_t mask·table[id] / max(sum_t
 * mask, 1e-9): gather followed by maskedMeanPool without the [B,T,D] rows in between (a static word-vector
 * embedder's whole forward pass, GloVe's). CPU: one fused loop, the same sums in the same order as
 * maskedMeanPoolCpu over gatherCpu's rows (so the results are identical). GPU: the two programs (gather.wgsl,
 * meanpool.wgsl) back to back, the rows in a temporary buffer.
 */
import type { Tensor } from '../core/backend';
import type { OpDef } from '../core/op';
import { checkIds, gatherProgram, gatherShader } from './gather';
import { MASK_EPS, meanpoolProgram, meanpoolShader, type PoolDims } from './meanpool';
import { expectDim, expectDtype, expectRank } from './shape';

export interface GatherPoolDims extends PoolDims {
  V: number;
}

export function gatherMeanPoolShape(table: Tensor, ids: Tensor, mask: Tensor): GatherPoolDims {
  const op = 'gatherMeanPool';
  expectRank(op, 'table', table, 2);
  expectRank(op, 'mask', mask, 2);
  expectDtype(op, 'table', table, 'f32');
  expectDtype(op, 'ids', ids, 'u32');
  expectDtype(op, 'mask', mask, 'f32');
  const [V, D] = table.shape;
  const [B, T] = mask.shape;
  expectDim(op, 'ids (batch x length of the mask)', ids.size, B * T);
  return { V, B, T, D };
}

export function gatherMeanPoolCpu(
  table: Float32Array,
  ids: Uint32Array,
  mask: Float32Array,
  { V, B, T, D }: GatherPoolDims,
): Float32Array {
  checkIds(ids, V);
  const y = new Float32Array(B * D);
  const acc = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    let msum = 0;
    for (let t = 0; t < T; t++) msum += mask[b * T + t];
    const denom = Math.max(msum, MASK_EPS);
    acc.fill(0);
    for (let t = 0; t < T; t++) {
      const m = mask[b * T + t];
      const src = ids[b * T + t] * D;
      for (let d = 0; d < D; d++) acc[d] += m * table[src + d];
    }
    for (let d = 0; d < D; d++) y[b * D + d] = acc[d] / denom;
  }
  return y;
}

export const gatherMeanPoolOp: OpDef<'gatherMeanPool'> = {
  name: 'gatherMeanPool',
  shaders: [gatherShader, meanpoolShader],
  cpu: (c) => (table, ids, mask) => {
    const d = gatherMeanPoolShape(table, ids, mask);
    c.checkOut('gatherMeanPool', d.B * d.D);
    const [t, m] = [c.f32(table, 'gatherMeanPool'), c.f32(mask, 'gatherMeanPool')];
    const y = gatherMeanPoolCpu(t, c.data(ids, 'gatherMeanPool') as Uint32Array, m, d);
    return c.make('gatherMeanPool', y, [d.B, d.D]);
  },
  gpu: (g) => (table, ids, mask) => {
    const op = 'gatherMeanPool';
    const d = gatherMeanPoolShape(table, ids, mask);
    const hostIds = g.hostIds(ids, op);
    if (hostIds) checkIds(hostIds, d.V);
    const ins = [table, ids, mask].map((t) => g.own(t, op));
    return g.scoped(op, () => {
      const out = g.alloc(op, [d.B, d.D], 'f32');
      if (out.size === 0) return out;
      const rows = g.alloc(op, [Math.max(1, d.B * d.T * d.D)], 'f32');
      if (d.T > 0) g.enqueue(gatherProgram(d.V, d.D, d.B * d.T, g.limits), [ins[0], ins[1], rows]);
      g.enqueue(meanpoolProgram(d, g.limits), [rows, ins[2], out]);
      g.release(rows);
      return out;
    });
  },
};
