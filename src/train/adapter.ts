/**
 * Embedding-space adapters for any base model (transformer, ONNX, static): the base embedding e is frozen
 * (computed once per text and cached), and the adapter maps it to
 *   'lowrank': e' = l2norm(e + B·(A·e)), A [r,D] small random, B [D,r] = 0 (identity at init)
 *   'full':    e' = l2norm(W·e + b),     W [D,D] = I, b = 0 (identity at init)
 * Weights are named adapter.A / adapter.B or adapter.W / adapter.b ([out, in] layout, as PyTorch).
 */
import { firstNonFiniteRow, NonFiniteError } from '../models/finite';
import type { Backend, Tensor } from '../core/backend';
import type { Embedder, Role } from '../models/types';
import { cachedEmbed, MemoryEmbeddingCache, type EmbeddingCache } from '../eval/embed-cache';
import { Rng } from '../util/rng';
import type { AdapterConfig, TrainableEmbedder, TrainForward, TrainParam } from './types';

export type HostWeights = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

/** Names and shapes of an adapter's weights for a base of dimension dim. */
export function adapterShapes(cfg: AdapterConfig, dim: number): [string, number[]][] {
  if (cfg.kind === 'lowrank') {
    if (!Number.isInteger(cfg.rank) || cfg.rank < 1 || cfg.rank > dim)
      throw new RangeError(`adapter: rank must be an integer in [1, ${dim}], got ${cfg.rank}`);
    return [
      ['adapter.A', [cfg.rank, dim]],
      ['adapter.B', [dim, cfg.rank]],
    ];
  }
  return [
    ['adapter.W', [dim, dim]],
    ['adapter.b', [dim]],
  ];
}

/** Initial weights: A ~ N(0, 1/D), B = 0; or W = I, b = 0. */
export function initAdapterWeights(
  cfg: AdapterConfig,
  dim: number,
  seed: number,
): Map<string, { shape: number[]; data: Float32Array }> {
  const rng = new Rng(seed);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of adapterShapes(cfg, dim)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name === 'adapter.A') for (let i = 0; i < data.length; i++) data[i] = rng.normal() / Math.sqrt(dim);
    if (name === 'adapter.W') for (let i = 0; i < dim; i++) data[i * dim + i] = 1;
    out.set(name, { shape, data });
  }
  return out;
}

