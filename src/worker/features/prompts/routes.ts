/**
 * The prompts feature (issue 11): a search for a model's query instruction on a dev split (successive
 * halving, src/prompts/search.ts) with its leaderboard in the progress events, stored when it finishes; the
 * winner scored once on the test split; an instruction put into a model's query template.
 */
import { trainedCandidates } from '../../../experts/embedder';
import { EXPERT_PREFIX } from '../../../experts/record';
import { checkInstruction, defaultInstruction } from '../../../prompts/policy';
import { queryPrompt } from '../../../prompts/template';
import { updateExpert } from '../../../store/training';
import type { PromptCandidate, PromptSearchProgress } from '../../../prompts/search-types';
import { scorePrompt, searchPrompts } from '../../../prompts/search';
import { IdbEmbeddingCache } from '../../../store/embeddings';
import type { Backend } from '../../../core/backend';
import { generatorFromConfig } from '../../../synth/endpoint-config';
import type { TextGenerator } from '../../../synth/generator';
import { generatorsOf } from '../generate/generators';
import type { LlmWriterSpec } from '../synth/protocol';
import type { Host } from '../../host';
import { modelEmbedder } from '../eval/embedder';
import type { Feature, JobCtx } from '../feature';
import { templatesWithInstruction } from '../models/templates';
import {
  checkPromptsRequest,
  type PromptSearchRecord,
  type PromptSearchRequest,
  type PromptsRequestMap,
} from './protocol';
import { getPromptSearch, listPromptSearches, newSearchId, savePromptSearch } from './saved';

const TEST = 'test';

/** The user's instructions as candidates (trimmed; empty and repeated ones dropped; a bad one refused by its line). */
export function userCandidates(texts: readonly string[]): PromptCandidate[] {
  const seen = new Set<string>();
  const out: PromptCandidate[] = [];
  texts.forEach((t, i) => {
    if (!t.trim()) return;
    const s = checkInstruction(t, `prompt-search: your instruction on line ${i + 1}`);
    if (seen.has(s)) return;
    seen.add(s);
    out.push({ id: `u${out.length + 1}`, instruction: s, origin: 'user' });
  });
  return out;
}

function progressDetail(p: PromptSearchProgress): string {
  const best = p.leaderboard[0];
  return (
    `rung ${p.rung + 1} of ${p.rungs} · ${p.spent} of ${p.budget} query embeddings` +
    (best ? ` · best ${best.ndcg10.toFixed(3)}` : '')
  );
}

function cacheOf(ctx: JobCtx): IdbEmbeddingCache {
  // the evaluation's cache: a corpus already evaluated under this model is not embedded again
  return new IdbEmbeddingCache(ctx.db, {
    onDegraded: (message) => ctx.post({ type: 'warning', id: ctx.id, message }),
  });
}

/** The LLM that proposes instructions (a local chat model runs on the search's backend), and its label. */
async function proposer(
  w: LlmWriterSpec,
  backend: Backend,
  ctx: JobCtx,
  host: Host,
): Promise<{ gen: TextGenerator; label: string }> {
  if (w.kind === 'endpoint') {
    const gen = generatorFromConfig(w.config, (i) => ctx.progress('propose', 0, 0, `${i.reason}; retrying`), {
      inStudio: true,
    });
    return { gen, label: `${w.config.baseUrl} (${w.config.model})` };
  }
  ctx.progress('load-model', 0, 1, w.model);
  const local = await generatorsOf(host).get(w.model, ctx.db, { signal: ctx.signal });
  if (local.templateNote) ctx.post({ type: 'warning', id: ctx.id, message: local.templateNote });
  const gen: TextGenerator = {
    id: local.id,
    generate: (messages, opts) => local.generateOn(backend, messages, opts),
  };
  return { gen, label: w.model };
}

