/**
 * `stm prompts`: the prompt search (src/prompts/search.ts) on a dev split of a BEIR folder, for any model
 * `stm eval` takes; a leaderboard on stdout, progress on stderr, and with --test-split the winner (and no
 * instruction, beside it) scored once on a split the search never saw.
 */
import { readFile } from 'node:fs/promises';
import { loadBeirDir, loadDemoDatasetNode } from '../data/node';
import { qrelsOf } from '../data/qrels-check';
import { MemoryEmbeddingCache, type EmbeddingCache } from '../eval/embed-cache';
import { FileEmbeddingCache } from '../eval/embed-cache-node';
import { resolveModelNode } from '../experts/resolve-node';
import { parseCandidates } from '../prompts/user-candidates';
import { trainedCandidates } from '../experts/embedder';
import { scorePrompt, searchPrompts } from '../prompts/search';
import type { PromptCandidate, PromptScore } from '../prompts/search-types';
import { queryPrompt } from '../prompts/template';
import { plural } from '../util/words';
import { cliBackend } from './backend';
import type { PromptsArgs } from './prompts-args';
import type { Reporter } from './progress';
import { endpointWriter, localWriter, type LlmWriter } from './synth-llm';

const f4 = (x: number) => x.toFixed(4);
const label = (s: string | null) => (s === null ? '(no instruction)' : s);

async function userCandidates(file: string | undefined): Promise<PromptCandidate[]> {
  if (!file) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`--candidates ${file}: ${(e as Error).message}`);
  }
  return parseCandidates(text, file).map((instruction, i) => ({ id: `u${i}`, instruction, origin: 'user' }));
}

