/**
 * A training run's pairs from a synthetic set: the items its review policy lets through (negatives marked
 * false dropped), refused with a clear message when none is usable, and what the expert's recipe records.
 */
import type { Dataset } from '../../../data/types';
import type { ExpertSynthSource } from '../../../experts/record';
import type { StudioDB } from '../../../store/db';
import { getSynthSet, listSynthItems } from '../../../store/synth';
import type { TrainDataSource, TrainSpec } from '../../../store/training-types';
import { pairsOfItems } from '../../../synth/review';
import { docText } from '../../../train/data';
import type { TrainingPair } from '../../../train/types';

const POLICY = { accepted: 'accepted only', 'not-rejected': 'all but rejected' } as const;

/** A synthetic set with no item its policy lets through: nothing to train on, refused before the run starts. */
export class SynthSetUnusableError extends Error {
  constructor(name: string, policy: keyof typeof POLICY, counts: ExpertSynthSource['counts']) {
    const fix =
      policy === 'accepted'
        ? `accept items in the Synthesize tab first (it has ${counts.pending} pending, ${counts.rejected} rejected), or train on "all but rejected"`
        : `every item of it was rejected: review it again in the Synthesize tab, or generate a new set`;
    super(`The synthetic set "${name}" has no item to train on under "${POLICY[policy]}": ${fix}.`);
    this.name = 'SynthSetUnusableError';
  }
}

export async function synthData(
  src: Extract<TrainDataSource, { kind: 'synth' }>,
  db: StudioDB,
  dataset: (name: string) => Promise<Dataset>,
): Promise<{ pairs: TrainingPair[]; corpus: string[]; synth: ExpertSynthSource }> {
  const set = await getSynthSet(src.set, db);
  const pairs = pairsOfItems(await listSynthItems(src.set, undefined, db), src.policy);
  if (pairs.length === 0) throw new SynthSetUnusableError(set.name, src.policy, set.counts);
  // hard negatives are mined from the set's own corpus when it is still stored, else from the set's texts
  const ds = set.dataset ? await dataset(set.dataset).catch(() => null) : null;
  const corpus = ds
    ? ds.docs.map(docText)
    : [...new Set(pairs.flatMap((p) => [p.positive, ...(p.negatives ?? [])]))];
  return {
    pairs,
    corpus,
    synth: { set: set.id, name: set.name, policy: src.policy, counts: { ...set.counts }, used: pairs.length },
  };
}

/** What the expert's recipe says its data was. */
export function sourceName(spec: TrainSpec, synth: ExpertSynthSource | undefined): string {
  const d = spec.data;
  if (d.kind === 'dataset') return `${d.dataset}/${d.split}`;
  if (d.kind === 'pairs') return d.fileName;
  const name = synth?.name ?? d.set;
  return `synthetic set "${name}" (${POLICY[d.policy]})`;
}

/** How a synthetic run's negatives came about, as the expert's recipe says it. */
export function synthNegatives(pairs: readonly TrainingPair[], spec: TrainSpec): string {
  if (spec.mining) return `${spec.mining.negatives} mined`;
  return pairs.some((p) => (p.negatives?.length ?? 0) > 0) ? 'from the synthetic set' : 'in-batch only';
}
