/**
 * Expert files in the worker (src/experts/files.ts): export gives `expert.json` plus `adapter.safetensors`
 * (adapters) or PEFT `adapter_model.safetensors` + `adapter_config.json` (LoRA), each named
 * "<expert name>/<file>"; import reads picked files back into a new expert (fresh id).
 */
import { expertDownload, readPickedExpert } from '../../../experts/files';
import type { ExpertRecord } from '../../../experts/record';
import type { ExpertWeight, StudioDB } from '../../../store/db';
import { newId, saveExpert } from '../../../store/training';
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

/** Reads picked expert files into a new expert; the name from `name`, else the recipe's. */
export async function importExpertFiles(
  files: File[],
  name: string | undefined,
  db: StudioDB,
): Promise<ExpertRecord> {
  const { record, weights } = await readPickedExpert(files);
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
