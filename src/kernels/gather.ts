/** gather: table [V,D] f32, ids [N] u32 -> [N,D]. CPU reference + GPU program. */
import type { Tensor } from '../core/backend';
import { packU32, type KernelLimits, type ProgramSpec, type ShaderRef } from '../core/program';
import { expectDtype, expectRank } from './shape';
import type { OpDef } from '../core/op';

export const gatherShader: ShaderRef = {
  key: 'gather',
  url: new URL('../../shaders/gather.wgsl', import.meta.url),
};

/** Throws a RangeError naming the first id that is out of the table. */
export function checkIds(ids: Uint32Array, V: number): void {
  for (let n = 0; n < ids.length; n++) {
    if (ids[n] >= V)
      throw new RangeError(`gather: id ${ids[n]} at position ${n} is outside the table of ${V} rows`);
  }
}

/** rows ids of table [V, D] (into `y` when given: every element is written) */
export function gatherCpu(
  table: Float32Array,
  ids: Uint32Array,
  V: number,
  D: number,
  y: Float32Array = new Float32Array(ids.length * D),
): Float32Array {
  checkIds(ids, V);
  // an element loop: a subarray + set per row costs more than the copy itself for rows of ~100 values
  for (let n = 0, o = 0; n < ids.length; n++) {
    const src = ids[n] * D;
    for (let d = 0; d < D; d++, o++) y[o] = table[src + d];
  }
  return y;
}

export function gatherShape(table: Tensor, ids: Tensor): { V: number; D: number; N: number } {
  expectRank('gather', 'table', table, 2);
  expectRank('gather', 'ids', ids, 1);
  expectDtype('gather', 'table', table, 'f32');
  expectDtype('gather', 'ids', ids, 'u32');
  return { V: table.shape[0], D: table.shape[1], N: ids.shape[0] };
}

export function gatherProgram(V: number, D: number, N: number, limits: KernelLimits): ProgramSpec {
  const wg = Math.min(64, limits.maxInvocationsPerWorkgroup);
  const total = N * D;
  return {
    shader: gatherShader,
    entryPoint: 'main',
    overrides: { WG: wg },
    workgroups: Math.ceil(total / wg),
    bindings: [0, 1, 2],
    uniformBinding: 3,
    uniforms: packU32(V, D, total),
  };
}

/** CPU: ids out of the table throw in gatherCpu; GPU: checked on the host copy of the ids before dispatch. */
export const gatherOp: OpDef<'gather'> = {
  name: 'gather',
  shaders: [gatherShader],
  cpu: (c) => (table, ids) => {
    const { V, D, N } = gatherShape(table, ids);
    c.checkOut('gather', N * D);
    const y = gatherCpu(c.f32(table, 'gather'), c.data(ids, 'gather') as Uint32Array, V, D);
    return c.make('gather', y, [N, D]);
  },
  gpu: (g) => (table, ids) => {
    const { V, D, N } = gatherShape(table, ids);
    const hostIds = g.hostIds(ids, 'gather');
    if (hostIds) checkIds(hostIds, V);
    return g.run('gather', [N, D], [table, ids], () => gatherProgram(V, D, N, g.limits));
  },
};
