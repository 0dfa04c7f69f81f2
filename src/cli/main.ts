/** Headless STM Studio: the same evaluation code as the app, in Node. See USAGE. */
import { exitAfterDrain } from './exit';
import { writeFile } from 'node:fs/promises';
import { loadBeirDir, loadDemoDatasetNode } from '../data/node';
import { qrelsOf } from '../data/qrels-check';
import { acquireBackend } from '../gpu/select';
import { evaluate, type Retriever } from '../eval/evaluate';
import { formatTrecRun } from '../eval/trec';
import { CUTOFFS, type MetricKey } from '../eval/types';
import { listModels } from '../models/registry';
import { resolveModelNode } from '../experts/resolve-node';
import { parseEmbedArgs, parseEvalArgs, parseTrainArgs, UsageError, USAGE, type EvalArgs } from './args';
import { runEmbed } from './embed';
import { runTrain } from './train';

const log = (msg: string) => process.stderr.write(msg + '\n');

async function runEval(a: EvalArgs): Promise<void> {
  const dataset = a.dataset === 'demo' ? await loadDemoDatasetNode() : await loadBeirDir(a.dataset);
  log(`dataset ${dataset.name}: ${dataset.docs.length} docs, ${dataset.queries.length} queries`);
  qrelsOf(dataset, a.split); // a missing split fails before a model or backend is loaded
  let retriever: Retriever;
  let backendToFree: { destroy(): void } | undefined;
  if (a.retriever === 'bm25') {
    retriever = { kind: 'bm25', k1: a.k1, b: a.b };
  } else {
    const backend = await acquireBackend(a.backend);
    backendToFree = backend;
    log(`backend ${backend.kind}: ${backend.label}`);
    const embedder = await resolveModelNode(a.model, log);
    retriever = { kind: 'dense', embedder, backend };
  }
  let lastPhase = '';
  try {
    const { report, run } = await evaluate({
      dataset,
      split: a.split,
      retriever,
      depth: a.depth,
      onProgress: (p) => {
        if (p.phase !== lastPhase || p.done === p.total) log(`${p.phase} ${p.done}/${p.total}`);
        lastPhase = p.phase;
      },
    });
    if (a.run) {
      await writeFile(a.run, formatTrecRun(run, report.retriever, a.depth));
      log(`wrote run file ${a.run}`);
    }
    for (const w of report.warnings ?? []) log(`warning: ${w}`);
    const m = report.metrics;
    console.log(
      `${report.dataset}/${report.split} ${report.retriever} (${report.backend}), ${report.queries} queries, ${report.seconds.toFixed(2)} s`,
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
          seconds: report.seconds,
          warnings: report.warnings ?? [],
          ...m,
        }),
      );
    }
  } finally {
    backendToFree?.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === 'eval') return runEval(parseEvalArgs(rest));
  if (cmd === 'embed') return runEmbed(parseEmbedArgs(rest), log);
  if (cmd === 'train') return runTrain(parseTrainArgs(rest), log);
  if (cmd === 'models') {
    for (const m of listModels()) console.log(`${m.id}\t${m.dim}d\t${m.name}: ${m.description}`);
    return;
  }
  if (cmd === undefined || cmd === 'help' || cmd === '--help') {
    console.log(USAGE);
    return;
  }
  throw new UsageError(`unknown command "${cmd}"`);
}

main(process.argv.slice(2)).then(
  () => exitAfterDrain(0),
  (e: unknown) => {
    const err = e as Error;
    log(
      err instanceof UsageError
        ? `${err.message}\n\n${USAGE}`
        : `error: ${err.name === 'Error' ? '' : err.name + ': '}${err.message}`,
    );
    return exitAfterDrain(err instanceof UsageError ? 2 : 1);
  },
);
