/**
 * LoRA inside the studio's native models, as a TrainableEmbedder: USE-lite (the default model) with an
 * adapter on every linear (or the `targetModules` subset), base weights frozen. Training forward and
 * backward live in lora-use-lite.ts; parameters, PEFT names and init in lora-modules.ts.
 *
 * Inference (asEmbedder, loadLoraExpert) adds the low-rank path to each adapted linear rather than
 * merging W' = W + s·A·B: it costs little, keeps the frozen weights shared with the base embedder, and
 * with B = 0 gives exactly the base's vectors (y + 0 = y).
 */
import type { Backend, Tensor } from '../gpu/backend';
import type { UseLiteEmbedder } from '../models/use-lite/model';
import type { Embedder, Role } from '../models/types';
import {
  DEFAULT_LORA,
  LoraParams,
  checkLoraConfig,
  disposeSet,
  mulberry32,
  peftToHost,
  selectModules,
  uploadSet,
  type LoraHostPair,
  type LoraSet,
  type TrainBackend,
} from './lora-modules';
import { backwardBatch, forwardBatch, releaseBatch, batchesLikeUseLite, linearsOfUseLite, type BatchTape } from './lora-use-lite';
import type { LoraConfig, TrainableEmbedder, TrainForward, TrainParam } from './types';

export { DEFAULT_LORA, type TrainBackend } from './lora-modules';

/** Embeds texts with the base's batching, each batch through the adapted forward (nothing saved). */
async function embedWithLora(base: UseLiteEmbedder, be: Backend, texts: readonly string[], lora: LoraSet): Promise<Float32Array> {
  const dim = base.dim;
  const out = new Float32Array(texts.length * dim);
  if (texts.length === 0) return out;
  const ids = texts.map((t) => base.tokenize(t));
  for (const members of batchesLikeUseLite(base, be, ids)) {
    const t = forwardBatch(base, be, members.map((i) => ids[i]), lora, null, false);
    let rows: Float32Array;
    try {
      rows = await be.readF32(t.normed);
    } finally {
      be.dispose(t.normed);
    }
    members.forEach((i, r) => out.set(rows.subarray(r * dim, (r + 1) * dim), i * dim));
  }
  return out;
}

class UseLiteLora implements TrainableEmbedder {
  readonly method = 'lora' as const;
  private readonly lp: LoraParams;

  constructor(
    readonly base: UseLiteEmbedder,
    readonly backend: TrainBackend,
    readonly cfg: LoraConfig,
    seed: number,
  ) {
    this.lp = new LoraParams(backend, linearsOfUseLite(base), cfg, seed);
  }

  params(): readonly TrainParam[] {
    return this.lp.params();
  }

  async forwardTrain(texts: readonly string[], _role: Role, opts: { training: boolean; seed: number }): Promise<TrainForward> {
    if (texts.length === 0) throw new Error('LoRA forwardTrain: no texts');
    const be = this.backend;
    const n = texts.length;
    const dim = this.base.dim;
    const ids = texts.map((t) => this.base.tokenize(t));
    const groups = batchesLikeUseLite(this.base, be, ids);
    const dropout = opts.training && this.cfg.dropout > 0 ? { p: this.cfg.dropout, rand: mulberry32(opts.seed) } : null;
    const set = this.lp.set();
    const tapes: BatchTape[] = [];
    let emb: Tensor | null = null;
    for (const g of groups) {
      const t = forwardBatch(this.base, be, g.map((i) => ids[i]), set, dropout, true);
      tapes.push(t);
      // place the batch's rows at their texts' indices: emb += P·normed with P [n, Bg] one-hot (exact)
      const p = new Float32Array(n * g.length);
      g.forEach((i, r) => (p[i * g.length + r] = 1));
      const pT = be.tensor(p, [n, g.length]);
      const part = be.matmul(pT, t.normed);
      be.dispose(pT);
      if (emb) {
        const sum = be.add(emb, part);
        be.dispose(emb, part);
        emb = sum;
      } else emb = part;
    }
    let live = true;
    const release = () => {
      if (!live) return;
      live = false;
      for (const t of tapes) {
        releaseBatch(be, t);
        be.dispose(t.normed);
      }
    };
    return {
      emb: emb!,
      backward: (dEmb: Tensor) => {
        if (!live) throw new Error('LoRA backward: this forward was already released or back-propagated');
        if (dEmb.shape.length !== 2 || dEmb.shape[0] !== n || dEmb.shape[1] !== dim) {
          throw new Error(`LoRA backward: dEmb is [${dEmb.shape.join(',')}], expected [${n},${dim}]`);
        }
        const grads = this.lp.grads();
        try {
          groups.forEach((g, k) => {
            const idx = be.tensor(Uint32Array.from(g), [g.length]);
            const dN = be.gather(dEmb, idx);
            be.dispose(idx);
            try {
              backwardBatch(this.base, be, tapes[k], dN, grads);
            } finally {
              be.dispose(dN);
            }
          });
        } finally {
          release();
        }
      },
      release,
    };
  }

