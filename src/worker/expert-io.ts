/**
 * Expert files in the worker, through src/experts/files.ts: export gives `expert.json` plus
 * `adapter.safetensors` (adapters) or PEFT `adapter_model.safetensors` + `adapter_config.json` (LoRA),
 * each named "<expert name>/<file>"; import reads picked files back into a new expert (fresh id).
 */
import type { ExpertWeight, StudioDB } from '../store/db';
import { newId, saveExpert } from '../store/training';
import { expertFiles, readExpert } from '../experts/files';
import type { ExpertRecord } from '../experts/record';
import type { ExpertFile } from './protocol-training';

const safe = (s: string) => s.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'expert';

export function exportExpertFiles({
  expert,
  weights,
}: {
  expert: ExpertRecord;
  weights: ExpertWeight[];
}): ExpertFile[] {
  const files = expertFiles(expert, new Map(weights.map((w) => [w.name, { shape: w.shape, data: w.data }])));
  const enc = new TextEncoder();
  return [...files].map(([name, v]) => ({
    name: `${safe(expert.name)}/${name}`,
    data: typeof v === 'string' ? (enc.encode(v).buffer as ArrayBuffer) : v,
  }));
}

/** Reads picked expert files (matched by file name, or a download's "<expert>-<file>") into a new expert; the name from `name`, else the recipe's. */
export async function importExpertFiles(
  files: File[],
  name: string | undefined,
  db: StudioDB,
): Promise<ExpertRecord> {
  // downloads are named "<expert>-<file>" (a browser may add " (1)"): match the exact name, else the suffix
  const base = (f: File) => (f.name.split('/').pop() as string).replace(/ \(\d+\)(?=\.[^.]+$)/, '');
  const pick = (n: string) =>
    files.find((f) => base(f) === n) ?? files.find((f) => base(f).endsWith(`-${n}`));
  const { record, weights } = await readExpert(async (n) => (await pick(n)?.arrayBuffer()) ?? null);
  const expert: ExpertRecord = {
    ...record,
    id: newId('x'),
    name: name?.trim() || record.name || 'imported expert',
    createdAt: new Date().toISOString(),
  };
  await saveExpert(
    expert,
    [...weights].map(([n, w]) => ({ name: n, shape: w.shape, data: w.data })),
    db,
  );
  return expert;
}
