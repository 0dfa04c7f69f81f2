/**
 * Turning an expert into an embedder (the studio's worker and Node alike): its base model plus its trained
 * weights (an embedding-space adapter, or LoRA inside a model on the studio kernels), under the templates
 * the expert was trained with. A merged LoRA expert (dense ΔW per linear, src/train/lora-deltas.ts) runs
 * the base with W + ΔW folded in (src/train/lora-merged.ts).
 */
import { FINGERPRINT_SCHEME } from '../data/fingerprint';
import { HfEmbedder } from '../models/hf/embedder';
import type { Embedder } from '../models/types';
import { UseLiteEmbedder } from '../models/use-lite/model';
import { adapterEmbedder } from '../train/adapter';
import { loadLoraExpert, type LoraBase } from '../train/lora';
import { isDeltaWeights, weightsToDeltas } from '../train/lora-deltas';
import { loadMergedLora } from '../train/lora-merged';
import { checkPolicy, type PromptPolicy } from '../prompts/policy';
import type { PromptCandidate } from '../prompts/search-types';
import { withInstruction } from '../prompts/template';
import { policyPrompt, prompted, underPrompt } from '../train/prompts';
import type { ExpertWeights } from './files';
import type { ExpertRecord } from './record';

const policies = new WeakMap<Embedder, PromptPolicy>();

/** The prompt policy an expert's embedder (from expertEmbedder) was trained under; undefined: none, or not an expert. */
export const expertPolicy = (e: Embedder): PromptPolicy | undefined => policies.get(e);

/**
 * An expert's training instructions as prompt-search candidates (after the given ones), so its leaderboard
 * shows it under each of its prompts beside no prompt; none for a model or an expert trained without prompts.
 */
export function trainedCandidates(e: Embedder, given: readonly PromptCandidate[]): PromptCandidate[] {
  const p = policies.get(e);
  if (!p || p.kind === 'none') return [...given];
  const n = p.instructions.length;
  return [
    ...given,
    ...p.instructions.map((instruction, i) => ({
      id: `t${i + 1}`,
      instruction,
      origin: 'current' as const,
      note: `trained ${i + 1}/${n}`,
    })),
  ];
}

export const isLoraBase = (e: Embedder): e is LoraBase =>
  e instanceof UseLiteEmbedder || e instanceof HfEmbedder;

/** The embedder of `record` over its loaded base model, under the id `id`. */
export function expertEmbedder(
  base: Embedder,
  record: ExpertRecord,
  weights: ExpertWeights,
  id: string,
): Embedder {
  let e: Embedder;
  if (record.method === 'lora') {
    if (!isLoraBase(base))
      throw new Error(
        `expert "${record.name}": LoRA needs USE-lite or a Hugging Face model on the studio kernels, got "${record.baseModel}"`,
      );
    // a merged LoRA expert: one ΔW per linear, folded into the base's weights
    if (isDeltaWeights(weights))
      e = loadMergedLora(base, weightsToDeltas(weights, base.linears, `expert "${record.name}"`), id);
    else e = loadLoraExpert(base, weights, record.config.lora, id);
  } else e = adapterEmbedder(base, record.config.adapter, { host: weights }, id);
  const fp = record.fingerprints;
  const out: Embedder = {
    id: e.id,
    dim: e.dim,
    templates: record.templates ?? base.templates,
    trainedQueries: fp?.scheme === FINGERPRINT_SCHEME ? new Set(fp.queries) : null,
    ...(e.overBase ? { overBase: e.overBase } : {}),
    embed: (b, texts, role) => e.embed(b, texts, role),
  };
  const trained = withExpertPrompts(out, base, record);
  if (record.instruction === undefined) return trained;
  // the instruction chosen after training (a prompt search's winner) replaces the policy's default
  const chosen = withInstruction(trained, record.instruction);
  const policy = policies.get(trained);
  if (policy && chosen !== trained) policies.set(chosen, policy);
  return chosen;
}

/**
 * `e` (an expert's embedder under its recorded templates) with its queries under the expert's prompt
 * policy: the policy's format, the base's plain query template, the default instruction. `e` itself when
 * the expert has no policy (older records, runs without prompts).
 */
export function withExpertPrompts(e: Embedder, base: Embedder, record: ExpertRecord): Embedder {
  const policy = record.prompts && checkPolicy(record.prompts, `expert "${record.name}": prompts`);
  if (!prompted(policy)) return e;
  const under = underPrompt(e, policyPrompt(base, policy));
  policies.set(under, policy);
  return under;
}