function checkWeights(cfg: AdapterConfig, dim: number, weights: HostWeights): void {
  for (const [name, shape] of adapterShapes(cfg, dim)) {
    const w = weights.get(name);
    if (!w) throw new Error(`adapter weights: missing tensor "${name}"`);
    if (
      w.shape.length !== shape.length ||
      w.shape.some((s, i) => s !== shape[i]) ||
      w.data.length !== shape.reduce((a, b) => a * b, 1)
    ) {
      throw new Error(
        `adapter weights: "${name}" has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
    }
  }
}

interface Tape {
  e: Tensor;
  h: Tensor | null;
  s: Tensor;
}

/**
 * Forward of the adapter on base embeddings e [n, D] (weights in [out, in] layout, so linear 'nk');
 * returns the normalised output and what backward needs. In-place optimiser updates are safe: the CPU
 * backend's gemm forgets its packed copy of a weight whenever adamw/zero/addInPlace writes it.
 */
function forward(
  be: Backend,
  kind: AdapterConfig['kind'],
  w: ReadonlyMap<string, Tensor>,
  e: Tensor,
): { y: Tensor; tape: Tape } {
  if (kind === 'lowrank') {
    const h = be.linear(e, w.get('adapter.A')!, null, 'nk');
    const u = be.linear(h, w.get('adapter.B')!, null, 'nk');
    const s = be.add(e, u);
    be.dispose(u);
    return { y: be.l2Normalize(s), tape: { e, h, s } };
  }
  const s = be.linear(e, w.get('adapter.W')!, w.get('adapter.b')!, 'nk');
  return { y: be.l2Normalize(s), tape: { e, h: null, s } };
}

function releaseTape(be: Backend, t: Tape): void {
  be.dispose(t.e, t.s, ...(t.h ? [t.h] : []));
}

class AdapterTrainable implements TrainableEmbedder {
  readonly method = 'adapter' as const;
  private readonly ps: TrainParam[];
  private readonly byName: Map<string, TrainParam>;

  constructor(
    readonly base: Embedder,
    readonly backend: Backend,
    readonly cfg: AdapterConfig,
    seed: number,
    readonly cache: EmbeddingCache,
  ) {
    const init = initAdapterWeights(cfg, base.dim, seed);
    this.ps = [...init].map(([name, { shape, data }]) => ({
      name,
      value: backend.tensor(data, shape),
      grad: backend.tensor(new Float32Array(data.length), shape),
      m: backend.tensor(new Float32Array(data.length), shape),
      v: backend.tensor(new Float32Array(data.length), shape),
      decay: name !== 'adapter.b',
    }));
    this.byName = new Map(this.ps.map((p) => [p.name, p]));
  }

  params(): readonly TrainParam[] {
    return this.ps;
  }

  private values(): Map<string, Tensor> {
    return new Map(this.ps.map((p) => [p.name, p.value]));
  }

  async forwardTrain(texts: readonly string[], role: Role): Promise<TrainForward> {
    const be = this.backend;
    const host = await cachedEmbed(this.base, be, texts, role, this.cache);
    const e = be.tensor(host, [texts.length, this.base.dim]);
    const { y, tape } = forward(be, this.cfg.kind, this.values(), e);
    let done = false;
    const acc = (name: string, g: Tensor) => {
      be.addInPlace(this.byName.get(name)!.grad, g, 1);
      be.dispose(g);
    };
    return {
      emb: y,
      backward: (dEmb: Tensor) => {
        if (done) throw new Error('adapter forward: backward after release');
        const ds = be.l2NormalizeBackward(tape.s, dEmb);
        if (this.cfg.kind === 'lowrank') {
          const gB = be.linearBackward(tape.h!, this.byName.get('adapter.B')!.value, ds, 'nk', true);
          acc('adapter.B', gB.dw);
          be.dispose(gB.db);
          const gA = be.linearBackward(tape.e, this.byName.get('adapter.A')!.value, gB.dx!, 'nk', false);
          be.dispose(gB.dx!, gA.db);
          acc('adapter.A', gA.dw);
        } else {
          const g = be.linearBackward(tape.e, this.byName.get('adapter.W')!.value, ds, 'nk', false);
          acc('adapter.W', g.dw);
          acc('adapter.b', g.db);
        }
        be.dispose(ds);
        done = true;
        releaseTape(be, tape);
      },
      release: () => {
        if (!done) releaseTape(be, tape);
        done = true;
      },
    };
  }

  asEmbedder(id: string): Embedder {
    return adapterEmbedder(this.base, this.cfg, { live: this }, id, this.cache);
  }

  async exportWeights(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const p of this.ps)
      out.set(p.name, { shape: [...p.value.shape], data: (await this.backend.readF32(p.value)).slice() });
    return out;
  }

  loadWeights(weights: HostWeights): void {
    checkWeights(this.cfg, this.base.dim, weights);
    for (const p of this.ps) {
      const t = this.backend.tensor(weights.get(p.name)!.data, p.value.shape);
      this.backend.zero(p.value);
      this.backend.addInPlace(p.value, t, 1);
      this.backend.dispose(t);
    }
  }

  /** current weights as tensors on the trainable's backend (for asEmbedder on the same backend) */
  liveTensors(): Map<string, Tensor> {
    return this.values();
  }
}

/** A trainable embedding-space adapter over any base embedder (identity at initialisation). */
export function createAdapterTrainable(
  base: Embedder,
  backend: Backend,
  cfg: AdapterConfig,
  seed: number,
  opts: { cache?: EmbeddingCache } = {},
): TrainableEmbedder {
  adapterShapes(cfg, base.dim);
  return new AdapterTrainable(base, backend, cfg, seed, opts.cache ?? new MemoryEmbeddingCache());
}

/**
 * Inference with an adapter: base embeddings (through the cache when given), then the adapter. Weights
 * are fixed host arrays (a saved expert) or the live tensors of a trainable (dev evaluation mid-run).
 */
export function adapterEmbedder(
  base: Embedder,
  cfg: AdapterConfig,
  weights: { host: HostWeights } | { live: AdapterTrainable },
  id: string,
  cache?: EmbeddingCache,
): Embedder {
  if ('host' in weights) checkWeights(cfg, base.dim, weights.host);
  const uploaded = new WeakMap<Backend, Map<string, Tensor>>();
  const tensorsFor = async (be: Backend): Promise<Map<string, Tensor>> => {
    if ('live' in weights) {
      if (be === weights.live.backend) return weights.live.liveTensors();
      const host = await weights.live.exportWeights();
      return new Map([...host].map(([n, w]) => [n, be.tensor(w.data, w.shape)]));
    }
    let m = uploaded.get(be);
    if (!m) {
      m = new Map([...weights.host].map(([n, w]) => [n, be.tensor(w.data, w.shape)]));
      uploaded.set(be, m);
    }
    return m;
  };
  const project = async (be: Backend, host: Float32Array): Promise<Float32Array> => {
    const n = host.length / base.dim;
    const w = await tensorsFor(be);
    const e = be.tensor(host, [n, base.dim]);
    const { y, tape } = forward(be, cfg.kind, w, e);
    try {
      const rows = await be.readF32(y);
      const bad = firstNonFiniteRow(rows, base.dim);
      if (bad >= 0) throw new NonFiniteError(id, bad, `the output of its ${cfg.kind} adapter`);
      return rows;
    } finally {
      be.dispose(y);
      releaseTape(be, tape);
      if ('live' in weights && be !== weights.live.backend) be.dispose(...w.values());
    }
  };
  return {
    id,
    dim: base.dim,
    templates: base.templates,
    overBase: { base, project },
    async embed(be: Backend, texts: readonly string[], role: Role): Promise<Float32Array> {
      const host = cache
        ? await cachedEmbed(base, be, texts, role, cache)
        : await base.embed(be, texts, role);
      return project(be, host);
    },
  };
}
