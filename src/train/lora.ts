/**
 * LoRA inside the studio's native models, as a TrainableEmbedder: USE-lite (the default model) and
 * HfEmbedder's BERT-family encoders and decoders, with an adapter on every linear (or the
 * `targetModules` subset), base weights frozen. Each model's training forward and backward live in
 * lora-use-lite.ts / lora-hf.ts / lora-hf-decoder.ts (behind LoraModel, lora-model.ts); parameters,
 * PEFT names and init in lora-modules.ts; one adapted linear in lora-linear.ts.
 *
 * Inference (asEmbedder, loadLoraExpert) adds the low-rank path to each adapted linear rather than
 * merging W' = W + s·A·B: it costs little, keeps the frozen weights shared with the base embedder, and
 * with B = 0 gives exactly the base's vectors (y + 0 = y).
 */
import { mulberry32 } from '../util/rng';
import type { Backend, Tensor } from '../core/backend';
import { HfEmbedder } from '../models/hf/embedder';
import { UseLiteEmbedder } from '../models/use-lite/model';
import type { Embedder, Role } from '../models/types';
import {
  DEFAULT_LORA,
  LoraParams,
  checkLoraConfig,
  disposeSet,
  peftToHost,
  selectModules,
  uploadSet,
  type LoraHostPair,
  type LoraSet,
  type TrainBackend,
} from './lora-modules';
import { loraModelOfHf } from './lora-hf';
import type { LoraBatch, LoraModel } from './lora-model';
import { loraModelOfUseLite } from './lora-use-lite';
import type { LoraConfig, TrainableEmbedder, TrainForward, TrainParam } from './types';

export { DEFAULT_LORA, type TrainBackend } from './lora-modules';

/** Embeds texts with the base's batching, each batch through the adapted forward (nothing saved). */
async function embedWithLora(
  model: LoraModel,
  be: Backend,
  texts: readonly string[],
  lora: LoraSet,
): Promise<Float32Array> {
  const dim = model.embedder.dim;
  const out = new Float32Array(texts.length * dim);
  if (texts.length === 0) return out;
  const plan = model.plan(be, texts);
  for (const members of plan.groups) {
    const t = plan.forward(members, lora, null, false);
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

/** The LoraModel of a supported base embedder. */
function loraModel(base: LoraBase): LoraModel {
  if (base instanceof UseLiteEmbedder) return loraModelOfUseLite(base);
  if (base instanceof HfEmbedder) return loraModelOfHf(base);
  throw new Error(
    'LoRA: the base model must be USE-lite or a Hugging Face encoder/decoder on the studio kernels',
  );
}

class LoraTrainable implements TrainableEmbedder {
  readonly method = 'lora' as const;
  readonly base: Embedder;
  private readonly lp: LoraParams;

  constructor(
    private readonly model: LoraModel,
    readonly backend: TrainBackend,
    readonly cfg: LoraConfig,
    seed: number,
  ) {
    this.base = model.embedder;
    this.lp = new LoraParams(backend, model.modules, cfg, seed);
  }

  params(): readonly TrainParam[] {
    return this.lp.params();
  }

  async forwardTrain(
    texts: readonly string[],
    _role: Role,
    opts: { training: boolean; seed: number },
  ): Promise<TrainForward> {
    if (texts.length === 0) throw new Error('LoRA forwardTrain: no texts');
    const be = this.backend;
    const n = texts.length;
    const dim = this.base.dim;
    const plan = this.model.plan(be, texts);
    const groups = plan.groups;
    const dropout =
      opts.training && this.cfg.dropout > 0 ? { p: this.cfg.dropout, rand: mulberry32(opts.seed) } : null;
    const set = this.lp.set();
    const tapes: LoraBatch[] = [];
    let emb: Tensor | null = null;
    for (const g of groups) {
      const t = plan.forward(g, set, dropout, true);
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
        t.release();
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
              tapes[k].backward(be, dN, grads);
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
    const model = this.model;
    return {
      id,
      dim: base.dim,
      templates: base.templates,
      embed: async (be: Backend, texts: readonly string[], _role: Role) => {
        if (be === this.backend) return embedWithLora(model, be, texts, this.lp.set());
        // another backend: a snapshot of the current adapters, uploaded for this call
        const set = uploadSet(be, await this.lp.host(), this.lp.modules, this.cfg.rank, this.lp.scale);
        try {
          return await embedWithLora(model, be, texts, set);
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

/** Base models LoRA can adapt: USE-lite and Hugging Face BERT-family encoders / decoders. */
export type LoraBase = UseLiteEmbedder | HfEmbedder;

/**
 * LoRA on USE-lite or an HfEmbedder: A seeded (PEFT's Kaiming-uniform bound 1/sqrt(in)), B = 0, so the model starts equal
 * to the base. The base's uploaded weights are reused and never written.
 */
export function createLoraTrainable(
  base: LoraBase,
  backend: TrainBackend,
  cfg: LoraConfig = DEFAULT_LORA,
  seed = 0,
): TrainableEmbedder & { dispose(): void } {
  return new LoraTrainable(loraModel(base), backend, checkLoraConfig(cfg), seed);
}

/** The linear layers of `base` a config selects, as PEFT module paths (for UIs and checks). */
export function loraTargets(base: LoraBase, cfg: LoraConfig = DEFAULT_LORA): string[] {
  return selectModules(loraModel(base).modules, cfg.targetModules).map((m) => m.path);
}

/**
 * An Embedder for a saved expert: the base model plus PEFT-named LoRA weights (as exportWeights wrote
 * them). Names and shapes are checked now; the adapters are uploaded once per backend on first use.
 */
export function loadLoraExpert(
  base: LoraBase,
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  cfg: LoraConfig = DEFAULT_LORA,
  id = `${base.id}+lora`,
): Embedder {
  checkLoraConfig(cfg);
  const model = loraModel(base);
  const modules = selectModules(model.modules, cfg.targetModules);
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
      return embedWithLora(model, be, texts, set);
    },
  };
}
