/**
 * An expert on disk (or in a download): adapters as `adapter.safetensors` + `expert.json` (the
 * ExpertRecord); LoRA in PEFT layout, `adapter_model.safetensors` (PEFT tensor names) +
 * `adapter_config.json`, beside the same `expert.json`. A merged LoRA expert (record.merge set, weights
 * one dense ΔW per linear: src/train/lora-deltas.ts) keeps them in `merged_delta.safetensors` and has no
 * adapter_config.json (it is no PEFT adapter; src/merge/lora-extract.ts makes one).
 */
import { parseSafetensors, SafetensorsFile, writeSafetensors } from '../models/hf/safetensors';
import { isDeltaName, isDeltaWeights } from '../train/lora-deltas';
import { PEFT_STM_TARGETS_KEY, peftSliceConfig } from '../train/lora-peft';
import { matchesTarget } from '../train/lora-targets';
import type { LoraConfig } from '../train/types';
import type { ExpertRecord } from './record';
import { withArticle } from '../util/words';
import { checkPolicy, PromptError, type PromptPolicy } from '../prompts/policy';

export type ExpertWeights = Map<string, { shape: number[]; data: Float32Array }>;

export const EXPERT_JSON = 'expert.json';
export const ADAPTER_FILE = 'adapter.safetensors';
export const PEFT_WEIGHTS = 'adapter_model.safetensors';
export const PEFT_CONFIG = 'adapter_config.json';
export const LORA_DELTA_FILE = 'merged_delta.safetensors';

export class ExpertFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ExpertFormatError';
  }
}

/** PEFT's adapter_config.json for a LoRA expert. */
export function peftConfig(record: ExpertRecord, weights?: ExpertWeights): Record<string, unknown> {
  const l = record.config.lora;
  // slice adapters of a fused linear (Phi-3's q_proj of qkv_proj) are stored as one adapter of it
  const slices = weights ? peftSliceConfig(l.targetModules, l.rank, l.alpha, weights) : null;
  return {
    peft_type: 'LORA',
    task_type: 'FEATURE_EXTRACTION',
    r: l.rank,
    lora_alpha: l.alpha,
    lora_dropout: l.dropout,
    target_modules: l.targetModules,
    ...(slices ?? {}),
    base_model_name_or_path: record.baseModel,
    bias: 'none',
    inference_mode: true,
    // the query instructions it was trained under (PEFT keeps keys it does not know); read back on import
    ...(record.prompts ? { [PEFT_PROMPTS_KEY]: record.prompts } : {}),
  };
}

/** The key of an expert's prompt policy in adapter_config.json and in its safetensors' __metadata__. */
export const PEFT_PROMPTS_KEY = 'stm_prompts';

/** A prompt policy read from an export (`where` names the file and key); a bad one is an ExpertFormatError. */
export function readPromptsField(v: unknown, file: string): PromptPolicy | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    const p = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
    if (!isObj(p)) throw new PromptError('expected {"kind", "format", "instructions"}');
    return checkPolicy(p as unknown as PromptPolicy, `"${PEFT_PROMPTS_KEY}"`);
  } catch (e) {
    throw new ExpertFormatError(
      file,
      `${(e as Error).message.startsWith('"') ? '' : `"${PEFT_PROMPTS_KEY}": `}${(e as Error).message}`,
    );
  }
}

