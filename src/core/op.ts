/**
 * The op table's types. Each kernel module defines its op(s) once as an OpDef: the WGSL programs it
 * dispatches and how it runs on each backend, written against the small contexts below (the CPU backend's
 * tensor data, the WebGPU runtime). Most ops are "one program, one output" and are written with `kernelOp`
 * (shape check + plan, CPU reference, program); the others write their CPU and GPU sides by hand.
 * The backends build their methods from the table (src/kernels/ops.ts); the shader list comes from it too.
 */
import type { AnalysisOps } from './analysis-ops';
import type { EmbeddingOps, Tensor } from './backend';
import type { MergeOps } from './merge-ops';
import type { KernelLimits, ProgramSpec, ShaderRef } from './program';
import type { TrainingOps } from './training-ops';
import type { TransformerOps } from './transformer-ops';

/** Every compute method of a Backend. */
export type KernelOps = EmbeddingOps & TransformerOps & TrainingOps & MergeOps & AnalysisOps;
export type OpName = keyof KernelOps;

/** What a CPU implementation sees of the CPU backend. */
export interface CpuOpContext {
  /** t's data (f32 view; mutable in place), after checking t belongs to this backend and is live */
  f32(t: Tensor, op: string): Float32Array;
  /** t's data as stored (u32 ids stay u32), with the same checks */
  data(t: Tensor, op: string): Float32Array | Uint32Array;
  /** a new tensor holding data (throws TensorTooLargeError past the backend's limit) */
  make(op: string, data: Float32Array | Uint32Array, shape: readonly number[]): Tensor;
  /** throws TensorTooLargeError before computing a result of `elements` that the backend cannot hold */
  checkOut(op: string, elements: number): void;
  /** an in-place op changed this array: caches keyed by it (the gemm's weight panels) must forget it */
  written(data: Float32Array): void;
}

/** What a GPU implementation sees of the WebGPU runtime (src/gpu/runtime.ts). */
export interface GpuOpContext {
  readonly limits: KernelLimits;
  /** The one run helper: check the inputs, allocate the result, enqueue the program (skipped for an empty
   * result), all inside one error scope. Bindings: the inputs in order, then the result. */
  run(op: string, outShape: readonly number[], inputs: readonly Tensor[], program: () => ProgramSpec): Tensor;
  /** t, after checking it belongs to this runtime and is live */
  own(t: Tensor, op: string): Tensor;
  /** throws DeviceLostError once the device is gone */
  assertLive(): void;
  /** run fn inside validation and out-of-memory error scopes labelled op */
  scoped<T>(op: string, fn: () => T): T;
  /** The in-place counterpart of run: enqueue the program over these tensors (skipped when the first is
   * empty); an operand that aliases an earlier one (addInPlace(t, t)) is bound as a copy. */
  runInPlace(op: string, tensors: readonly Tensor[], program: () => ProgramSpec): void;
  alloc(op: string, shape: readonly number[], dtype: 'f32' | 'u32'): Tensor;
  upload(data: Float32Array | Uint32Array, shape: readonly number[]): Tensor;
  /** enqueue one program over these tensors' buffers, in spec.bindings order */
  enqueue(spec: ProgramSpec, tensors: readonly Tensor[]): void;
  release(t: Tensor): void;
  /** the first `elements` 32-bit words of t, once the queue has run */
  readWords(t: Tensor, elements: number): Promise<ArrayBuffer>;
  /** host copy of a small u32 upload (ids), to reject bad ids before a dispatch */
  hostIds(t: Tensor, op: string): Uint32Array | undefined;
}

/** One op: its name (the Backend method), the WGSL programs it may dispatch, and its two implementations. */
export interface OpDef<N extends OpName> {
  readonly name: N;
  readonly shaders: readonly ShaderRef[];
  readonly cpu: (c: CpuOpContext) => KernelOps[N];
  readonly gpu: (g: GpuOpContext) => KernelOps[N];
}

/** The table: one definition per op, keyed by its name (a missing or misplaced op fails type-checking). */
export type OpTable = { readonly [N in OpName]: OpDef<N> };

/** A one-program, one-output op's plan: the result's shape, the tensors bound before the result (in
 * binding order; the CPU reference gets their data in the same order) and what the two sides need. */
export interface KernelPlan<P> {
  readonly out: readonly number[];
  readonly inputs: readonly Tensor[];
  readonly p: P;
}

export interface KernelSpec<N extends OpName, P> {
  readonly shaders: readonly ShaderRef[];
  /** the shape check (throws ShapeError) and the plan */
  readonly plan: (...args: Parameters<KernelOps[N]>) => KernelPlan<P>;
  /** the CPU reference over the inputs' f32 data */
  readonly cpu: (inputs: Float32Array[], p: P) => Float32Array;
  readonly program: (p: P, limits: KernelLimits) => ProgramSpec;
}

/** An op that runs one program writing one new f32 tensor (the usual case). */
export function kernelOp<N extends OpName, P>(name: N, spec: KernelSpec<N, P>): OpDef<N> {
  const cpu = (c: CpuOpContext) =>
    ((...args: Parameters<KernelOps[N]>): Tensor => {
      const k = spec.plan(...args);
      c.checkOut(name, elements(k.out));
      const data = k.inputs.map((t) => c.f32(t, name));
      return c.make(name, spec.cpu(data, k.p), k.out);
    }) as unknown as KernelOps[N];
  const gpu = (g: GpuOpContext) =>
    ((...args: Parameters<KernelOps[N]>): Tensor => {
      const k = spec.plan(...args);
      return g.run(name, k.out, k.inputs, () => spec.program(k.p, g.limits));
    }) as unknown as KernelOps[N];
  return { name, shaders: spec.shaders, cpu, gpu };
}

function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The CPU backend's methods, built from the table. */
export function buildCpuOps(table: OpTable, c: CpuOpContext): KernelOps {
  return build(table, (def) => def.cpu(c));
}

/** The WebGPU backend's methods, built from the table. */
export function buildGpuOps(table: OpTable, g: GpuOpContext): KernelOps {
  return build(table, (def) => def.gpu(g));
}

function build(table: OpTable, method: (def: OpDef<OpName>) => unknown): KernelOps {
  const out: Partial<Record<OpName, unknown>> = {};
  for (const def of Object.values(table) as OpDef<OpName>[]) out[def.name] = method(def);
  return out as KernelOps;
}

/** Every program the table's ops dispatch, once each (by key), in table order. */
export function tableShaders(table: OpTable): ShaderRef[] {
  const byKey = new Map<string, ShaderRef>();
  for (const def of Object.values(table) as OpDef<OpName>[])
    for (const s of def.shaders) if (!byKey.has(s.key)) byKey.set(s.key, s);
  return [...byKey.values()];
}
