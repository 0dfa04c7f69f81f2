/**
 * LoRA inside the studio's native models, as a TrainableEmbedder: USE-lite (the default model) and
 * HfEmbedder's BERT-family encoders and decoders, with an adapter on every linear (or the
 * `targetModules` subset), base weights frozen. There is no LoRA copy of any forward: each model's one
 * forward (src/models, a NativeEmbedder) runs with a LoRA Linear source (lora-linear.ts) on the recording
 * op context (src/nn/tape.ts), whose backward reaches the adapters. Parameters, PEFT names and init are
 * in lora-modules.ts.
 *
 * Inference (asEmbedder, loadLoraExpert) adds the low-rank path to each adapted linear rather than
 * merging W' = W + s·A·B: it costs little, keeps the frozen weights shared with the base embedder, and
 * with B = 0 gives exactly the base's vectors (y + 0 = y).
 */
import { mulberry32 } from '../util/rng';
import type { Backend, Tensor } from '../core/backend';
import { Tape } from '../nn/tape';
import { HfEmbedder } from '../models/hf/embedder';
import { embedNative, type NativeEmbedder } from '../models/native';
import { UseLiteEmbedder } from '../models/use-lite/model';
import type { Embedder, Role } from '../models/types';
import { loraLinear } from './lora-linear';
import {
  DEFAULT_LORA,
  LoraParams,
  checkLoraConfig,
  fusedTargetNotes,
  disposeSet,
  peftToHost,
  selectModules,
  uploadSet,
  type LoraHostPair,
  type LoraSet,
} from './lora-modules';
import type { LoraConfig, TrainableEmbedder, TrainForward, TrainParam } from './types';

export { DEFAULT_LORA } from './lora-modules';

/** Embeds texts through the base's one forward with the adapters of `lora` on its linears (nothing saved). */
function embedWithLora(
  model: NativeEmbedder,
  be: Backend,
  texts: readonly string[],
  lora: LoraSet,
): Promise<Float32Array> {
  return embedNative(model, be, texts, loraLinear(model.weightsLinear(be), lora, null, null));
}

/** A supported base embedder as the NativeEmbedder LoRA runs through. */
function loraModel(base: LoraBase): NativeEmbedder {
  if (base instanceof UseLiteEmbedder || base instanceof HfEmbedder) return base;
  throw new Error(
    'LoRA: the base model must be USE-lite or a Hugging Face encoder/decoder on the studio kernels',
  );
}

class LoraTrainable implements TrainableEmbedder {
  readonly method = 'lora' as const;
  readonly base: Embedder;
  private readonly lp: LoraParams;

  constructor(
    private readonly model: NativeEmbedder,
    readonly backend: Backend,
    readonly cfg: LoraConfig,
    seed: number,
  ) {
    this.base = model;
    this.lp = new LoraParams(backend, model.linears, cfg, seed);
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
    const lin = loraLinear(this.model.weightsLinear(be), this.lp.set(), this.lp.grads(), dropout);
    const tapes: { tape: Tape; normed: Tensor }[] = [];
    let emb: Tensor | null = null;
    let live = true;
    const release = () => {
      if (!live) return;
      live = false;
      for (const t of tapes) {
        t.tape.release();
        be.dispose(t.normed);
      }
    };
    try {
      for (const g of groups) {
        const tape = new Tape(be, lin);
        let normed: Tensor;
        try {
          normed = plan.forward(tape, g);
        } catch (e) {
          tape.release();
          throw e;
        }
        tapes.push({ tape, normed });
        // place the batch's rows at their texts' indices: emb += P·normed with P [n, Bg] one-hot (exact)
        const p = new Float32Array(n * g.length);
        g.forEach((i, r) => (p[i * g.length + r] = 1));
        const pT = be.tensor(p, [n, g.length]);
        const part = be.matmul(pT, normed);
        be.dispose(pT);
        if (emb) {
          const sum = be.add(emb, part);
          be.dispose(emb, part);
          emb = sum;
        } else emb = part;
      }
    } catch (e) {
      release();
      if (emb) be.dispose(emb);
      throw e;
    }
    return {
      emb: emb!,
      backward: (dEmb: Tensor) => {
        if (!live) throw new Error('LoRA backward: this forward was already released or back-propagated');
        if (dEmb.shape.length !== 2 || dEmb.shape[0] !== n || dEmb.shape[1] !== dim) {
          throw new Error(`LoRA backward: dEmb is [${dEmb.shape.join(',')}], expected [${n},${dim}]`);
        }
        try {
          groups.forEach((g, k) => {
            const idx = be.tensor(Uint32Array.from(g), [g.length]);
            const dN = be.gather(dEmb, idx);
            be.dispose(idx);
            try {
              tapes[k].tape.backward(tapes[k].normed, dN);
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
  backend: Backend,
  cfg: LoraConfig = DEFAULT_LORA,
  seed = 0,
): TrainableEmbedder & { dispose(): void } {
  return new LoraTrainable(loraModel(base), backend, checkLoraConfig(cfg), seed);
}

/**
 * The places of `base` a config selects, as module paths (for UIs and checks): a linear's path, or for a
 * row slice of a fused linear (phi3's q_proj of qkv_proj) the unfused module's path.
 */
export function loraTargets(base: LoraBase, cfg: LoraConfig = DEFAULT_LORA): string[] {
  return selectModules(loraModel(base).linears, cfg.targetModules).map((m) => m.path);
}

/** What the targets mean on this base where a pattern names a row slice of a fused linear (Phi-3). */
export function loraTargetNotes(base: LoraBase, cfg: LoraConfig = DEFAULT_LORA): string[] {
  return fusedTargetNotes(loraModel(base).linears, cfg.targetModules);
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
  const modules = selectModules(model.linears, cfg.targetModules);
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
