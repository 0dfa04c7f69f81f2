/**
 * Weight formats and whether a model fits a device, judged from config.json (and a sharded index's
 * metadata.total_size) before any weight is downloaded. Linear weights are stored in the chosen format
 * (f32, f16: 2 bytes, q8: 1 byte + one f32 scale per output row); token / position tables and norms stay
 * f32. A tensor larger than one storage binding is split into row blocks (weights.ts), so what must fit
 * is one row per binding and all the weights in the device's memory budget.
 */
import { parseConfig, type HfConfig } from './config';

export type WeightFormat = 'f32' | 'f16' | 'q8';
/** 'auto': f16 on WebGPU (native `shader-f16` or packed halves), f32 on the CPU */
export type WeightFormatChoice = WeightFormat | 'auto';
export const WEIGHT_FORMATS: readonly WeightFormatChoice[] = ['auto', 'f32', 'f16', 'q8'];

export function parseWeightFormat(v: string, what = 'weights'): WeightFormatChoice {
  if ((WEIGHT_FORMATS as readonly string[]).includes(v)) return v as WeightFormatChoice;
  throw new Error(`${what}: "${v}" is not a weight format (${WEIGHT_FORMATS.join(', ')})`);
}

/** The format linear weights get on a backend of this kind. */
export function resolveWeightFormat(
  choice: WeightFormatChoice | undefined,
  kind: 'cpu' | 'webgpu',
): WeightFormat {
  if (choice && choice !== 'auto') return choice;
  return kind === 'webgpu' ? 'f16' : 'f32';
}

/** What a device allows, as far as the fit check needs it. */
export interface DeviceFitLimits {
  readonly kind: 'cpu' | 'webgpu';
  /** e.g. "WebGPU: SwiftShader" (for messages) */
  readonly label: string;
  /** bytes one storage binding may span (WebGPU maxStorageBufferBindingSize; CPU: its largest array) */
  readonly maxBindingBytes: number;
  /** bytes one buffer may hold (WebGPU maxBufferSize) */
  readonly maxBufferBytes: number;
  /** bytes all weights may take (a heuristic, see memoryBudget), or null when unknown */
  readonly memoryBudget: number | null;
  /** where memoryBudget comes from, for the message */
  readonly budgetSource?: string;
}

/** A backend's limits (WebGPU: its device's; CPU: its array bound), with an optional memory budget. */
export function fitLimitsOf(
  backend: { kind: 'cpu' | 'webgpu'; label: string; maxTensorElements: number; device?: GPUDevice },
  budget: { bytes: number; source: string } | null = defaultMemoryBudget(),
): DeviceFitLimits {
  const l = backend.device?.limits;
  return {
    kind: backend.kind,
    label: `${backend.kind === 'webgpu' ? 'WebGPU' : 'CPU'}: ${backend.label}`,
    maxBindingBytes: l ? l.maxStorageBufferBindingSize : backend.maxTensorElements * 4,
    maxBufferBytes: l ? l.maxBufferSize : backend.maxTensorElements * 4,
    memoryBudget: budget?.bytes ?? null,
    ...(budget && { budgetSource: budget.source }),
  };
}

/** Half of navigator.deviceMemory (GiB, what the browser reports; Node: half of os memory is the CLI's). */
export function defaultMemoryBudget(): { bytes: number; source: string } | null {
  const gb = (globalThis as { navigator?: { deviceMemory?: number } }).navigator?.deviceMemory;
  if (typeof gb === 'number' && gb > 0)
    return { bytes: (gb * 2 ** 30) / 2, source: `half of navigator.deviceMemory (${gb} GiB)` };
  return null;
}

/** Parameter counts of the tensors a model's forward uploads, from its config. */
export interface WeightEstimate {
  /** linear weights (stored in the chosen format) */
  readonly linear: number;
  /** tables, norms, biases (f32) */
  readonly other: number;
  /** the widest row of any tensor, in elements (the smallest block a split can make) */
  readonly widestRow: number;
}

