/** Shape checks of the token-pool backward ops (mask [B,T], dy [B,D] -> dx [B,T,D]). */
import { ShapeError, type Tensor } from '../core/backend';
import type { TokenPoolDims } from './pool';
import { expectDim, expectDtype, expectRank } from './shape';

export function tokenGradShape(op: string, mask: Tensor, dy: Tensor, T: number): TokenPoolDims {
  expectRank(op, 'mask', mask, 2);
  expectRank(op, 'dy', dy, 2);
  expectDtype(op, 'mask', mask, 'f32');
  expectDtype(op, 'dy', dy, 'f32');
  if (!Number.isInteger(T) || T < 0) throw new ShapeError(op, `T must be a non-negative integer, got ${T}`);
  const [B, D] = dy.shape;
  expectDim(op, 'mask batch', mask.shape[0], B);
  expectDim(op, 'mask length', mask.shape[1], T);
  return { B, T, D };
}
