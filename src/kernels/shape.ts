/** Shape and dtype checks shared by both backends, so the same bad call fails the same way everywhere. */
import { ShapeError, type DType, type Tensor } from '../core/backend';

export function expectRank(op: string, name: string, t: Tensor, rank: number): void {
  if (t.shape.length !== rank) {
    throw new ShapeError(op, `${name} must have rank ${rank}, got shape [${t.shape.join(',')}]`);
  }
}

export function expectDtype(op: string, name: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) throw new ShapeError(op, `${name} must be ${dtype}, got ${t.dtype}`);
}

export function expectDim(op: string, what: string, got: number, want: number): void {
  if (got !== want) throw new ShapeError(op, `${what}: ${got} != ${want}`);
}

/** Validate a shape for a new tensor holding `length` elements. */
export function checkNewShape(shape: readonly number[], length: number): number {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError('tensor', `bad dimension ${d} in [${shape.join(',')}]`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== length) {
    throw new ShapeError(
      'tensor',
      `shape [${shape.join(',')}] holds ${size} elements but data has ${length}`,
    );
  }
  return size;
}
