/** The Explorer feature (issue 12 item 5): a split's queries and documents embedded by one model, projected
 * on the model's top-2 principal components (PCA on the compute backend), with each query's judgements and
 * its ten best documents. */
import type { Dataset } from '../../../data/types';
import { qrelsOf } from '../../../data/qrels-check';
import { pca2 } from '../../../explore/pca';
import { DEFAULT_MAX_POINTS, explorerSample } from '../../../explore/sample';
import { searchTopK } from '../../../kernels/search';
import { IdbEmbeddingCache } from '../../../store/embeddings';
import type { Host } from '../../host';
import { modelEmbedder } from '../eval/embedder';
import type { Feature, JobCtx } from '../feature';
import { explorerEmbeddings } from './embed';
import {
  checkExplorerRequest,
  type ExploreRequest,
  type ExplorerRequestMap,
  type ExplorerView,
  type TopDoc,
} from './protocol';

const TITLE = 90;

function titleOf(ds: Dataset, i: number): string {
  const d = ds.docs[i];
  const t = (d.title.trim() || d.text).replace(/\s+/g, ' ').trim();
  return t.length <= TITLE ? t : `${t.slice(0, TITLE - 1).trimEnd()}…`;
}

async function explore(req: ExploreRequest, ctx: JobCtx, host: Host): Promise<ExplorerView> {
  const t0 = performance.now();
  const ds = await host.dataset(req.dataset, ctx.db);
  const qrels = qrelsOf(ds, req.split);
  const sample = explorerSample(ds, req.split, req.maxPoints ?? DEFAULT_MAX_POINTS, req.seed ?? 1);
  ctx.progress('acquire-backend', 0, 1);
  return host.backends.run(req.backend, ctx.signal, async (backend) => {
    ctx.progress('load-model', 0, 1);
    const e = await modelEmbedder(req.model, host, ctx.signal);
    const cache = new IdbEmbeddingCache(ctx.db, {
      onDegraded: (message) => ctx.post({ type: 'warning', id: ctx.id, message }),
    });
    const emb = await explorerEmbeddings(ds, sample, e, backend, cache, ctx);
    const nq = sample.queries.length;
    const nd = sample.docs.length;
    ctx.progress('search', 0, 1);
    const k = Math.min(10, emb.searchIndex.length);
    const best = await searchTopK(backend, emb.queries, emb.searchRows, e.dim, k, {
      metric: 'dot',
      signal: ctx.signal,
    });
    ctx.progress('project', 0, 1);
    const x = new Float32Array((nq + nd) * e.dim);
    x.set(emb.queries);
    x.set(emb.docs, nq * e.dim);
    const p = await pca2(backend, x, nq + nd, e.dim, { signal: ctx.signal });
    ctx.progress('project', 1, 1);
    const shown = new Set(sample.docs);
    const view: ExplorerView = {
      dataset: ds.name,
      split: req.split,
      model: req.model,
      ids: [...sample.queries.map((q) => q.id), ...sample.docs.map((i) => ds.docs[i].id)],
      kinds: [...sample.queries.map(() => 'query' as const), ...sample.docs.map(() => 'doc' as const)],
      titles: [...sample.queries.map((q) => q.text), ...sample.docs.map((i) => titleOf(ds, i))],
      coords: p.coords,
      explained: p.explained,
      iterations: p.iterations,
      qrels: {},
      top: {},
      topScope: emb.scope,
      corpusDocs: ds.docs.length,
      backend: backend.kind,
      seconds: 0,
    };
    sample.queries.forEach((q, r) => {
      const grades = qrels.get(q.id) ?? new Map<string, number>();
      view.qrels[q.id] = Object.fromEntries(grades);
      const top: TopDoc[] = [];
      for (let j = 0; j < best.k; j++) {
        const col = best.indices[r * best.k + j];
        if (col === 0xffffffff) break;
        const i = emb.searchIndex[col];
        const id = ds.docs[i].id;
        top.push({ id, title: titleOf(ds, i), grade: grades.get(id) ?? null, shown: shown.has(i) });
      }
      view.top[q.id] = top;
    });
    view.seconds = (performance.now() - t0) / 1000;
    return view;
  });
}

export const explorer: Feature<ExplorerRequestMap> = {
  check: checkExplorerRequest,
  routes: {
    explore: { queued: true, run: (req, ctx, host) => explore(req, ctx, host) },
  },
};
