/** Training and expert requests of the worker protocol: their types and validation. */
import type { TrainRunRecord, TrainSpec } from '../../../store/training-types';
import type { ExpertRecord } from '../../../experts/record';
import type { TrainConfig } from '../../../train/types';
import type { BackendPref } from '../../events';
import { int, isPref, isStr, num, type Need } from '../../protocol-check';
import { checkPolicy, type PromptPolicy } from '../../../prompts/policy';

/** Start a run from a recipe (with `pairsFile` when its data is a pairs JSONL), or resume a stored one. */
export type TrainRequest = ({ spec: TrainSpec; pairsFile?: File } | { resume: string }) & {
  backend: BackendPref;
};

export interface ExpertFile {
  name: string;
  data: ArrayBuffer;
}

export interface TrainingRequestMap {
  /** trains (or resumes) a run; progress events carry `train` per step; the result is the finished run */
  train: [TrainRequest, TrainRunRecord];
  'list-train-runs': [Record<string, never>, TrainRunRecord[]];
  'delete-train-run': [{ runId: string }, null];
  'list-experts': [Record<string, never>, ExpertRecord[]];
  'rename-expert': [{ expert: string; name: string }, ExpertRecord];
  /** deletes an expert, its weights and cached embeddings */
  'delete-expert': [{ expert: string }, null];
  /** the expert's files: adapter (safetensors + expert.json) or PEFT LoRA (adapter_model.safetensors + adapter_config.json) */
  'export-expert': [{ expert: string }, ExpertFile[]];
  /** files of an expert already stored (same weights) are refused (ExpertExistsError) unless `copy` */
  'import-expert': [{ files: File[]; name?: string; copy?: boolean }, ExpertRecord];
}
export type TrainingRequestType = keyof TrainingRequestMap;

/** Checks a TrainConfig's numbers; names the first bad field. */
export function checkTrainConfig(c: TrainConfig | undefined, need: Need): void {
  need(typeof c === 'object' && c !== null, 'train spec needs config');
  const cfg = c as TrainConfig;
  need(cfg.method === 'adapter' || cfg.method === 'lora', 'config.method must be adapter or lora');
  need(int(cfg.steps, 1, 1_000_000), 'config.steps must be an integer in 1..1000000');
  need(int(cfg.batchSize, 1, 4096), 'config.batchSize must be an integer in 1..4096');
  need(num(cfg.lr, 0, 1) && cfg.lr > 0, 'config.lr must be in (0, 1]');
  need(int(cfg.warmupSteps, 0, 1_000_000), 'config.warmupSteps must be a non-negative integer');
  need(
    num(cfg.weightDecay, 0, 10) && num(cfg.beta1, 0, 1) && num(cfg.beta2, 0, 1) && num(cfg.eps, 0, 1),
    'config AdamW weightDecay/beta1/beta2/eps out of range',
  );
  need(int(cfg.hardNegatives, 0, 64), 'config.hardNegatives must be an integer in 0..64');
  need(num(cfg.scale, 0, 1000) && cfg.scale > 0, 'config.scale must be in (0, 1000]');
  need(typeof cfg.symmetric === 'boolean', 'config.symmetric must be a boolean');
  need(num(cfg.maxGradNorm, 0, 1e6), 'config.maxGradNorm must be >= 0 (0 disables clipping)');
  need(int(cfg.seed, 0, 2 ** 32 - 1), 'config.seed must be an unsigned 32-bit integer');
  need(int(cfg.checkpointEvery, 1, 1_000_000), 'config.checkpointEvery must be a positive integer');
  need(int(cfg.devEvery, 0, 1_000_000), 'config.devEvery must be a non-negative integer');
  const l = cfg.lora;
  need(
    typeof l === 'object' &&
      l !== null &&
      int(l.rank, 1, 1024) &&
      num(l.alpha, 0, 1e4) &&
      num(l.dropout, 0, 0.99),
    'config.lora needs rank 1..1024, alpha >= 0, dropout in [0, 1)',
  );
  const a = cfg.adapter;
  need(
    typeof a === 'object' &&
      a !== null &&
      (a.kind === 'lowrank' || a.kind === 'full') &&
      int(a.rank, 1, 4096),
    'config.adapter needs kind lowrank|full and rank 1..4096',
  );
  const problem = cfg.prompts === undefined ? null : policyProblem(cfg.prompts);
  need(problem === null, problem ?? '');
}