export async function runPrompts(a: PromptsArgs, report: Pick<Reporter, 'log' | 'progress'>): Promise<void> {
  const log = report.log;
  const t0 = Date.now();
  const el = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  const candidates = await userCandidates(a.candidates);
  const dataset = a.dataset === 'demo' ? await loadDemoDatasetNode() : await loadBeirDir(a.dataset);
  // a missing split fails before a model or backend is loaded
  qrelsOf(dataset, a.split);
  if (a.testSplit !== undefined) qrelsOf(dataset, a.testSplit);
  log(
    `dataset ${dataset.name}: ${dataset.docs.length} docs, ${qrelsOf(dataset, a.split).size} judged queries in ${a.split}`,
  );
  if (candidates.length) log(`${a.candidates}: ${plural(candidates.length, 'candidate')}`);
  const embedder = await resolveModelNode(a.model, log, { allowNetwork: a.allowNetwork });
  log(`model ${embedder.id}; query format ${JSON.stringify(queryPrompt(embedder).format)}`);
  const cacheFile = a.cache?.replace(/\.(f32|keys\.json)$/, '');
  const cache: EmbeddingCache = cacheFile
    ? await FileEmbeddingCache.open(cacheFile)
    : new MemoryEmbeddingCache();
  const backend = await cliBackend(a.backend, log);
  let writer: LlmWriter | null = null;
  try {
    const w = a.writer;
    writer = !w
      ? null
      : w.kind === 'endpoint'
        ? endpointWriter(w.llm, report)
        : await localWriter(w.source, w.temperature, a.backend, report);
    let bestSeen = '';
    const r = await searchPrompts({
      embedder,
      backend,
      dataset,
      split: a.split,
      candidates: trainedCandidates(embedder, candidates),
      taskType: a.task,
      mutate: a.mutate,
      generator: writer?.generator,
      temperature: writer?.temperature,
      reflectRounds: a.rounds,
      seed: a.seed,
      budget: a.budget,
      eta: a.eta,
      minQueries: a.minQueries,
      cache,
      onProgress: (p) => {
        const top = p.leaderboard[0];
        if (top && p.phase === 'score') {
          const line = `${f4(top.ndcg10)} ${label(top.candidate.instruction)}`;
          if (line !== bestSeen) {
            bestSeen = line;
            log(`best so far (rung ${top.rung + 1}, ${top.queries} queries): ${line}`);
          }
        }
        report.progress(
          p.phase === 'embed-corpus' ? 'embed-corpus' : `${p.phase} rung ${p.rung + 1}/${p.rungs}`,
          p.done,
          p.total,
          p.phase === 'embed-corpus' ? {} : { detail: `spent ${p.spent}/${p.budget}` },
        );
      },
    });
    await cache.flush?.();
    for (const s of r.skipped ?? []) log(`llm proposal from ${s.parent} skipped: ${s.error}`);
    if (r.stopped) log(`stopped early: ${r.stopped}`);
    log(`searched: ${r.tried} candidates, ${r.spent} query embeddings (${el()})`);

    // the leaderboard, complete on stdout
    console.log(
      `prompts ${dataset.name}/${a.split} ${embedder.id}: ${r.tried} candidates, ${r.spent} of ${a.budget} query embeddings, rungs of ${r.schedule!.join('/')} queries, seed ${a.seed}`,
    );
    console.log(['#', 'ndcg@10', 'ci95', 'queries', 'rung', 'origin', 'prompt'].join('\t'));
    const row = (s: PromptScore, i: number) =>
      [
        i + 1,
        f4(s.ndcg10),
        `${f4(s.ci[0])}-${f4(s.ci[1])}`,
        s.queries,
        s.rung + 1,
        s.candidate.origin + (s.candidate.note ? `:${s.candidate.note}` : ''),
        label(s.candidate.instruction),
      ].join('\t');
    r.leaderboard.forEach((s, i) => console.log(row(s, i)));
    console.log(
      `best ${f4(r.best.ndcg10)} [${f4(r.best.ci[0])}, ${f4(r.best.ci[1])}] on ${r.best.queries} queries: ${label(r.best.candidate.instruction)}`,
    );
    console.log(`baseline (no instruction) ${f4(r.baseline.ndcg10)} on the same queries`);

    let test: { prompt: string | null; ndcg10: number; queries: number; baseline: number } | undefined;
    if (a.testSplit !== undefined) {
      const win = await scorePrompt({
        embedder,
        backend,
        dataset,
        split: a.testSplit,
        instruction: r.best.candidate.instruction,
        cache,
        seed: a.seed,
      });
      const none =
        r.best.candidate.instruction === null
          ? win
          : await scorePrompt({
              embedder,
              backend,
              dataset,
              split: a.testSplit,
              instruction: null,
              cache,
              seed: a.seed,
            });
      await cache.flush?.();
      test = {
        prompt: r.best.candidate.instruction,
        ndcg10: win.ndcg10,
        queries: win.queries,
        baseline: none.ndcg10,
      };
      console.log(
        `test ${a.testSplit} (held out, scored once): ${f4(win.ndcg10)} [${f4(win.ci[0])}, ${f4(win.ci[1])}] on ${win.queries} queries; no instruction ${f4(none.ndcg10)}`,
      );
    }
    log(`done (${el()})`);
    if (a.json)
      console.log(
        JSON.stringify({
          best: {
            prompt: r.best.candidate.instruction,
            'ndcg@10': r.best.ndcg10,
            ci: r.best.ci,
            queries: r.best.queries,
          },
          baseline: { 'ndcg@10': r.baseline.ndcg10, ci: r.baseline.ci, queries: r.baseline.queries },
          tried: r.tried,
          spent: r.spent,
          budget: a.budget,
          ...(r.stopped ? { stopped: r.stopped } : {}),
          leaderboard: r.leaderboard.map((s) => ({
            prompt: s.candidate.instruction,
            origin: s.candidate.origin,
            ...(s.candidate.parent ? { parent: s.candidate.parent } : {}),
            ...(s.candidate.note ? { note: s.candidate.note } : {}),
            id: s.candidate.id,
            'ndcg@10': s.ndcg10,
            ci: s.ci,
            queries: s.queries,
            rung: s.rung,
          })),
          schedule: r.schedule,
          ...(r.skipped ? { skipped: r.skipped } : {}),
          seed: a.seed,
          dataset: dataset.name,
          split: a.split,
          model: embedder.id,
          ...(test
            ? {
                test: {
                  split: a.testSplit,
                  prompt: test.prompt,
                  'ndcg@10': test.ndcg10,
                  queries: test.queries,
                  baseline: { 'ndcg@10': test.baseline },
                },
              }
            : {}),
        }),
      );
  } finally {
    writer?.release();
    backend.destroy();
  }
}
