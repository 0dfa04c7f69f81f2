/**
 * An expert on disk (or in a download): adapters as `adapter.safetensors` + `expert.json` (the
 * ExpertRecord); LoRA in PEFT layout, `adapter_model.safetensors` (PEFT tensor names) +
 * `adapter_config.json`, beside the same `expert.json`.
 */
import { parseSafetensors, writeSafetensors } from '../models/hf/safetensors';
import type { ExpertRecord } from './record';
import { withArticle } from '../util/words';

export type ExpertWeights = Map<string, { shape: number[]; data: Float32Array }>;

export const EXPERT_JSON = 'expert.json';
export const ADAPTER_FILE = 'adapter.safetensors';
export const PEFT_WEIGHTS = 'adapter_model.safetensors';
export const PEFT_CONFIG = 'adapter_config.json';

export class ExpertFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ExpertFormatError';
  }
}

/** PEFT's adapter_config.json for a LoRA expert. */
export function peftConfig(record: ExpertRecord): Record<string, unknown> {
  const l = record.config.lora;
  return {
    peft_type: 'LORA',
    task_type: 'FEATURE_EXTRACTION',
    r: l.rank,
    lora_alpha: l.alpha,
    lora_dropout: l.dropout,
    target_modules: l.targetModules,
    base_model_name_or_path: record.baseModel,
    bias: 'none',
    inference_mode: true,
  };
}

/** The files of an expert: name -> contents. */
export function expertFiles(record: ExpertRecord, weights: ExpertWeights): Map<string, string | ArrayBuffer> {
  const files = new Map<string, string | ArrayBuffer>();
  files.set(EXPERT_JSON, JSON.stringify(record, null, 2) + '\n');
  const meta = { format: 'pt', base_model: record.baseModel, method: record.method };
  if (record.method === 'lora') {
    files.set(PEFT_WEIGHTS, writeSafetensors(weights, meta));
    files.set(PEFT_CONFIG, JSON.stringify(peftConfig(record), null, 2) + '\n');
  } else {
    files.set(ADAPTER_FILE, writeSafetensors(weights, meta));
  }
  return files;
}

export function parseExpertRecord(text: string, file = EXPERT_JSON): ExpertRecord {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (e) {
    throw new ExpertFormatError(file, `invalid JSON: ${(e as Error).message}`);
  }
  const rec = r as Partial<ExpertRecord>;
  if (typeof rec !== 'object' || rec === null) throw new ExpertFormatError(file, 'expected an object');
  if (typeof rec.baseModel !== 'string' || !rec.baseModel)
    throw new ExpertFormatError(file, 'missing "baseModel"');
  if (rec.method !== 'adapter' && rec.method !== 'lora')
    throw new ExpertFormatError(
      file,
      `"method" must be "adapter" or "lora", got ${JSON.stringify(rec.method)}`,
    );
  if (typeof rec.config !== 'object' || rec.config === null)
    throw new ExpertFormatError(file, 'missing "config"');
  return rec as ExpertRecord;
}

/** Weights from the expert's safetensors file (the file name says which layout). */
export function parseExpertWeights(buf: ArrayBuffer, file: string): ExpertWeights {
  const out: ExpertWeights = new Map();
  for (const [name, t] of parseSafetensors(buf, file)) out.set(name, { shape: [...t.shape], data: t.data });
  if (out.size === 0) throw new ExpertFormatError(file, 'holds no tensors');
  return out;
}

/** Reads an expert from a file getter (a folder on disk, a zip, IndexedDB rows). */
export async function readExpert(
  get: (name: string) => Promise<ArrayBuffer | null>,
): Promise<{ record: ExpertRecord; weights: ExpertWeights }> {
  const json = await get(EXPERT_JSON);
  if (!json) throw new ExpertFormatError(EXPERT_JSON, 'missing');
  const record = parseExpertRecord(new TextDecoder().decode(json));
  const file = record.method === 'lora' ? PEFT_WEIGHTS : ADAPTER_FILE;
  const buf = await get(file);
  if (!buf)
    throw new ExpertFormatError(
      file,
      `missing (${withArticle(record.method)} expert keeps its weights there)`,
    );
  return { record, weights: parseExpertWeights(buf, file) };
}

const safeName = (s: string) => s.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'expert';

/** An expert's files for a download, each named "<expert name>/<file>". */
export function expertDownload(
  record: ExpertRecord,
  weights: ExpertWeights,
): { name: string; data: ArrayBuffer }[] {
  const enc = new TextEncoder();
  return [...expertFiles(record, weights)].map(([name, v]) => ({
    name: `${safeName(record.name)}/${name}`,
    data: typeof v === 'string' ? (enc.encode(v).buffer as ArrayBuffer) : v,
  }));
}

/** Reads an expert from picked files, matched by file name or as a download's "<expert>-<file>". */
export function readPickedExpert(
  files: readonly File[],
): Promise<{ record: ExpertRecord; weights: ExpertWeights }> {
  // a browser may add " (1)" to a download's name: match the exact name, else the suffix
  const base = (f: File) => (f.name.split('/').pop() as string).replace(/ \(\d+\)(?=\.[^.]+$)/, '');
  const pick = (n: string) =>
    files.find((f) => base(f) === n) ?? files.find((f) => base(f).endsWith(`-${n}`));
  return readExpert(async (n) => (await pick(n)?.arrayBuffer()) ?? null);
}