/** What is wrong with a request's prompt policy (null: nothing). */
function policyProblem(p: PromptPolicy): string | null {
  try {
    checkPolicy(p, 'config.prompts');
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function checkSpec(s: TrainSpec | undefined, hasFile: boolean, need: Need): void {
  need(typeof s === 'object' && s !== null, 'train needs spec or resume');
  const spec = s as TrainSpec;
  need(isStr(spec.name) && spec.name.length <= 200, 'train spec needs a name (1..200 characters)');
  need(isStr(spec.baseModel), 'train spec needs baseModel');
  const d = spec.data as
    | {
        kind?: unknown;
        dataset?: unknown;
        split?: unknown;
        fileName?: unknown;
        set?: unknown;
        policy?: unknown;
      }
    | undefined;
  need(
    typeof d === 'object' &&
      d !== null &&
      (d.kind === 'dataset'
        ? isStr(d.dataset) && isStr(d.split)
        : d.kind === 'synth'
          ? isStr(d.set) && (d.policy === 'accepted' || d.policy === 'not-rejected')
          : d.kind === 'pairs' && isStr(d.fileName)),
    'train spec data must be { kind: dataset, dataset, split }, { kind: pairs, fileName } or { kind: synth, set, policy: accepted|not-rejected }',
  );
  need((d?.kind === 'pairs') === hasFile, 'a pairs-file run needs pairsFile (and only it)');
  need(
    spec.mining === null || (typeof spec.mining === 'object' && int(spec.mining.negatives, 1, 64)),
    'train spec mining must be null or { negatives: 1..64 }',
  );
  need(
    spec.dev === null ||
      (typeof spec.dev === 'object' &&
        isStr(spec.dev.dataset) &&
        isStr(spec.dev.split) &&
        (spec.dev.maxQueries === undefined || int(spec.dev.maxQueries, 1, 1e6))),
    'train spec dev must be null or { dataset, split, maxQueries? }',
  );
  checkTrainConfig(spec.config, need);
}

/** Validates the body of a training request; `need` throws the ProtocolError. */
export function checkTrainingRequest(t: TrainingRequestType, m: Record<string, unknown>, need: Need): void {
  switch (t) {
    case 'train':
      need(isPref(m.backend), 'train needs backend auto|webgpu|cpu');
      if (m.resume !== undefined)
        need(isStr(m.resume) && m.spec === undefined, 'train resume must be a run id (without spec)');
      else
        checkSpec(m.spec as TrainSpec | undefined, m.pairsFile !== undefined && m.pairsFile !== null, need);
      break;
    case 'delete-train-run':
      need(isStr(m.runId), 'delete-train-run needs runId');
      break;
    case 'rename-expert':
      need(
        isStr(m.expert) && typeof m.name === 'string' && m.name.trim().length > 0 && m.name.length <= 200,
        'rename-expert needs expert and a name (1..200 characters)',
      );
      break;
    case 'delete-expert':
    case 'export-expert':
      need(isStr(m.expert), `${t} needs expert (its id)`);
      break;
    case 'import-expert':
      need(Array.isArray(m.files) && m.files.length > 0, 'import-expert needs the expert files');
      need(m.name === undefined || isStr(m.name), 'import-expert name must be a non-empty string');
      need(m.copy === undefined || typeof m.copy === 'boolean', 'import-expert copy must be a boolean');
      break;
    case 'list-train-runs':
    case 'list-experts':
      break;
  }
}
