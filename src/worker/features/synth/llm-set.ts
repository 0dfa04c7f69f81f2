/**
 * The LLM branch of `synth-generate`: queries (and optionally hard negatives) written by a chat-completions
 * server on this machine or by a decoder imported in the studio, through the same batch functions as
 * `stm synth --method llm`. Per-document failures are counted and named in a warning; a batch stopped
 * (wrong key, unknown model) or failing for every document is an error, and nothing is stored.
 */
import type { Doc } from '../../../data/types';
import { generatorFromConfig } from '../../../synth/endpoint-config';
import type { TextGenerator } from '../../../synth/generator';
import { llmNegatives, llmQueryItems, type LlmBatchResult } from '../../../synth/llm-synth';
import type { SynthItem } from '../../../synth/types';
import { plural } from '../../../util/words';
import type { Host } from '../../host';
import type { JobCtx } from '../feature';
import { generatorsOf } from '../generate/generators';
import type { SynthLlmSettings } from './protocol';

/** The writer the settings name, and how many requests it takes at once. */
async function openWriter(
  s: SynthLlmSettings,
  ctx: JobCtx,
  host: Host,
): Promise<{ gen: TextGenerator; concurrency: number }> {
  const w = s.writer;
  if (w.kind === 'endpoint') {
    const gen = generatorFromConfig(
      w.config,
      (i) => ctx.progress('generate', 0, 0, `${i.item ? `${i.item}: ` : ''}${i.reason}; retrying`),
      { inStudio: true },
    );
    return { gen, concurrency: w.config.concurrency };
  }
  ctx.progress('load-model', 0, 1, w.model);
  const local = await generatorsOf(host).get(w.model, ctx.db, {
    signal: ctx.signal,
    onProgress: (p) => ctx.progress('download', p.loaded, p.total ?? p.loaded, p.file),
  });
  ctx.progress('load-model', 1, 1, w.model);
  if (local.templateNote) ctx.post({ type: 'warning', id: ctx.id, message: local.templateNote });
  const pref = w.backend ?? host.backends.active?.pref ?? 'auto';
  // one generation at a time on the worker's backend (with its device-loss recovery)
  const gen: TextGenerator = {
    id: local.id,
    generate: (messages, opts) =>
      host.backends.run(pref, ctx.signal, (backend) => local.generateOn(backend, messages, opts)),
  };
  return { gen, concurrency: 1 };
}

/** Warns about per-item failures; throws when the batch was stopped or nothing came back. */
function settle(what: string, r: LlmBatchResult, total: number, ctx: JobCtx, none: boolean): void {
  if (r.stoppedBy) throw new Error(`${what} stopped: ${r.stoppedBy}; nothing was stored`);
  ctx.signal.throwIfAborted();
  if (none)
    throw new Error(
      `${what}: every request failed; nothing was stored (first: ${r.errors[0]?.message ?? 'no reply'})`,
    );
  if (r.errors.length)
    ctx.post({
      type: 'warning',
      id: ctx.id,
      message: `${what}: ${plural(r.errors.length, 'request')} of ${total} failed and ${r.errors.length === 1 ? 'was' : 'were'} skipped (first, ${r.errors[0].id}: ${r.errors[0].message})`,
    });
}

/** Queries for the first `maxDocs` documents; the model id for the set's record. */
export async function writeLlmQueries(
  s: SynthLlmSettings,
  docs: readonly Doc[],
  set: string,
  ctx: JobCtx,
  host: Host,
): Promise<{ items: SynthItem[]; model: string; gen: TextGenerator; concurrency: number }> {
  const { gen, concurrency } = await openWriter(s, ctx, host);
  const some = docs.slice(0, s.maxDocs);
  const r = await llmQueryItems(some, gen, {
    k: s.perDoc,
    set,
    concurrency,
    sampling: { temperature: s.temperature, seed: s.seed },
    signal: ctx.signal,
    onProgress: (p) => ctx.progress('generate', p.done, p.total),
  });
  settle('LLM queries', r, some.length, ctx, r.items.length === 0);
  return { items: r.items, model: gen.id, gen, concurrency };
}

/** One written hard negative per item (its first look-alike in the prompt), guarded against near-copies. */
export async function writeLlmNegatives(
  s: SynthLlmSettings,
  items: readonly SynthItem[],
  gen: TextGenerator,
  concurrency: number,
  ctx: JobCtx,
): Promise<SynthItem[]> {
  const r = await llmNegatives(items, gen, {
    concurrency,
    sampling: { temperature: s.temperature, seed: s.seed },
    signal: ctx.signal,
    onProgress: (p) => ctx.progress('generate', p.done, p.total, 'hard negatives'),
  });
  settle('LLM hard negatives', r, items.length, ctx, r.errors.length === items.length && items.length > 0);
  return r.items;
}
