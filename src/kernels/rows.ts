/** Shape helpers for the transformer ops: tensors seen as rows over their last axis. */
import { ShapeError, type Tensor } from '../core/backend';
import { expectDim, expectDtype } from './shape';

export interface Rows {
  /** product of the leading dims */
  rows: number;
  /** size of the last axis */
  dim: number;
}

/** x as [rows, dim] over its last axis; x must be f32 with rank >= 1. */
export function asRows(op: string, name: string, x: Tensor): Rows {
  expectDtype(op, name, x, 'f32');
  if (x.shape.length < 1) throw new ShapeError(op, `${name} must have rank >= 1, got a scalar`);
  const dim = x.shape[x.shape.length - 1];
  return { rows: dim === 0 ? x.shape.slice(0, -1).reduce((a, b) => a * b, 1) : x.size / dim, dim };
}

/** a vector of length `len` (gamma, beta, bias). */
export function expectVector(op: string, name: string, v: Tensor, len: number): void {
  expectDtype(op, name, v, 'f32');
  if (v.shape.length !== 1)
    throw new ShapeError(op, `${name} must be a vector [${len}], got [${v.shape.join(',')}]`);
  expectDim(op, `${name} length`, v.shape[0], len);
}

/** same shape (and both f32). */
export function expectSameShape(op: string, a: Tensor, b: Tensor, an = 'a', bn = 'b'): void {
  expectDtype(op, an, a, 'f32');
  expectDtype(op, bn, b, 'f32');
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(
      op,
      `${an} [${a.shape.join(',')}] and ${bn} [${b.shape.join(',')}] must have the same shape`,
    );
  }
}

/** a finite number (scales, eps, theta). */
export function expectFinite(op: string, name: string, v: number): void {
  if (!Number.isFinite(v)) throw new ShapeError(op, `${name} must be a finite number, got ${v}`);
}
