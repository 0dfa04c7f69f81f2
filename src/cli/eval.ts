/** `stm eval`: retrieve for every judged query of a split and print trec_eval-style metrics. */
import { writeFile } from 'node:fs/promises';
import { loadBeirDir, loadDemoDatasetNode } from '../data/node';
import { qrelsOf } from '../data/qrels-check';
import type { Backend } from '../core/backend';
import type { Dataset } from '../data/types';
import { corpusFingerprint, MemoryEmbeddingCache, type EmbeddingCache } from '../eval/embed-cache';
import { evaluate, type Retriever } from '../eval/evaluate';
import { formatTrecRun } from '../eval/trec';
import { CUTOFFS, type EvalReport, type MetricKey } from '../eval/types';
import { resolveModelNode } from '../experts/resolve-node';
import type { EvalArgs } from './eval-args';
import { cliBackend } from './backend';
import { closeCorpusCache, corpusCache } from './eval-cache';
import { writeMtebResult } from './eval-results';
import { promptVariants } from './eval-prompts';
import type { Reporter } from './progress';
import { checkWritableDir, checkWritableFile, writeFailed } from './writable';

function logOverlap(report: EvalReport, log: (m: string) => void): void {
  for (const w of report.warnings ?? []) log(`warning: ${w}`);
  const overlap = report.overlapQueries;
  if (overlap === null)
    log(
      `note: ${report.retriever} does not record its training queries (an expert.json written before the leakage guard): overlap with these queries unknown`,
    );
  else if (overlap !== undefined && overlap > 0)
    log(
      `warning: ${report.retriever} was trained on ${overlap} of these ${report.queries} queries: these scores are not a held-out evaluation (split the queries with \`stm split\` and evaluate on a split it was not trained on)`,
    );
}

function header(report: EvalReport): string {
  const overlap = report.overlapQueries;
  return (
    `${report.dataset}/${report.split} ${report.retriever} (${report.backend}), ${report.queries} queries, ${report.seconds.toFixed(2)} s` +
    (overlap === undefined
      ? ''
      : overlap === null
        ? ', training queries unknown'
        : `, trained on ${overlap} of these ${report.queries} queries`)
  );
}

/** The report's fields every --json line has (the metrics follow). */
function jsonHead(report: EvalReport, seconds: number): Record<string, unknown> {
  const overlap = report.overlapQueries;
  return {
    dataset: report.dataset,
    split: report.split,
    retriever: report.retriever,
    backend: report.backend,
    queries: report.queries,
    ...(overlap === undefined ? {} : { overlap_queries: overlap }),
    seconds,
    warnings: report.warnings ?? [],
  };
}

const promptName = (i: string | null | undefined) => (i ? JSON.stringify(i) : 'none');

async function loadDataset(a: EvalArgs): Promise<Dataset> {
  return a.dataset === 'demo' ? loadDemoDatasetNode() : loadBeirDir(a.dataset);
}

export async function runEval(a: EvalArgs, reporter: Reporter): Promise<void> {
  const log = reporter.log;
  // a run file that cannot be written fails now, not after the evaluation
  if (a.run) await checkWritableFile('--run', a.run);
  if (a.resultsDir) await checkWritableDir('--results-dir', a.resultsDir);
  if (a.cacheDir) await checkWritableDir('--cache-dir', a.cacheDir);
  const dataset = await loadDataset(a);
  log(`dataset ${dataset.name}: ${dataset.docs.length} docs, ${dataset.queries.length} queries`);
  qrelsOf(dataset, a.split); // a missing split fails before a model or backend is loaded
  if (a.retriever === 'bm25') return evalOne(a, reporter, dataset, { kind: 'bm25', k1: a.k1, b: a.b });
  const backend = await cliBackend(a.backend, log);
  try {
    const embedder = await resolveModelNode(a.model, log, { allowNetwork: a.allowNetwork });
    const variants = promptVariants(embedder, a.prompt);
    const disk = corpusCache(a, dataset, embedder, log);
    try {
      if (a.prompt === 'each') return await evalEach(a, reporter, dataset, variants, backend, disk);
      const dense = { embedder: variants[0].embedder, backend, ...(disk ? { cache: disk } : {}) };
      return await evalOne(
        a,
        reporter,
        dataset,
        a.retriever === 'hybrid'
          ? { kind: 'hybrid', ...dense, fusion: a.fusion ?? 'rrf', alpha: a.alpha, k1: a.k1, b: a.b }
          : { kind: 'dense', ...dense },
      );
    } finally {
      // also after a failure or an interrupt: the chunks embedded so far are kept for the next run
      await closeCorpusCache(disk, log);
    }
  } finally {
    backend.destroy();
  }
}