/** The files of an expert: name -> contents. */
export function expertFiles(record: ExpertRecord, weights: ExpertWeights): Map<string, string | ArrayBuffer> {
  const files = new Map<string, string | ArrayBuffer>();
  files.set(EXPERT_JSON, JSON.stringify(record, null, 2) + '\n');
  // the record's id and time in the weights too: a folder whose expert.json and weights are from two
  // different writes (a crash between them, a copied file) is refused on reading
  const meta = {
    format: 'pt',
    base_model: record.baseModel,
    method: record.method,
    expert_id: record.id,
    created_at: record.createdAt,
    ...(record.prompts ? { [PEFT_PROMPTS_KEY]: JSON.stringify(record.prompts) } : {}),
  };
  if (record.method === 'lora' && isDeltaWeights(weights)) {
    files.set(LORA_DELTA_FILE, writeSafetensors(weights, meta));
  } else if (record.method === 'lora') {
    files.set(PEFT_WEIGHTS, writeSafetensors(weights, meta));
    files.set(PEFT_CONFIG, JSON.stringify(peftConfig(record, weights), null, 2) + '\n');
  } else {
    files.set(ADAPTER_FILE, writeSafetensors(weights, meta));
  }
  return files;
}

/** A value as a message shows it: a string quoted and called one, so "8" does not read as the number 8. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (v === undefined) return 'nothing';
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks `o[key]` is a number (an integer ≥ min when asked); throws naming the file and the field path. */
function numberField(
  file: string,
  o: Record<string, unknown>,
  key: string,
  path: string,
  opts: { integer?: boolean; min?: number; max?: number; below?: number } = {},
): number {
  const v = o[key];
  const want = opts.integer ? 'an integer' : 'a number';
  const range =
    opts.min !== undefined && opts.below !== undefined
      ? ` in [${opts.min}, ${opts.below})`
      : opts.min !== undefined
        ? ` ≥ ${opts.min}`
        : '';
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    (opts.integer && !Number.isInteger(v)) ||
    (opts.min !== undefined && v < opts.min) ||
    (opts.below !== undefined && v >= opts.below)
  )
    throw new ExpertFormatError(file, `"${path}" must be ${want}${range}, got ${describeValue(v)}`);
  return v;
}

const adapterHelp = '{"kind": "lowrank" | "full", "rank": <integer>}';
const dataHelp = '{"source": <string>, "pairs": <number>, "negatives": <string>}';

function checkLora(file: string, l: Record<string, unknown>, path: string): void {
  numberField(file, l, 'rank', `${path}.rank`, { integer: true, min: 1 });
  numberField(file, l, 'alpha', `${path}.alpha`);
  if (l.dropout !== undefined) numberField(file, l, 'dropout', `${path}.dropout`, { min: 0, below: 1 });
  const t = l.targetModules;
  if (t !== undefined && t !== 'all-linear' && !(Array.isArray(t) && t.every((x) => typeof x === 'string')))
    throw new ExpertFormatError(
      file,
      `"${path}.targetModules" must be "all-linear" or a list of module names, got ${describeValue(t)}`,
    );
}

