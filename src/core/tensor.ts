/** Tensors: opaque handles owned by one backend (dense, row-major), and what top-k returns. */
/** 'f16': IEEE half weights (backend.tensorF16); 'q8': int8 weights with a scale per row (backend.tensorQ8).
 * Both are accepted only as linear's weight; read() returns their values as f32. */
export type DType = 'f32' | 'u32' | 'f16' | 'q8';
export type BackendKind = 'cpu' | 'webgpu';
export type Metric = 'dot' | 'cosine';

export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** number of elements */
  readonly size: number;
}

/** Per-row top-k: row r's entries are at [r*k, (r+1)*k), best first; ties broken by lower column index first.
 * Rows with fewer than k columns are padded with score -Infinity and index 0xffffffff. */
export interface TopK {
  readonly rows: number;
  readonly k: number;
  readonly scores: Float32Array;
  readonly indices: Uint32Array;
}

/** Embedding and search ops: products, normalisation, pooling, lookup, similarity and top-k. */
