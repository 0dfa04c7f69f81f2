/**
 * What a kernel module hands the WebGPU runtime: which WGSL program, its override constants, how many
 * workgroups, the uniform block and which binding slots the tensors go to. Plain data, no GPU objects,
 * so kernel modules stay importable anywhere.
 */
export interface ShaderRef {
  /** stable cache key, e.g. 'matmul' */
  readonly key: string;
  /** where the WGSL text lives; written as `new URL('../../shaders/x.wgsl', import.meta.url)` */
  readonly url: URL;
  /** shared WGSL (shaders/lib/*.wgsl) prepended to the program, in order (WGSL has no include); a file
   * that opens with a directive (`enable f16;`) goes first, as directives must precede declarations */
  readonly prelude?: readonly URL[];
}

export interface ProgramSpec {
  readonly shader: ShaderRef;
  readonly entryPoint: string;
  /** pipeline-overridable constants (booleans as 0/1) */
  readonly overrides: Readonly<Record<string, number>>;
  /** total number of workgroups; the runtime folds it into x/y when it exceeds the per-dimension limit.
   * Every shader numbers its workgroups linearly as wid.x + wid.y * num_workgroups.x and skips surplus ones. */
  readonly workgroups: number;
  /** binding slots for the tensor buffers, in the order the caller passes buffers */
  readonly bindings: readonly number[];
  readonly uniformBinding: number;
  readonly uniforms: ArrayBuffer;
}

/** Device facts kernel modules size their programs by. */
export interface KernelLimits {
  readonly maxInvocationsPerWorkgroup: number;
  readonly maxWorkgroupStorageBytes: number;
  /** the device was created with the `shader-f16` feature (and the backend may use it) */
  readonly shaderF16?: boolean;
}

/** Pack u32 values into a uniform block (padded to 16 bytes). */
export function packU32(...values: number[]): ArrayBuffer {
  const words = Math.max(4, Math.ceil(values.length / 4) * 4);
  const out = new Uint32Array(words);
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new RangeError(`uniform ${i} is not a u32: ${v}`);
    out[i] = v;
  });
  return out.buffer;
}

/** Largest power of two <= n (n >= 1). */
export function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/** Smallest power of two >= n (n >= 1). */
export function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Fold a linear workgroup count into an x/y grid that respects maxPerDim.
 * The grid may hold a few more workgroups than asked; shaders skip ids >= total.
 */
export function layoutDispatch(total: number, maxPerDim: number): [number, number] {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`dispatch of ${total} workgroups`);
  if (total <= maxPerDim) return [total, 1];
  const y = Math.ceil(total / maxPerDim);
  if (y > maxPerDim)
    throw new RangeError(`dispatch of ${total} workgroups exceeds ${maxPerDim} x ${maxPerDim}`);
  return [Math.ceil(total / y), y];
}