  asEmbedder(id: string): Embedder {
    const base = this.base;
    return {
      id,
      dim: base.dim,
      templates: base.templates,
      embed: async (be: Backend, texts: readonly string[], _role: Role) => {
        if (be === this.backend) return embedWithLora(base, be, texts, this.lp.set());
        // another backend: a snapshot of the current adapters, uploaded for this call
        const set = uploadSet(be, await this.lp.host(), this.lp.modules, this.cfg.rank, this.lp.scale);
        try {
          return await embedWithLora(base, be, texts, set);
        } finally {
          disposeSet(be, set);
        }
      },
    };
  }

  exportWeights(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    return this.lp.exportWeights();
  }

  loadWeights(weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): void {
    this.lp.loadWeights(weights);
  }

  /** frees the adapters and their optimiser state */
  dispose(): void {
    this.lp.dispose();
  }
}

/**
 * LoRA on USE-lite: A seeded (PEFT's Kaiming-uniform bound 1/sqrt(in)), B = 0, so the model starts equal
 * to the base. The base's uploaded weights are reused and never written.
 */
export function createLoraTrainable(base: UseLiteEmbedder, backend: TrainBackend, cfg: LoraConfig = DEFAULT_LORA, seed = 0): TrainableEmbedder & { dispose(): void } {
  return new UseLiteLora(base, backend, checkLoraConfig(cfg), seed);
}

/** The linear layers of `base` a config selects, as PEFT module paths (for UIs and checks). */
export function loraTargets(base: UseLiteEmbedder, cfg: LoraConfig = DEFAULT_LORA): string[] {
  return selectModules(linearsOfUseLite(base), cfg.targetModules).map((m) => m.path);
}

/**
 * An Embedder for a saved expert: base USE-lite plus PEFT-named LoRA weights (as exportWeights wrote
 * them). Names and shapes are checked now; the adapters are uploaded once per backend on first use.
 */
export function loadLoraExpert(
  base: UseLiteEmbedder,
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  cfg: LoraConfig = DEFAULT_LORA,
  id = `${base.id}+lora`,
): Embedder {
  checkLoraConfig(cfg);
  const modules = selectModules(linearsOfUseLite(base), cfg.targetModules);
  const host: Map<string, LoraHostPair> = peftToHost(weights, modules, cfg.rank);
  const scale = cfg.alpha / cfg.rank;
  const onDevice = new WeakMap<Backend, LoraSet>();
  return {
    id,
    dim: base.dim,
    templates: base.templates,
    embed: (be: Backend, texts: readonly string[], _role: Role) => {
      let set = onDevice.get(be);
      if (!set) {
        set = uploadSet(be, host, modules, cfg.rank, scale);
        onDevice.set(be, set);
      }
      return embedWithLora(base, be, texts, set);
    },
  };
}
