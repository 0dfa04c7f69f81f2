import type { TrainConfig, TrainMethod, TrainProgress } from '../train/types';

/** A named expert: base model + trained weights + the recipe that produced them. */
export interface ExpertRecord {
  id: string;
  name: string;
  baseModel: string;
  method: TrainMethod;
  config: TrainConfig;
  data: { source: string; pairs: number; negatives: string };
  templates: { query: string; passage: string };
  createdAt: string;
  history: TrainProgress[];
  metrics?: Record<string, number>;
}

/** The model id under which an expert is evaluated in the studio (and its corpus embeddings cached). */
export const EXPERT_PREFIX = 'expert:';
export const expertModelId = (id: string) => `${EXPERT_PREFIX}${id}`;
