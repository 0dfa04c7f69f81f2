/** The evaluation feature: evaluate a retriever on a split (stored as a run), stored runs, drill-down. */
import type { EvaluateOptions, Retriever } from '../../../eval/evaluate';
import { IdbEmbeddingCache } from '../../../store/embeddings';
import { deleteRun, getRun, listRuns, saveRun } from '../../../store/runs';
import { queryDetails } from './drilldown';
import { modelEmbedder } from './embedder';
import type { Host } from '../../host';
import { checkEvalRequest, type EvalRequestMap, type EvaluateRequest } from './protocol';
import type { Feature, JobCtx } from '../feature';

async function evaluate(req: EvaluateRequest, ctx: JobCtx, host: Host) {
  const db = ctx.db;
  const ds = await host.dataset(req.dataset, db);
  const onProgress: EvaluateOptions['onProgress'] = (p) => ctx.progress(p.phase, p.done, p.total);
  const run = async (retriever: Retriever) => {
    const { report, run } = await host.deps.evaluate({
      dataset: ds,
      split: req.split,
      retriever,
      depth: req.depth,
      signal: ctx.signal,
      onProgress,
    });
    ctx.progress('save', 0, 1);
    const { hits: _hits, kept: _kept, ...rec } = await saveRun(report, run, req.keep, db);
    return rec;
  };
  if (req.retriever === 'bm25') return run({ kind: 'bm25', k1: req.bm25?.k1, b: req.bm25?.b });
  const choice = req.retriever;
  const model = 'hybrid' in choice ? choice.hybrid.dense : choice.model;
  ctx.progress('acquire-backend', 0, 1);
  // cached embedding chunks survive a lost device: the retry resumes where it stopped
  return host.backends.run(req.backend, ctx.signal, async (backend) => {
    ctx.progress('load-model', 0, 1);
    const embedder = await modelEmbedder(model, host, ctx.signal);
    // the cache is optional: on a full disk it degrades to memory and the evaluation goes on
    const cache = new IdbEmbeddingCache(db, {
      onDegraded: (message) => ctx.post({ type: 'warning', id: ctx.id, message }),
    });
    if (!('hybrid' in choice)) return run({ kind: 'dense', embedder, backend, cache });
    // BM25 + the dense model fused per query; its BM25 side takes the request's bm25 parameters
    const { fusion, alpha } = choice.hybrid;
    return run({ kind: 'hybrid', embedder, backend, cache, fusion, alpha, k1: req.bm25?.k1, b: req.bm25?.b });
  });
}

export const evaluation: Feature<EvalRequestMap> = {
  check: checkEvalRequest,
  routes: {
    evaluate: { queued: true, run: (req, ctx, host) => evaluate(req, ctx, host) },
    'list-runs': { run: (req, ctx) => listRuns(req.dataset, ctx.db) },
    'query-details': {
      run: async (req, ctx, host) => {
        const run = await getRun(req.runId, ctx.db);
        return queryDetails(await host.dataset(run.dataset, ctx.db), run, req.qid);
      },
    },
    'delete-run': {
      run: async (req, ctx) => {
        await deleteRun(req.runId, ctx.db);
        return null;
      },
    },
  },
};
