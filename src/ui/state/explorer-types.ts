import type { ExplorerView } from '../../worker/features/explorer/protocol';

/** The view on screen: the worker's view and its coordinates turned to match the one shown before. */
export interface ExplorerShown {
  key: string;
  view: ExplorerView;
  coords: Float32Array;
}

/** The Explorer part of the UI store (issue 12 item 5). */
export interface ExplorerSlice {
  /** views already computed, by dataset|split|model (switching back is instant), each with the dataset's
   * import time and the split's judgements it was computed on (a re-import or a new split computes anew) */
  explorerViews: Record<string, { view: ExplorerView; stamp: string }>;
  explorerShown: ExplorerShown | null;
  /** the query whose judgements colour the points */
  explorerQid: string | null;
  /** projects the current dataset and split under `model` (a model id or expert:<id>) and shows it */
  showExplorer(model: string): Promise<void>;
  selectExplorerQuery(qid: string | null): void;
}
