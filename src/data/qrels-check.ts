/**
 * Checks on the qrels split an evaluation or a training run uses (issue 8 item 4): a split that does
 * not exist names the ones that do, and judgements that give a query nothing relevant (every grade ≤ 0,
 * so the query scores 0 in every metric, as trec_eval counts it) are reported as warnings.
 */
import type { Dataset, Qrels } from './types';

/** The dataset's split names, sorted, for messages ("dev, test", or "none"). */
export function splitList(dataset: Dataset): string {
  return Object.keys(dataset.qrels).sort().join(', ') || 'none';
}

/** The qrels of a split; a missing split is an error listing the dataset's splits. */
export function qrelsOf(dataset: Dataset, split: string, what = 'dataset'): Qrels {
  const qrels = Object.prototype.hasOwnProperty.call(dataset.qrels, split) ? dataset.qrels[split] : undefined;
  if (!qrels)
    throw new Error(
      `${what} "${dataset.name}" has no qrels split "${split}"; its splits: ${splitList(dataset)}`,
    );
  return qrels;
}

/** Warnings about a split whose judgements leave queries without a relevant document (empty: none). */
export function qrelsWarnings(dataset: Dataset, split: string): string[] {
  const qrels = qrelsOf(dataset, split);
  let judged = 0;
  let nothingRelevant = 0;
  for (const grades of qrels.values()) {
    if (grades.size === 0) continue;
    judged++;
    if (![...grades.values()].some((g) => g > 0)) nothingRelevant++;
  }
  if (judged > 0 && nothingRelevant === judged)
    return [
      `split "${split}" of "${dataset.name}" has no relevant judgement: ` +
        (judged === 1 ? 'its 1 judged query has' : `all ${judged} judged queries have`) +
        ' grades ≤ 0, so every metric is 0; check the score column of its qrels file (relevant documents need a grade ≥ 1)',
    ];
  if (nothingRelevant > 0)
    return [
      `${nothingRelevant} of ${judged} judged queries of split "${split}" have no relevant document ` +
        '(all their grades ≤ 0): each scores 0 and counts in the mean',
    ];
  return [];
}
