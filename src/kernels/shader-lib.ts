/** Shared WGSL functions (shaders/lib/), prepended to the programs that use them via ShaderRef.prelude. */
export const SIN_COS_WGSL = new URL('../../shaders/lib/sin_cos.wgsl', import.meta.url);
export const ERF_WGSL = new URL('../../shaders/lib/erf.wgsl', import.meta.url);
export const FLAT_INDEX_WGSL = new URL('../../shaders/lib/flat_index.wgsl', import.meta.url);
export const WORKGROUP_REDUCE_WGSL = new URL('../../shaders/lib/workgroup_reduce.wgsl', import.meta.url);
export const ATTENTION_TILE_WGSL = new URL('../../shaders/lib/attention_tile.wgsl', import.meta.url);
