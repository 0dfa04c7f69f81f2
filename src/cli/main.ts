/** Headless STM Studio: the same evaluation code as the app, in Node. See USAGE. */
import { exitAfterDrain, watchStdout } from './exit';
import { writeFile } from 'node:fs/promises';
import { loadBeirDir, loadDemoDatasetNode } from '../data/node';
import { qrelsOf } from '../data/qrels-check';
import { evaluate, type Retriever } from '../eval/evaluate';
import { formatTrecRun } from '../eval/trec';
import { CUTOFFS, type MetricKey } from '../eval/types';
import { listModels } from '../models/registry';
import { resolveModelNode } from '../experts/resolve-node';
import {
  parseEmbedArgs,
  parseEvalArgs,
  parseSplitArgs,
  parseTrainArgs,
  UsageError,
  USAGE as BASE_USAGE,
  type EvalArgs,
} from './args';
import { parseSynthArgs } from './synth-args';
import { cliBackend } from './backend';
import { runEmbed } from './embed';
import { Reporter } from './progress';
import { runSplit } from './split';
import { MERGE_SEARCH_USAGE, parseMergeSearchArgs } from './merge-search-args';
import { runMergeSearch } from './merge-search';
import { runSynth } from './synth';
import { MERGE_USAGE, parseMergeArgs } from './merge-args';
import { runMerge } from './merge';
import { parsePromptsArgs, PROMPTS_USAGE } from './prompts-args';
import { runPrompts } from './prompts';
import { runTrain } from './train';
import { checkWritableFile, writeFailed } from './writable';

const USAGE = `${BASE_USAGE}\n${MERGE_USAGE}`;
const reporter = new Reporter(process.stderr);
const usage = `${USAGE}\n${MERGE_SEARCH_USAGE}\n${PROMPTS_USAGE}`;
const log = reporter.log;

async function runEval(a: EvalArgs): Promise<void> {
  // a run file that cannot be written fails now, not after the evaluation
  if (a.run) await checkWritableFile('--run', a.run);
  const dataset = a.dataset === 'demo' ? await loadDemoDatasetNode() : await loadBeirDir(a.dataset);
  log(`dataset ${dataset.name}: ${dataset.docs.length} docs, ${dataset.queries.length} queries`);
  qrelsOf(dataset, a.split); // a missing split fails before a model or backend is loaded
  let retriever: Retriever;
  let backendToFree: { destroy(): void } | undefined;
  if (a.retriever === 'bm25') {
    retriever = { kind: 'bm25', k1: a.k1, b: a.b };
  } else {
    const backend = await cliBackend(a.backend, log);
    backendToFree = backend;
    const embedder = await resolveModelNode(a.model, log, { allowNetwork: a.allowNetwork });
    retriever = { kind: 'dense', embedder, backend };
  }
  try {
    const { report, run } = await evaluate({
      dataset,
      split: a.split,
      retriever,
      depth: a.depth,
      onProgress: (p) => reporter.progress(p.phase, p.done, p.total),
    });
    for (const w of report.warnings ?? []) log(`warning: ${w}`);
    const m = report.metrics;
    const overlap = report.overlapQueries;
    if (overlap === null)
      log(
        `note: ${report.retriever} does not record its training queries (an expert.json written before the leakage guard): overlap with these queries unknown`,
      );
    else if (overlap !== undefined && overlap > 0)
      log(
        `warning: ${report.retriever} was trained on ${overlap} of these ${report.queries} queries: these scores are not a held-out evaluation (split the queries with \`stm split\` and evaluate on a split it was not trained on)`,
      );
    console.log(
      `${report.dataset}/${report.split} ${report.retriever} (${report.backend}), ${report.queries} queries, ${report.seconds.toFixed(2)} s` +
        (overlap === undefined
          ? ''
          : overlap === null
            ? ', training queries unknown'
            : `, trained on ${overlap} of these ${report.queries} queries`),
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
          dataset: report.dataset,
          split: report.split,
          retriever: report.retriever,
          backend: report.backend,
          queries: report.queries,
          ...(overlap === undefined ? {} : { overlap_queries: overlap }),
          seconds: report.seconds,
          warnings: report.warnings ?? [],
          ...m,
        }),
      );
    }
    // after the metrics are printed: a failed write (a full disk) loses only the run file
    if (a.run) {
      try {
        await writeFile(a.run, formatTrecRun(run, report.retriever, a.depth));
      } catch (e) {
        throw writeFailed('the run file', a.run, e);
      }
      log(`wrote run file ${a.run}`);
    }
  } finally {
    backendToFree?.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === 'eval') return runEval(parseEvalArgs(rest));
  if (cmd === 'embed') return runEmbed(parseEmbedArgs(rest), reporter);
  if (cmd === 'train') return runTrain(parseTrainArgs(rest), reporter);
  if (cmd === 'split') return runSplit(parseSplitArgs(rest), log);
  if (cmd === 'synth') return runSynth(parseSynthArgs(rest), reporter);
  if (cmd === 'merge') return runMerge(parseMergeArgs(rest), reporter).then(() => undefined);
  if (cmd === 'merge-search') return runMergeSearch(parseMergeSearchArgs(rest), reporter);
  if (cmd === 'prompts') return runPrompts(parsePromptsArgs(rest), reporter);
  if (cmd === 'models') {
    for (const m of listModels()) console.log(`${m.id}\t${m.dim}d\t${m.name}: ${m.description}`);
    return;
  }
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(usage);
    return;
  }
  if (cmd === undefined) throw new UsageError('stm needs a command');
  throw new UsageError(`unknown command "${cmd}"`);
}

watchStdout(log);
main(process.argv.slice(2)).then(
  () => {
    reporter.close();
    return exitAfterDrain(0);
  },
  (e: unknown) => {
    reporter.close();
    const err = e as Error;
    log(
      err instanceof UsageError
        ? `${err.message}\n\n${usage}`
        : `error: ${err.name === 'Error' ? '' : err.name + ': '}${err.message}`,
    );
    return exitAfterDrain(err instanceof UsageError ? 2 : 1);
  },
);
