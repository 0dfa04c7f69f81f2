/**
 * What the merge feature keeps in the worker between requests: the dev pools (built once per dataset,
 * split, k and set of models), the reference figures of the base and of each expert alone on them, the
 * loaded experts, and per base model an in-memory cache of its embeddings, so that re-scoring an adapter
 * merge costs one D×D matrix over cached vectors. One workspace per Host (engine).
 */
import type { Backend } from '../../../core/backend';
import { buildDevPool, scoreOnPool, type DevPool } from '../../../eval/dev-pool';
import { embedCorpus } from '../../../eval/dense';
import { cachingEmbedder, corpusFingerprint, MemoryEmbeddingCache, textKey } from '../../../eval/embed-cache';
import type { EvalReport } from '../../../eval/types';
import type { ExpertWeights } from '../../../experts/files';
import type { LoadedExpert } from '../../../experts/merge';
import { expertModelId } from '../../../experts/record';
import { withExpertPrompts } from '../../../experts/embedder';
import { applyTemplate, type Embedder } from '../../../models/types';
import type { StudioDB } from '../../../store/db';
import { IdbEmbeddingCache } from '../../../store/embeddings';
import { ExpertNotFoundError, getExpert } from '../../../store/training';
import { adapterEmbedder } from '../../../train/adapter';
import type { Host } from '../../host';
import type { JobCtx } from '../feature';
import { POOL_METRICS, type PoolInfo, type PoolRef, type PoolScores } from './protocol';

export const DEFAULT_K = 100;

/** The figures the panel shows, from an evaluation report. */
export function poolScores(r: EvalReport): PoolScores {
  const out = {} as PoolScores;
  for (const m of POOL_METRICS) out[m] = r.metrics[m] ?? 0;
  return out;
}

interface BuiltPool {
  pool: DevPool;
  corpus: number;
  /** model id -> its figures on the pool */
  refs: Map<string, PoolScores>;
}

/** What one merge request works with: the base, the experts, the pools, a backend. */
export interface MergeScope {
  base: Embedder;
  experts: LoadedExpert[];
  /** base embeddings by templated text (kept across requests) */
  cache: MemoryEmbeddingCache;
  backend: Backend;
}

export class MergeWorkspace {
  private readonly pools = new Map<string, Promise<BuiltPool>>();
  private readonly weights = new Map<string, Promise<ExpertWeights>>();
  private readonly caches = new Map<string, MemoryEmbeddingCache>();
  constructor(private readonly host: Host) {}

  /**
   * An expert's record (read fresh: it may have been renamed or deleted) and its weights (read once:
   * they never change under an id).
   */
  async expert(id: string, db: StudioDB): Promise<LoadedExpert> {
    const record = await db.get('experts', id);
    if (!record) {
      this.weights.delete(id);
      throw new ExpertNotFoundError(id);
    }
    let w = this.weights.get(id);
    if (!w) {
      w = getExpert(id, db).then(
        ({ weights }) => new Map(weights.map((x) => [x.name, { shape: x.shape, data: x.data }])),
      );
      w.catch(() => this.weights.delete(id));
      this.weights.set(id, w);
    }
    return { record, weights: await w };
  }

  baseCache(baseModel: string): MemoryEmbeddingCache {
    let c = this.caches.get(baseModel);
    if (!c) this.caches.set(baseModel, (c = new MemoryEmbeddingCache()));
    return c;
  }

  /**
   * The embedder of one expert alone, for its reference figures: an adapter over the cached base
   * embeddings; a LoRA expert the way the Evaluate tab runs it.
   */
  private async single(scope: MergeScope, e: LoadedExpert, signal: AbortSignal): Promise<Embedder> {
    const id = expertModelId(e.record.id);
    if (e.record.method !== 'adapter') return this.host.training.expertEmbedder(id, signal);
    const inner = adapterEmbedder(scope.base, e.record.config.adapter, { host: e.weights }, id, scope.cache);
    const plain = { ...inner, templates: e.record.templates ?? scope.base.templates, embed: inner.embed };
    return withExpertPrompts(plain, scope.base, e.record);
  }

