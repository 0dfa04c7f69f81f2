/**
 * What a hand-off project is made of, derived from an expert's record: the Python base model, the loss and
 * optimiser settings, LoRA, the query/passage templates for training and for evaluation, the evaluation tasks.
 * Pure: the CLI and the worker gather the record, pairs, recipe and tasks, and src/handoff/project.ts writes files.
 */
import type { ExpertRecord } from '../experts/record';
import { isBuiltinModel } from '../models/registry';
import { defaultInstruction, type PromptPolicy } from '../prompts/policy';
import { formatAround } from '../prompts/template';
import { effectiveWarmup } from '../train/schedule';
import { prompted } from '../train/prompts';
import type { TrainConfig } from '../train/types';
import { hfTargetModules } from './target-modules';

/** A BEIR folder to evaluate on: its MTEB task name, where it lies (relative to the project or absolute), its split. */
export interface HandoffTask {
  name: string;
  path: string;
  split: string;
}

export class HandoffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandoffError';
  }
}

/** The studio's training settings train.py keeps as they are (AdamW, schedule, batch, loss, clipping, seed). */
type KeptTrainSettings = Pick<
  TrainConfig,
  | 'lr'
  | 'weightDecay'
  | 'beta1'
  | 'beta2'
  | 'eps'
  | 'warmupSteps'
  | 'steps'
  | 'batchSize'
  | 'hardNegatives'
  | 'scale'
  | 'symmetric'
  | 'maxGradNorm'
  | 'seed'
>;

/** The settings train.py and evaluate.py carry (the keys of train.py's CONFIG). */
export interface HandoffSettings extends KeptTrainSettings {
  expertName: string;
  studioBase: string;
  /** what sentence-transformers loads: a hub id or a folder */
  baseModel: string;
  studioMethod: ExpertRecord['method'];
  rank: number;
  alpha: number;
  dropout: number;
  targetModules: string | string[];
  droppedModules: string[];
  /** slice patterns whose fused module was added ("q_proj -> qkv_proj": PEFT adapts the whole fused linear) */
  fusedModules: string[];
  /** training queries: the format with {instruction} (prompted) or the plain query template */
  queryFormat: string;
  /** the instructions drawn from during training (empty: none) */
  instructions: string[];
  promptKind: PromptPolicy['kind'];
  passageTemplate: string;
  /** the query template at evaluation ({text}, maybe {title}): the expert's default or chosen instruction filled in */
  evalQueryTemplate: string;
  maxSeqLength: number;
}

/** The paper's max 512 tokens. */
export const MAX_SEQ_LENGTH = 512;

const fill = (format: string, instruction: string) => format.split('{instruction}').join(instruction);

/**
 * The record's recipe for Python. `base` is the model sentence-transformers loads; without it the record's
 * base, which must then be a hub id or folder (a studio built-in such as use-lite has no PyTorch weights).
 */
export function handoffSettings(record: ExpertRecord, base?: string): HandoffSettings {
  const baseModel = base?.trim() || record.baseModel;
  if (isBuiltinModel(baseModel))
    throw new HandoffError(
      `expert "${record.name}" is over the studio's built-in model "${record.baseModel}", which sentence-transformers cannot load: name the Hugging Face model to train in Python (--base <hub id or folder>, e.g. Qwen/Qwen3-Embedding-0.6B)`,
    );
  const c = record.config;
  const mapped = hfTargetModules(record.baseModel, c.lora.targetModules);
  const policy = record.prompts;
  const plain = record.templates.query;
  const format = prompted(policy) ? policy.format : formatAround(plain);
  const chosen = record.instruction !== undefined ? record.instruction : defaultInstruction(policy);
  return {
    expertName: record.name,
    studioBase: record.baseModel,
    baseModel,
    studioMethod: record.method,
    rank: c.lora.rank,
    alpha: c.lora.alpha,
    dropout: c.lora.dropout,
    targetModules: mapped.targetModules,
    droppedModules: mapped.dropped,
    fusedModules: mapped.fused,
    lr: c.lr,
    weightDecay: c.weightDecay,
    beta1: c.beta1,
    beta2: c.beta2,
    eps: c.eps,
    warmupSteps: effectiveWarmup(c.warmupSteps, c.steps),
    steps: c.steps,
    batchSize: c.batchSize,
    hardNegatives: c.hardNegatives,
    scale: c.scale,
    symmetric: c.symmetric,
    maxGradNorm: c.maxGradNorm,
    seed: c.seed,
    queryFormat: prompted(policy) ? policy.format : plain,
    instructions: prompted(policy) ? [...policy.instructions] : [],
    promptKind: policy?.kind ?? 'none',
    passageTemplate: record.templates.passage,
    evalQueryTemplate: chosen ? fill(format, chosen.trim()) : plain,
    maxSeqLength: MAX_SEQ_LENGTH,
  };
}
