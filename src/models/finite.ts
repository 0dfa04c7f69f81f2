/**
 * Non-finite model outputs (issue 8 item 3): weights that are finite but huge (one weight 3e38) overflow
 * float32 in the forward and give NaN/Infinity embeddings, which JSON prints as null. Every embedder
 * checks its output rows (a scan of what it already read back) and throws a NonFiniteError naming the
 * model, the text and, for the native models, the first linear layer whose output is not finite.
 */
import type { Backend, Tensor } from '../core/backend';
import type { Linear, LinearCall } from '../nn/ops';

export class NonFiniteError extends Error {
  constructor(
    readonly model: string,
    /** index of the first text whose embedding is not finite */
    readonly text: number,
    /** where the first non-finite activation appears, when known */
    readonly layer: string | null,
    /** what the text is, for the message (default "text <n>") */
    what = `text ${text + 1}`,
  ) {
    super(
      `model "${model}" gives a non-finite (NaN or infinite) embedding for ${what}` +
        (layer ? `; the first non-finite activation is ${layer}` : '') +
        ': its weights overflow float32 (a huge or corrupt value in the model file); use another model or fix its weights',
    );
    this.name = 'NonFiniteError';
  }

  /** The same error naming the text as `what` (e.g. a document id) instead of its index. */
  naming(what: string): NonFiniteError {
    return new NonFiniteError(this.model, this.text, this.layer, what);
  }
}

/** Index of the first row of `rows` ([n, dim]) holding a NaN or an infinity, or -1. */
export function firstNonFiniteRow(rows: Float32Array, dim: number): number {
  for (let i = 0; i < rows.length; i++) if (!Number.isFinite(rows[i])) return Math.floor(i / dim);
  return -1;
}

/** Throws a NonFiniteError (without a layer) when a row of `rows` is not finite; returns rows. */
export function assertFiniteRows(model: string, rows: Float32Array, dim: number): Float32Array {
  const bad = firstNonFiniteRow(rows, dim);
  if (bad >= 0) throw new NonFiniteError(model, bad, null);
  return rows;
}

const allFinite = (a: Float32Array) => a.every((v) => Number.isFinite(v));

/**
 * A Linear that keeps a copy of every call's input and output, for a diagnostic forward: `firstBad`
 * then reads them in call order and names the first linear whose output is not finite, saying whether
 * its input already was (the fault lies before it) or the linear made it.
 */
export function tracingLinear(
  inner: Linear,
): Linear & { firstBad(): Promise<string | null>; dispose(): void } {
  const calls: { path: string; x: Tensor; y: Tensor; be: Backend }[] = [];
  const keep = (be: Backend, path: string, x: Tensor, y: Tensor) =>
    calls.push({ path, be, x: be.scale(x, 1), y: be.scale(y, 1) });
  return {
    forward(be, x, path) {
      const y = inner.forward(be, x, path);
      keep(be, path, x, y);
      return y;
    },
    record(be, x, path): LinearCall {
      const call = inner.record(be, x, path);
      keep(be, path, x, call.y);
      return call;
    },
    async firstBad() {
      for (const c of calls) {
        if (!allFinite(await c.be.readF32(c.y)))
          return allFinite(await c.be.readF32(c.x))
            ? `the output of ${c.path} (its weights)`
            : `already in the input of ${c.path} (made before it: embeddings, attention or a norm)`;
      }
      return null;
    },
    dispose() {
      for (const c of calls) c.be.dispose(c.x, c.y);
      calls.length = 0;
    },
  };
}