  /**
   * The dev pool of `ref` for these models (built once: judged documents ∪ each model's top-k, with the
   * corpus embeddings of the evaluation cache), and the base's and every expert's figures on it.
   */
  async pool(
    ref: PoolRef,
    k: number,
    scope: MergeScope,
    ctx: Pick<JobCtx, 'db' | 'progress' | 'post' | 'id'>,
    signal: AbortSignal,
  ): Promise<{ info: PoolInfo; pool: DevPool }> {
    const ds = await this.host.dataset(ref.dataset, ctx.db);
    const ids = scope.experts.map((e) => e.record.id).sort();
    const key = [ref.dataset, corpusFingerprint(ds), ref.split, k, scope.base.id, ...ids].join('|');
    let p = this.pools.get(key);
    if (!p) {
      p = (async (): Promise<BuiltPool> => {
        // the evaluation feature's cache: corpus embeddings are shared with the Evaluate tab
        const idb = new IdbEmbeddingCache(ctx.db, {
          onDegraded: (message) => ctx.post({ type: 'warning', id: ctx.id, message }),
        });
        const embedders = [
          scope.base,
          ...(await Promise.all(
            scope.experts.map((e) => this.host.training.expertEmbedder(expertModelId(e.record.id), signal)),
          )),
        ];
        const pool = await buildDevPool({
          dataset: ds,
          split: ref.split,
          embedders,
          backend: scope.backend,
          k,
          cache: idb,
          signal,
          onProgress: (i, n) =>
            ctx.progress(
              'embed',
              i,
              n,
              `dev pool ${ref.dataset}/${ref.split}: top-${k} of model ${i + 1} of ${n}`,
            ),
        });
        // the base's corpus vectors (cached just now) seed the base-embedding cache of the re-scores
        const corpus = await embedCorpus({
          dataset: ds,
          queries: [],
          embedder: scope.base,
          backend: scope.backend,
          depth: 1,
          cache: idb,
          signal,
        });
        const tpl = scope.base.templates.passage;
        const index = new Map(ds.docs.map((d, i) => [d.id, i]));
        for (const d of pool.docs) {
          const i = index.get(d.id) as number;
          await scope.cache.put(
            textKey(scope.base.id, 'passage', applyTemplate(tpl, d)),
            corpus.slice(i * scope.base.dim, (i + 1) * scope.base.dim),
          );
        }
        return { pool, corpus: ds.docs.length, refs: new Map() };
      })();
      p.catch(() => this.pools.delete(key));
      this.pools.set(key, p);
    }
    const built = await p;
    const score = async (id: string, embedder: () => Promise<Embedder>) => {
      let s = built.refs.get(id);
      if (!s) {
        s = poolScores(await scoreOnPool(built.pool, await embedder(), scope.backend, signal));
        built.refs.set(id, s);
      }
      return s;
    };
    const base = await score(scope.base.id, async () => cachingEmbedder(scope.base, scope.cache));
    const experts: Record<string, PoolScores> = {};
    for (const e of scope.experts)
      experts[e.record.id] = await score(expertModelId(e.record.id), () => this.single(scope, e, signal));
    const info: PoolInfo = {
      dataset: ref.dataset,
      split: ref.split,
      k,
      queries: built.pool.queries.length,
      docs: built.pool.docs.length,
      corpus: built.corpus,
      base,
      experts,
    };
    return { info, pool: built.pool };
  }
}

const spaces = new WeakMap<Host, MergeWorkspace>();

/** The merge workspace of an engine's host. */
export function workspaceOf(host: Host): MergeWorkspace {
  let w = spaces.get(host);
  if (!w) spaces.set(host, (w = new MergeWorkspace(host)));
  return w;
}
