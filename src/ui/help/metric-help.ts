/**
 * Short explanations for educators (issue 12 item 6): each retrieval metric, each relevance mark of the
 * drill-down, and the training fields whose meaning is not obvious. One place, so the Evaluate tab, the
 * drill-down and the Train form say the same thing.
 */
import type { MetricKey } from '../../eval/types';

export interface HelpEntry {
  label: string;
  text: string;
}

export const METRIC_HELP: Readonly<Partial<Record<MetricKey, HelpEntry>>> = {
  'ndcg@10': {
    label: 'nDCG@10',
    text: 'Normalised discounted cumulative gain of the top 10: each relevant document adds its grade, discounted by log2(rank + 1), divided by the score of the ideal ordering. 1 = the best possible top 10; 0 = nothing relevant in it. The main score of BEIR and MTEB.',
  },
  'map@100': {
    label: 'MAP@100',
    text: 'Mean average precision over the top 100: the precision at each rank where a relevant document appears, averaged over all of the query’s relevant documents (a missed one counts 0). High when every relevant document comes early.',
  },
  'recall@100': {
    label: 'Recall@100',
    text: 'The share of the query’s relevant documents found in the top 100: whether a re-ranker or a reader placed after the retriever would even see them.',
  },
  'mrr@10': {
    label: 'MRR@10',
    text: 'Reciprocal rank of the first relevant document in the top 10: 1 at rank 1, 1/2 at rank 2, … 0 when none. What a reader who stops at the first good hit experiences.',
  },
  'p@10': {
    label: 'P@10',
    text: 'Precision at 10: relevant documents in the top 10, divided by 10. It cannot reach 1 for a query with fewer than 10 relevant documents.',
  },
};

/** The label and explanation of a metric key (a key without an entry gets its own name and no text). */
export const metricHelp = (k: MetricKey): HelpEntry => METRIC_HELP[k] ?? { label: k, text: '' };

export const MARK_HELP = {
  relevant: {
    label: '✓ relevant',
    text: 'Judged relevant by the collection’s assessors; the number is its grade (graded relevance: a higher grade is more relevant, and nDCG counts the grade as the gain).',
  },
  nonrelevant: {
    label: '✗ not relevant',
    text: 'Judged and found not relevant (grade 0 or below): a true miss of the ranking.',
  },
  unjudged: {
    label: '· not judged',
    text: 'Nobody assessed this document for this query. The metrics count it as not relevant, although it may be: a new model that finds documents the judges never saw can score lower than it deserves.',
  },
  graded: {
    label: 'graded relevance',
    text: 'Judges give each relevant document a grade (e.g. cran: 1 to 4; med and medquad: 1, binary). nDCG rewards putting the higher grades first; the other metrics count any grade above 0 as relevant.',
  },
} as const satisfies Record<string, HelpEntry>;

/** The Train form's fields. */
export const TRAIN_HELP = {
  scale: {
    label: 'Scale (1/τ)',
    text: 'InfoNCE multiplies each cosine similarity by the scale = 1/temperature before the softmax over the batch. 20 (τ = 0.05, the paper’s and sentence-transformers’ default) makes the loss sharp, so the hardest negatives dominate; a lower scale spreads it over all of them.',
  },
  symmetric: {
    label: 'Symmetric',
    text: 'Adds the reverse direction: each positive document must also pick its own query out of the batch’s queries. The loss is the mean of both (MultipleNegativesSymmetricRankingLoss).',
  },
  clip: {
    label: 'Gradient clipping',
    text: 'When the gradient’s global norm passes this value it is scaled down to it, so one odd batch cannot throw the weights far. 1 is usual; 0 turns clipping off.',
  },
  hardNegatives: {
    label: 'Hard negatives',
    text: 'Per query, how many mined (or given) negatives join the batch: documents that look relevant but are not. They teach the fine distinctions random negatives cannot. Every other query’s positive is always an in-batch negative too.',
  },
  rank: {
    label: 'LoRA rank',
    text: 'LoRA adds to each adapted weight W a low-rank update B·A of rank r: more rank, more capacity and more trainable parameters (the paper: 16). The base weights stay frozen.',
  },
  targets: {
    label: 'LoRA targets',
    text: 'Which weight matrices get a LoRA update: all-linear (every linear layer, the paper’s choice), or module names separated by commas, as PEFT names them: q_proj,v_proj for decoders, query,value for BERT. On Phi-3, whose q, k and v (and gate and up) share one fused matrix, q_proj adapts only the q rows of qkv_proj. A name that matches no layer of the model stops the run and lists the layers it has.',
  },
  alpha: {
    label: 'LoRA alpha',
    text: 'The update B·A is multiplied by alpha / rank (the paper: 32 / 16 = 2). Raising alpha acts like raising the adapter’s learning rate.',
  },
  batch: {
    label: 'Batch size',
    text: 'Pairs per step. Each query is scored against every positive of the batch, so a larger batch brings more in-batch negatives.',
  },
} as const satisfies Record<string, HelpEntry>;
