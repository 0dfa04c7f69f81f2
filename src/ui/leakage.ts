/**
 * The leakage guard in the UI: whether a run scored a model on queries it was trained on. Such a run is
 * marked and never highlighted as best; so is an expert's run whose training queries are unknown (an
 * expert recorded before fingerprints were kept, or a run stored before overlaps were counted).
 */
import { isTestSplitName } from '../data/split';
import { EXPERT_PREFIX } from '../experts/record';
import type { DatasetMeta, RunRecord } from '../store/db';
import { defaultSplit } from './state/ui';

export type Leakage = { kind: 'trained'; overlap: number; queries: number } | { kind: 'unknown' } | null;

export function leakage(run: RunRecord): Leakage {
  const n = run.report.overlapQueries;
  if (typeof n === 'number')
    return n > 0 ? { kind: 'trained', overlap: n, queries: run.report.queries } : null;
  if (n === null || run.retriever.startsWith(EXPERT_PREFIX)) return { kind: 'unknown' };
  return null;
}

export function leakageLabel(l: Exclude<Leakage, null>): string {
  return l.kind === 'trained'
    ? `trained on ${l.overlap} of these ${l.queries} queries`
    : 'training queries unknown';
}

export function leakageTitle(l: Exclude<Leakage, null>): string {
  return l.kind === 'trained'
    ? `The model was trained on ${l.overlap} of the ${l.queries} queries scored here, so these numbers overstate how it does on new queries. Not ranked. Split the queries in the Data tab and evaluate on a split it was not trained on.`
    : 'This expert did not record which queries it was trained on (it predates the record), so this result may include its training queries. Not ranked.';
}

/** The split a training run starts on: "train" when the dataset has it, else a split named like one, else the default. */
export function trainSplit(meta: DatasetMeta | undefined): string | null {
  if (!meta) return null;
  const names = Object.keys(meta.splits).sort();
  return names.includes('train')
    ? 'train'
    : (names.find((s) => /train/i.test(s) && !isTestSplitName(s)) ?? defaultSplit(meta));
}
