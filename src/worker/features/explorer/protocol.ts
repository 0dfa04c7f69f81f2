/** The Explorer's request (issue 12 item 5): a 2-D PCA view of a split's queries and documents under one model. */
import type { BackendPref } from '../../events';
import { int, isPref, isStr, type Need } from '../../protocol-check';

export interface ExploreRequest {
  dataset: string;
  split: string;
  /** a model id or `expert:<id>` (an expert or a saved merge) */
  model: string;
  backend: BackendPref;
  /** queries + documents shown (default 1,500) */
  maxPoints?: number;
  /** the sample's seed (default 1) */
  seed?: number;
}

/** One of a query's ten best documents under the model. */
export interface TopDoc {
  id: string;
  title: string;
  /** qrels grade, null when unjudged */
  grade: number | null;
  /** the document is one of the view's points */
  shown: boolean;
}

export interface ExplorerView {
  dataset: string;
  split: string;
  model: string;
  /** the points: queries first, then documents */
  ids: string[];
  kinds: ('query' | 'doc')[];
  /** a document's title (or the start of its text), a query's text */
  titles: string[];
  /** x, y per point on the model's two principal components [2 · points] */
  coords: Float32Array;
  /** the share of the total variance each component shows */
  explained: [number, number];
  iterations: number;
  /** per shown query: its graded judgements (doc id → grade) */
  qrels: Record<string, Record<string, number>>;
  /** per shown query: its ten best documents by cosine */
  top: Record<string, TopDoc[]>;
  /** 'corpus': the top 10 were searched in the whole corpus; 'sample': among the shown documents only */
  topScope: 'corpus' | 'sample';
  corpusDocs: number;
  backend: string;
  seconds: number;
}

export interface ExplorerRequestMap {
  explore: [ExploreRequest, ExplorerView];
}

export function checkExplorerRequest(
  _t: keyof ExplorerRequestMap,
  m: Record<string, unknown>,
  need: Need,
): void {
  need(isStr(m.dataset) && isStr(m.split), 'explore needs dataset and split');
  need(isStr(m.model), 'explore needs a model (a model id or expert:<id>)');
  need(isPref(m.backend), 'explore needs backend auto|webgpu|cpu');
  need(
    m.maxPoints === undefined || int(m.maxPoints, 20, 5000),
    'explore maxPoints must be an integer in 20..5000',
  );
  need(m.seed === undefined || int(m.seed, 0, 0xffffffff), 'explore seed must be a u32');
}