export function estimateWeights(c: HfConfig): WeightEstimate {
  const H = c.hidden;
  if (c.family === 'bert') {
    const layer = 4 * H * H + 2 * H * c.intermediate;
    return {
      linear: c.layers * layer,
      other: (c.vocabSize + c.maxPositions + c.typeVocabSize) * H + c.layers * (9 * H + c.intermediate),
      widestRow: Math.max(H, c.intermediate),
    };
  }
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const layer = H * q * 2 + 2 * H * kv + 3 * H * c.intermediate;
  return {
    linear: c.layers * layer,
    other: c.vocabSize * H + c.layers * 4 * H,
    widestRow: Math.max(H, q, c.intermediate),
  };
}

const BYTES: Record<WeightFormat, number> = { f32: 4, f16: 2, q8: 1 };

/** Bytes of the uploaded weights in `format` (q8's per-row scales are counted at 1/H per weight). */
export function weightBytes(e: WeightEstimate, format: WeightFormat): number {
  return e.linear * BYTES[format] + e.other * 4;
}

export class ModelFitError extends Error {
  constructor(
    readonly file: string,
    /** the limit's name, e.g. 'maxStorageBufferBindingSize' or 'memory budget' */
    readonly limit: string,
    readonly needed: number,
    readonly allowed: number,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ModelFitError';
  }
}

export const fmtBytes = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;

const STORED_BYTES: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2 };

/**
 * Throws a ModelFitError (naming the limit and the size) when the model of this config.json cannot be
 * loaded on the device in the chosen format; `totalSize` is a sharded index's metadata.total_size (bytes
 * as stored), which raises the estimate when config.json undercounts (architectures with extra tensors).
 */
export function checkFit(
  config: string | object,
  file: string,
  limits: DeviceFitLimits,
  choice: WeightFormatChoice,
  totalSize: number | null = null,
): { bytes: number; format: WeightFormat } {
  const c = parseConfig(config, file);
  const format = resolveWeightFormat(choice, limits.kind);
  const e = estimateWeights(c);
  let bytes = weightBytes(e, format);
  const raw = typeof config === 'string' ? (JSON.parse(config) as Record<string, unknown>) : config;
  const stored = STORED_BYTES[String((raw as { torch_dtype?: unknown }).torch_dtype)] ?? 2;
  if (totalSize !== null) {
    const params = totalSize / stored;
    const linearShare = e.linear / (e.linear + e.other);
    bytes = Math.max(bytes, params * (linearShare * BYTES[format] + (1 - linearShare) * 4));
  }
  const rowBytes = e.widestRow * 4;
  const binding = Math.min(limits.maxBindingBytes, limits.maxBufferBytes);
  if (rowBytes > binding)
    throw new ModelFitError(
      file,
      'maxStorageBufferBindingSize',
      rowBytes,
      binding,
      `one row of its widest tensor (${e.widestRow} values, ${fmtBytes(rowBytes)}) exceeds ${limits.label}'s maxStorageBufferBindingSize of ${fmtBytes(binding)}; no split can load it`,
    );
  if (limits.memoryBudget !== null && bytes > limits.memoryBudget) {
    const smaller = (['f16', 'q8'] as const)
      .filter((f) => BYTES[f] < BYTES[format])
      .map((f) => `${f}: ${fmtBytes(weightBytes(e, f))}`);
    throw new ModelFitError(
      file,
      'memory budget',
      bytes,
      limits.memoryBudget,
      `its weights need about ${fmtBytes(bytes)} as ${format} (${((e.linear + e.other) / 1e9).toFixed(2)} B parameters), over ${limits.label}'s memory budget of ${fmtBytes(limits.memoryBudget)}${limits.budgetSource ? ` (${limits.budgetSource})` : ''}${smaller.length ? `; a smaller weight format would need ${smaller.join(', ')}` : ''}`,
    );
  }
  return { bytes, format };
}
