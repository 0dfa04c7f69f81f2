/** What a training run is made of (stored with the run so a reload can resume it exactly). */
import type { ExpertSynthSource } from '../experts/record';
import type { ReviewPolicy } from '../synth/types';
import type { TrainConfig, TrainProgress } from '../train/types';

/**
 * Where a run's pairs come from: a stored dataset's judged queries, an imported pairs JSONL, or a
 * synthetic set's reviewed items under a policy (accepted only, or all but rejected).
 */
export type TrainDataSource =
  | { kind: 'dataset'; dataset: string; split: string }
  | { kind: 'pairs'; fileName: string }
  | { kind: 'synth'; set: string; policy: ReviewPolicy };

/** The recipe of a run. */
export interface TrainSpec {
  /** the expert's name */
  name: string;
  baseModel: string;
  data: TrainDataSource;
  /** mined hard negatives per query (before training), or none */
  mining: { negatives: number } | null;
  config: TrainConfig;
  /** dev nDCG@10 every config.devEvery steps on this split */
  dev: { dataset: string; split: string; maxQueries?: number } | null;
}

export type TrainStatus = 'running' | 'done' | 'cancelled' | 'failed';

export interface TrainRunRecord {
  id: string;
  spec: TrainSpec;
  /** 'running' with no job in flight (e.g. after a reload) means interrupted */
  status: TrainStatus;
  createdAt: string;
  updatedAt: string;
  /** the step of the latest checkpoint (0: none yet) */
  step: number;
  totalSteps: number;
  pairs: number;
  /** loss/dev history up to the latest checkpoint */
  history: TrainProgress[];
  expertId: string | null;
  error: string | null;
  /** a synthetic set's run: the set, policy and counts when it started (the expert's recipe keeps them) */
  synth?: ExpertSynthSource;
}