/** Parses and checks expert.json; every missing or mistyped field is named, with what it should hold. */
export function parseExpertRecord(
  text: string,
  file = EXPERT_JSON,
  opts: { loraFromPeft?: boolean } = {},
): ExpertRecord {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (e) {
    throw new ExpertFormatError(file, `invalid JSON: ${(e as Error).message}`);
  }
  const rec = r as Partial<ExpertRecord>;
  if (!isObj(rec)) throw new ExpertFormatError(file, 'expected an object');
  if (typeof rec.baseModel !== 'string' || !rec.baseModel)
    throw new ExpertFormatError(file, 'missing "baseModel"');
  if (rec.method !== 'adapter' && rec.method !== 'lora')
    throw new ExpertFormatError(
      file,
      `"method" must be "adapter" or "lora", got ${JSON.stringify(rec.method)}`,
    );
  if (!isObj(rec.config)) throw new ExpertFormatError(file, 'missing "config"');
  const config = rec.config as unknown as Record<string, unknown>;
  if (rec.method === 'adapter') {
    const a = config.adapter;
    if (!isObj(a))
      throw new ExpertFormatError(file, `missing "config.adapter": an adapter expert needs ${adapterHelp}`);
    if (a.kind !== 'lowrank' && a.kind !== 'full')
      throw new ExpertFormatError(
        file,
        `"config.adapter.kind" must be "lowrank" or "full", got ${describeValue(a.kind)}`,
      );
    numberField(file, a, 'rank', 'config.adapter.rank', { integer: true, min: a.kind === 'full' ? 0 : 1 });
  } else if (!opts.loraFromPeft) {
    if (!isObj(config.lora))
      throw new ExpertFormatError(
        file,
        `missing "config.lora" ({"rank", "alpha", "dropout", "targetModules"}), and no ${PEFT_CONFIG} beside it`,
      );
    checkLora(file, config.lora, 'config.lora');
  }
  const d = rec.data as unknown;
  if (!isObj(d)) throw new ExpertFormatError(file, `missing "data": the expert's training data, ${dataHelp}`);
  if (typeof d.source !== 'string' || typeof d.negatives !== 'string' || typeof d.pairs !== 'number')
    throw new ExpertFormatError(file, `"data" must be ${dataHelp}, got ${JSON.stringify(d)}`);
  if (typeof rec.id !== 'string' || !rec.id) throw new ExpertFormatError(file, 'missing "id"');
  if (typeof rec.name !== 'string') throw new ExpertFormatError(file, 'missing "name"');
  const fp = rec.fingerprints as unknown;
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (fp !== undefined) {
    const f = fp as Record<string, unknown> | null;
    if (typeof f !== 'object' || f === null || typeof f.scheme !== 'string')
      throw new ExpertFormatError(file, '"fingerprints" must be {scheme, queries, positives} (or absent)');
    if (!strings(f.queries) || !strings(f.positives))
      throw new ExpertFormatError(file, '"fingerprints.queries" and ".positives" must be arrays of strings');
  }
  if (rec.prompts !== undefined) {
    try {
      checkPolicy(rec.prompts, '"prompts"');
    } catch (e) {
      throw new ExpertFormatError(file, (e as Error).message);
    }
  }
  return rec as ExpertRecord;
}

/**
 * A LoRA expert's settings from PEFT's adapter_config.json (r, lora_alpha, lora_dropout, target_modules):
 * the file PEFT and its users edit, so it is what the expert runs with.
 */
export function parsePeftConfig(text: string, file = PEFT_CONFIG): LoraConfig {
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new ExpertFormatError(file, `invalid JSON: ${(e as Error).message}`);
  }
  if (!isObj(c)) throw new ExpertFormatError(file, 'expected an object');
  if (c.peft_type !== undefined && c.peft_type !== 'LORA')
    throw new ExpertFormatError(
      file,
      `peft_type ${describeValue(c.peft_type)} is not supported (only "LORA")`,
    );
  const rank = numberField(file, c, 'r', 'r', { integer: true, min: 1 });
  const alpha = numberField(file, c, 'lora_alpha', 'lora_alpha');
  const dropout =
    c.lora_dropout === undefined
      ? 0
      : numberField(file, c, 'lora_dropout', 'lora_dropout', { min: 0, below: 1 });
  // the studio's own patterns when they name row slices of fused modules (peftSliceConfig)
  const stm = c[PEFT_STM_TARGETS_KEY];
  if (stm !== undefined && !(Array.isArray(stm) && stm.length > 0 && stm.every((x) => typeof x === 'string')))
    throw new ExpertFormatError(
      file,
      `"${PEFT_STM_TARGETS_KEY}" must be a list of module names, got ${describeValue(stm)}`,
    );
  const t = stm ?? c.target_modules;
  let targetModules: LoraConfig['targetModules'];
  if (t === 'all-linear' || t === undefined || t === null) targetModules = 'all-linear';
  else if (Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'string'))
    targetModules = t as string[];
  else if (typeof t === 'string')
    throw new ExpertFormatError(
      file,
      `"target_modules" ${describeValue(t)} is a regular expression, which the studio does not read: list the module names (e.g. ["query", "value"]) or "all-linear"`,
    );
  else
    throw new ExpertFormatError(
      file,
      `"target_modules" must be a list of module names or "all-linear", got ${describeValue(t)}`,
    );
  return { rank, alpha, dropout, targetModules };
}

