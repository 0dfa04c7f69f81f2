import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../util/rng';
import { alignTo } from './align';

function cloud(n: number, seed: number): { ids: string[]; coords: Float32Array } {
  const r = mulberry32(seed);
  return {
    ids: Array.from({ length: n }, (_, i) => `p${i}`),
    coords: Float32Array.from({ length: 2 * n }, () => 4 * r() - 2),
  };
}

function transform(c: Float32Array, angle: number, reflect: boolean): Float32Array {
  const out = new Float32Array(c.length);
  for (let i = 0; i < c.length; i += 2) {
    const [x, y] = [c[i], reflect ? -c[i + 1] : c[i + 1]];
    out[i] = x * Math.cos(angle) - y * Math.sin(angle);
    out[i + 1] = x * Math.sin(angle) + y * Math.cos(angle);
  }
  return out;
}

describe('alignTo (issue 12 item 5: a steady view when switching models)', () => {
  it.each([
    [0.7, false],
    [Math.PI, false],
    [-2.1, true],
    [0, true],
  ])('undoes a turn of %f rad (reflected: %s)', (angle, reflect) => {
    const prev = cloud(50, 3);
    const next = { ids: prev.ids, coords: transform(prev.coords, angle, reflect) };
    const got = alignTo(prev, next);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(prev.coords[i], 5);
  });

  it('matches on shared ids only, whatever their order, and keeps distances', () => {
    const prev = cloud(40, 5);
    const turned = transform(prev.coords, 1.1, true);
    // next lists the points in reverse, drops five and adds two new ones
    const ids: string[] = [];
    const coords: number[] = [];
    for (let i = 39; i >= 5; i--) {
      ids.push(prev.ids[i]);
      coords.push(turned[2 * i], turned[2 * i + 1]);
    }
    ids.push('new1', 'new2');
    coords.push(3, 1, -1, 2);
    const got = alignTo(prev, { ids, coords });
    ids.forEach((id, k) => {
      const i = prev.ids.indexOf(id);
      if (i < 0) return;
      expect(got[2 * k]).toBeCloseTo(prev.coords[2 * i], 5);
      expect(got[2 * k + 1]).toBeCloseTo(prev.coords[2 * i + 1], 5);
    });
    expect(Math.hypot(got[70], got[71])).toBeCloseTo(Math.hypot(3, 1), 5);
  });

  it('leaves the first view, or one sharing fewer than two points, as it is', () => {
    const v = cloud(5, 9);
    expect([...alignTo(null, v)]).toEqual([...v.coords]);
    expect([...alignTo({ ids: ['zz'], coords: [1, 1] }, v)]).toEqual([...v.coords]);
  });
});
