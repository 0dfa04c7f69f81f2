/**
 * Expert files in the worker (src/experts/files.ts): export gives `expert.json` plus `adapter.safetensors`
 * (adapters) or PEFT `adapter_model.safetensors` + `adapter_config.json` (LoRA), each named
 * "<expert name>/<file>"; import reads picked files back into a new expert (fresh id), and recognises files
 * of an expert already stored (same weights) instead of adding a same-name duplicate.
 */
import { expertDownload, readPickedExpert } from '../../../experts/files';
import type { ExpertRecord } from '../../../experts/record';
import type { ExpertWeight, StudioDB } from '../../../store/db';
import { freeName } from '../../../store/names';
import { getExpert, listExperts, newId, saveExpert } from '../../../store/training';
import type { ExpertFile } from './protocol';

export function exportExpertFiles({
  expert,
  weights,
}: {
  expert: ExpertRecord;
  weights: ExpertWeight[];
}): ExpertFile[] {
  return expertDownload(expert, new Map(weights.map((w) => [w.name, { shape: w.shape, data: w.data }])));
}

/** The files hold an expert that is already stored (same base, method and weights): nothing was added. */
export class ExpertExistsError extends Error {
  constructor(
    readonly expert: string,
    readonly expertName: string,
  ) {
    super(
      `These files hold the same weights as an expert already stored: already imported as "${expertName}". Nothing was added; import as a copy to keep both.`,
    );
    this.name = 'ExpertExistsError';
  }
}

/** FNV-1a (two lanes, 16 hex digits) over the tensors' names, shapes and bytes, in name order. */
export function expertWeightsHash(weights: readonly ExpertWeight[]): string {
  let a = 0x811c9dc5;
  let b = 0x2b1e07a3;
  const byte = (c: number) => {
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193) >>> 0;
  };
  const text = (s: string) => {
    for (let i = 0; i < s.length; i++) byte(s.charCodeAt(i) & 0xff);
    byte(0);
  };
  for (const w of [...weights].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    text(w.name);
    text(w.shape.join('x'));
    const u8 = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    for (let i = 0; i < u8.length; i++) byte(u8[i]);
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

const sameLayout = (x: readonly ExpertWeight[], y: readonly ExpertWeight[]) =>
  x.length === y.length &&
  x.every((w) => {
    const o = y.find((v) => v.name === w.name);
    return o !== undefined && o.shape.join('x') === w.shape.join('x');
  });

/** The stored expert with the same base model, method and weights as the one read, if any. */
async function storedTwin(
  record: ExpertRecord,
  weights: ExpertWeight[],
  db: StudioDB,
): Promise<ExpertRecord | null> {
  let hash: string | null = null;
  for (const e of await listExperts(db)) {
    if (e.baseModel !== record.baseModel || e.method !== record.method) continue;
    const stored = (await getExpert(e.id, db)).weights;
    if (!sameLayout(stored, weights)) continue;
    hash ??= expertWeightsHash(weights);
    if (expertWeightsHash(stored) === hash) return e;
  }
  return null;
}

/**
 * Reads picked expert files into a new expert; the name from `name`, else the recipe's. Files of an
 * expert already stored (same base, method and weights: e.g. its own export) are refused with an
 * ExpertExistsError naming it, unless `copy`: then a new expert "<name> (copy)" is added.
 */
export async function importExpertFiles(
  files: File[],
  name: string | undefined,
  db: StudioDB,
  copy = false,
): Promise<ExpertRecord> {
  const { record, weights } = await readPickedExpert(files);
  const list = [...weights].map(([n, w]) => ({ name: n, shape: w.shape, data: w.data }));
  const twin = await storedTwin(record, list, db);
  if (twin && !copy) throw new ExpertExistsError(twin.id, twin.name);
  const wanted = name?.trim() || record.name || 'imported expert';
  const names = new Set((await listExperts(db)).map((e) => e.name));
  const expert: ExpertRecord = {
    ...record,
    id: newId('x'),
    name: twin && !name?.trim() ? freeName(`${wanted} (copy)`, (n) => names.has(n)) : wanted,
    createdAt: new Date().toISOString(),
  };
  await saveExpert(expert, list, db);
  return expert;
}