/**
 * The rank the PEFT weights were trained at (lora_A.weight is [r, in]), or null when they hold no lora_A;
 * modules a `rankPattern` key names (as a suffix: fused slice adapters, rank k·r) are not looked at.
 */
function peftWeightsRank(
  weights: ExpertWeights,
  rankPattern: Readonly<Record<string, unknown>>,
): { rank: number; name: string } | null {
  for (const [name, w] of weights)
    if (
      name.endsWith('.lora_A.weight') &&
      w.shape.length === 2 &&
      !Object.keys(rankPattern).some((k) =>
        matchesTarget(name.slice('base_model.model.'.length, -'.lora_A.weight'.length), k),
      )
    )
      return { rank: w.shape[0], name };
  return null;
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
  const peft = await get(PEFT_CONFIG);
  const text = new TextDecoder().decode(json);
  let record = parseExpertRecord(text, EXPERT_JSON, { loraFromPeft: peft !== null });
  let lora: LoraConfig | null = null;
  let rankPattern: Record<string, unknown> = {};
  if (record.method === 'lora' && peft) {
    const peftText = new TextDecoder().decode(peft);
    lora = parsePeftConfig(peftText);
    record = { ...record, config: { ...record.config, lora } };
    // the prompts the PEFT export carries are what it runs with (as its LoRA settings)
    const peftJson = JSON.parse(peftText) as Record<string, unknown>;
    if (isObj(peftJson.rank_pattern)) rankPattern = peftJson.rank_pattern;
    const prompts = readPromptsField(peftJson[PEFT_PROMPTS_KEY], PEFT_CONFIG);
    if (prompts) record = { ...record, prompts };
  }
  let file = record.method === 'lora' ? PEFT_WEIGHTS : ADAPTER_FILE;
  let buf = await get(file);
  if (record.method === 'lora' && !peft && record.merge) {
    const deltas = await get(LORA_DELTA_FILE);
    if (deltas) [file, buf] = [LORA_DELTA_FILE, deltas];
  }
  if (!buf)
    throw new ExpertFormatError(
      file,
      `missing (${withArticle(record.method)} expert keeps its weights there)`,
    );
  // the write stamp both files carry (a hand-written expert.json without "createdAt" is not checked)
  const meta = SafetensorsFile.open(buf, file).metadata;
  const stamp = meta.created_at;
  if (typeof record.createdAt === 'string' && stamp !== undefined && stamp !== record.createdAt)
    throw new ExpertFormatError(
      file,
      `is from another write than ${EXPERT_JSON} (created_at ${JSON.stringify(stamp)} vs ${JSON.stringify(record.createdAt)}): the folder mixes two writes (a crash, or a file copied in); export or train the expert again`,
    );
  // a policy in the weights' metadata and none in expert.json (e.g. an expert.json written by hand)
  if (!record.prompts) {
    const prompts = readPromptsField(meta[PEFT_PROMPTS_KEY], `${file} __metadata__`);
    if (prompts) record = { ...record, prompts };
  }
  const weights = parseExpertWeights(buf, file);
  if (file === LORA_DELTA_FILE && !isDeltaWeights(weights))
    throw new ExpertFormatError(
      file,
      `holds tensors that are not merged deltas (e.g. "${[...weights.keys()].find((n) => !isDeltaName(n))}"); a merged LoRA keeps only "<module>.merged_delta.weight" tensors`,
    );
  const trained = lora ? peftWeightsRank(weights, rankPattern) : null;
  if (lora && trained && trained.rank !== lora.rank)
    throw new ExpertFormatError(
      PEFT_CONFIG,
      `"r" is ${lora.rank}, but ${file} holds rank-${trained.rank} weights (${trained.name} is [${weights.get(trained.name)!.shape.join(', ')}]): set "r" to ${trained.rank}, or use weights trained at rank ${lora.rank}`,
    );
  return { record, weights };
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