/** --prompt each: no prompt, then each of the model's instructions, one line each. */
async function evalEach(
  a: EvalArgs,
  reporter: Reporter,
  dataset: Dataset,
  variants: ReturnType<typeof promptVariants>,
  backend: Backend,
  disk: EmbeddingCache | null,
): Promise<void> {
  const log = reporter.log;
  // each prompt: the corpus (no instruction) is embedded once, through one cache, for all of them
  const cache = disk ?? new MemoryEmbeddingCache();
  const rows: { prompt: string | null; report: EvalReport }[] = [];
  for (const v of variants) {
    log(`prompt ${promptName(v.instruction)}`);
    const { report } = await evaluate({
      dataset,
      split: a.split,
      retriever: { kind: 'dense', embedder: v.embedder, backend, cache },
      depth: a.depth,
      onProgress: (p) => reporter.progress(p.phase, p.done, p.total),
    });
    if (rows.length === 0) {
      logOverlap(report, log);
      console.log(header(report));
    }
    rows.push({ prompt: v.instruction, report });
    const m = report.metrics;
    console.log(
      `prompt ${promptName(v.instruction)}: ndcg@10 ${m['ndcg@10'].toFixed(4)}  map@100 ${m['map@100'].toFixed(4)}  recall@100 ${m['recall@100'].toFixed(4)}  mrr@10 ${m['mrr@10'].toFixed(4)}`,
    );
  }
  if (a.json)
    console.log(
      JSON.stringify({
        ...jsonHead(
          rows[0].report,
          rows.reduce((s, r) => s + r.report.seconds, 0),
        ),
        prompts: rows.map((r) => ({
          prompt: r.prompt,
          query_template: r.report.queryTemplate,
          ...r.report.metrics,
        })),
      }),
    );
}

async function evalOne(
  a: EvalArgs,
  reporter: Reporter,
  dataset: Dataset,
  retriever: Retriever,
): Promise<void> {
  const { report, run } = await evaluate({
    dataset,
    split: a.split,
    retriever,
    depth: a.depth,
    onProgress: (p) => reporter.progress(p.phase, p.done, p.total),
  });
  logOverlap(report, reporter.log);
  const m = report.metrics;
  console.log(
    header(report) +
      (report.instruction || (a.prompt !== undefined && report.queryTemplate !== undefined)
        ? `, prompt ${promptName(report.instruction)}`
        : ''),
  );
  for (const measure of ['ndcg', 'map', 'recall', 'p', 'mrr'] as const) {
    console.log(
      measure.padEnd(7) +
        CUTOFFS.map((k) => `@${k} ${m[`${measure}@${k}` as MetricKey].toFixed(4)}`).join('  '),
    );
  }
  if (a.json) {
    console.log(
      JSON.stringify({
        ...jsonHead(report, report.seconds),
        ...(report.queryTemplate === undefined
          ? {}
          : { instruction: report.instruction ?? null, query_template: report.queryTemplate }),
        ...m,
      }),
    );
  }
  // after the metrics are printed: a failed write (a full disk) loses only the run file
  if (a.resultsDir) {
    const file = await writeMtebResult(a.resultsDir, report, corpusFingerprint(dataset), reporter.log);
    reporter.log(`wrote MTEB results ${file}`);
  }
  if (a.run) {
    try {
      await writeFile(a.run, formatTrecRun(run, report.retriever, a.depth));
    } catch (e) {
      throw writeFailed('the run file', a.run, e);
    }
    reporter.log(`wrote run file ${a.run}`);
  }
}
