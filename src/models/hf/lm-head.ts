/**
 * A decoder's language-model head: logits = h · Wᵀ over the vocabulary, W [V, H] being lm_head.weight or,
 * when tied, the token table (embed_tokens). Read on the host: generation samples there. A head larger than
 * one tensor of the backend is split into row blocks (large vocabularies: Qwen's 151,936 x 1024), each a
 * linear on the backend, uploaded once per backend and kept until release, in the weight format the model's
 * linears get there (f16 on WebGPU by default: Qwen3's head is 622 MB as f32, 311 MB as f16). Gemma 2
 * soft-caps the logits.
 */
import type { Backend, Tensor } from '../../core/backend';
import type { WeightFormat } from './fit';
import { PerBackend } from './per-backend';
import { SafetensorsError } from './safetensors';
import type { TensorSource } from './tensor-source';
import { uploadIn } from './weights';

export class LmHead {
  private readonly uploaded = new PerBackend<Tensor[]>((b) => b);

  constructor(
    private readonly src: TensorSource,
    /** the tensor's full name in the file */
    readonly name: string,
    readonly vocab: number,
    readonly hidden: number,
    /** whether it is the token table (tied embeddings) */
    readonly tied: boolean,
    /** gemma2's final_logit_softcapping: logits become softcap * tanh(logits / softcap) */
    readonly softcap: number | null = null,
    /** the format of the head's blocks on a backend (the model's linear weight format there) */
    private readonly formatOn: (backend: Backend) => WeightFormat = () => 'f32',
  ) {
    if (!src.has(name))
      throw new SafetensorsError(src.file, name, `missing (the LM head, [${vocab}, ${hidden}])`);
    const s = src.info(name).shape;
    if (s.length !== 2 || s[0] !== vocab || s[1] !== hidden)
      throw new SafetensorsError(src.file, name, `shape [${s.join(', ')}], expected [${vocab}, ${hidden}]`);
  }

  /** the row blocks on `backend` (uploaded on first use), in the model's weight format there */
  on(backend: Backend): Tensor[] {
    return this.uploaded.get(backend, () => {
      const rows = Math.max(1, Math.min(this.vocab, Math.floor(backend.maxTensorElements / this.hidden)));
      const format = this.formatOn(backend);
      const b: Tensor[] = [];
      try {
        for (let r = 0; r < this.vocab; r += rows) {
          const n = Math.min(rows, this.vocab - r);
          b.push(uploadIn(backend, format, this.src.getRows(this.name, r, n), [n, this.hidden]));
        }
      } catch (e) {
        backend.dispose(...b);
        throw e;
      }
      return b;
    });
  }

  /** logits [N * V] (row-major) of hidden rows h [N, H] on `backend`; h stays the caller's */
  async logits(backend: Backend, h: Tensor): Promise<Float32Array> {
    const N = h.shape[0];
    if (h.shape.length !== 2 || h.shape[1] !== this.hidden)
      throw new Error(`LM head: hidden rows [${h.shape.join(', ')}], expected [N, ${this.hidden}]`);
    const out = new Float32Array(N * this.vocab);
    let col = 0;
    for (const w of this.on(backend)) {
      const y = backend.linear(h, w, null, 'nk');
      try {
        const part = await backend.readF32(y);
        const n = w.shape[0];
        for (let i = 0; i < N; i++) out.set(part.subarray(i * n, (i + 1) * n), i * this.vocab + col);
        col += n;
      } finally {
        backend.dispose(y);
      }
    }
    const cap = this.softcap;
    if (cap !== null) for (let i = 0; i < out.length; i++) out[i] = cap * Math.tanh(out[i] / cap);
    return out;
  }

  /** Frees the blocks uploaded to `backend` (or to every backend). */
  release(backend?: Backend): void {
    this.uploaded.release(backend);
  }
}