async function search(req: PromptSearchRequest, ctx: JobCtx, host: Host): Promise<PromptSearchRecord> {
  const ds = await host.dataset(req.dataset, ctx.db);
  if (!ds.qrels[req.split])
    throw new Error(
      `prompt-search: dataset "${req.dataset}" has no split "${req.split}" (it has ${Object.keys(ds.qrels).join(', ') || 'none'}); split it in the Data tab to make a dev split`,
    );
  const candidates = userCandidates(req.candidates);
  ctx.progress('acquire-backend', 0, 1);
  let llm: string | undefined;
  const result = await host.backends.run(req.backend, ctx.signal, async (backend) => {
    const writer = req.llm ? await proposer(req.llm, backend, ctx, host) : undefined;
    llm = writer?.label;
    ctx.progress('load-model', 0, 1);
    const embedder = await modelEmbedder(req.model, host, ctx.signal);
    return searchPrompts({
      ...(writer ? { generator: writer.gen } : {}),
      embedder,
      backend,
      dataset: ds,
      split: req.split,
      candidates: trainedCandidates(embedder, candidates),
      ...(req.taskType ? { taskType: req.taskType } : {}),
      mutate: req.mutate,
      seed: req.seed,
      budget: req.budget,
      ...(req.eta !== undefined ? { eta: req.eta } : {}),
      ...(req.minQueries !== undefined ? { minQueries: req.minQueries } : {}),
      cache: cacheOf(ctx),
      signal: ctx.signal,
      onProgress: (p) =>
        ctx.post({
          type: 'progress',
          id: ctx.id,
          phase: p.phase,
          done: p.done,
          total: p.total,
          detail: progressDetail(p),
          prompts: p,
        }),
    });
  });
  const createdAt = new Date().toISOString();
  const { backend: _backend, llm: _llm, ...rest } = req;
  const request: PromptSearchRecord['request'] = { ...rest, ...(llm ? { llm } : {}) };
  const rec: PromptSearchRecord = { id: newSearchId(createdAt), createdAt, request, result };
  ctx.progress('save', 0, 1);
  await savePromptSearch(rec, ctx.db);
  return rec;
}

async function scoreOnTest(
  req: PromptsRequestMap['prompt-score-test'][0],
  ctx: JobCtx,
  host: Host,
): Promise<PromptSearchRecord> {
  const rec = await getPromptSearch(req.search, ctx.db);
  if (rec.test)
    throw new Error(
      `prompt search ${rec.id}: its winner was already scored on ${rec.test.split} (${rec.test.ndcg10.toFixed(4)}); a test split is scored once, so that it stays unseen by the choice`,
    );
  const ds = await host.dataset(rec.request.dataset, ctx.db);
  if (!ds.qrels[TEST])
    throw new Error(
      `dataset "${rec.request.dataset}" has no test split to score the winner on (it has ${Object.keys(ds.qrels).join(', ')})`,
    );
  ctx.progress('acquire-backend', 0, 1);
  const score = await host.backends.run(req.backend, ctx.signal, async (backend) => {
    ctx.progress('load-model', 0, 1);
    const embedder = await modelEmbedder(rec.request.model, host, ctx.signal);
    ctx.progress('score', 0, 1, 'the winner on the test split');
    return scorePrompt({
      embedder,
      backend,
      dataset: ds,
      split: TEST,
      instruction: rec.result.best.candidate.instruction,
      seed: rec.request.seed,
      cache: cacheOf(ctx),
      signal: ctx.signal,
    });
  });
  const test = {
    split: TEST,
    instruction: rec.result.best.candidate.instruction,
    ndcg10: score.ndcg10,
    ci: score.ci,
    queries: score.queries,
    at: new Date().toISOString(),
  };
  const out: PromptSearchRecord = { ...rec, test };
  ctx.progress('save', 0, 1);
  await savePromptSearch(out, ctx.db);
  return out;
}

export const prompts: Feature<PromptsRequestMap> = {
  check: checkPromptsRequest,
  routes: {
    'prompt-search': { queued: true, run: (req, ctx, host) => search(req, ctx, host) },
    'prompt-score-test': { queued: true, run: (req, ctx, host) => scoreOnTest(req, ctx, host) },
    'list-prompt-searches': { run: (_req, ctx) => listPromptSearches(ctx.db) },
    'apply-prompt': {
      run: async (req, ctx, host) => {
        if (req.model.startsWith(EXPERT_PREFIX)) {
          // an expert keeps its trained weights and policy; the chosen instruction replaces its default
          const instruction =
            req.instruction === null ? null : checkInstruction(req.instruction, 'apply-prompt');
          const rec = await updateExpert(req.model.slice(EXPERT_PREFIX.length), { instruction }, ctx.db);
          const p = queryPrompt(await host.training.expertEmbedder(req.model));
          const passage = rec.templates.passage;
          return {
            id: req.model,
            defaults: { query: p.format, passage, instruction: defaultInstruction(rec.prompts) },
            templates: { query: p.format, passage, instruction },
            custom: true,
          };
        }
        const t = await host.models.templates(req.model);
        return host.models.setTemplates(
          req.model,
          templatesWithInstruction(t.templates, t.defaults, req.instruction),
        );
      },
    },
  },
};
