/** The Explorer plot's geometry and colours: data extents, data → pixel mapping, the tween, hit-testing. */

export interface Extent {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export const PLOT_W = 640;
export const PLOT_H = 420;
const PAD = 18;

/** The coordinates' bounding box, padded by 5 % (a single point gets a unit box). */
export function extentOf(coords: ArrayLike<number>): Extent {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < coords.length; i += 2) {
    x0 = Math.min(x0, coords[i]);
    x1 = Math.max(x1, coords[i]);
    y0 = Math.min(y0, coords[i + 1]);
    y1 = Math.max(y1, coords[i + 1]);
  }
  if (!(x1 > x0)) [x0, x1] = [(x0 || 0) - 1, (x1 || 0) + 1];
  if (!(y1 > y0)) [y0, y1] = [(y0 || 0) - 1, (y1 || 0) + 1];
  const [dx, dy] = [(x1 - x0) * 0.05, (y1 - y0) * 0.05];
  return { x0: x0 - dx, x1: x1 + dx, y0: y0 - dy, y1: y1 + dy };
}

/** Pixel position of a data point (y up), keeping the aspect ratio so distances read the same both ways. */
export function toPixel(e: Extent, x: number, y: number): [number, number] {
  const s = Math.min((PLOT_W - 2 * PAD) / (e.x1 - e.x0), (PLOT_H - 2 * PAD) / (e.y1 - e.y0));
  const cx = (e.x0 + e.x1) / 2;
  const cy = (e.y0 + e.y1) / 2;
  return [PLOT_W / 2 + (x - cx) * s, PLOT_H / 2 - (y - cy) * s];
}

/** ease-in-out cubic on t ∈ [0, 1] */
export function ease(t: number): number {
  const c = Math.min(1, Math.max(0, t));
  return c < 0.5 ? 4 * c * c * c : 1 - (-2 * c + 2) ** 3 / 2;
}

export function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

export function lerpExtent(a: Extent, b: Extent, t: number): Extent {
  return {
    x0: lerp(a.x0, b.x0, t),
    x1: lerp(a.x1, b.x1, t),
    y0: lerp(a.y0, b.y0, t),
    y1: lerp(a.y1, b.y1, t),
  };
}

/** The index of the pixel point nearest (px, py) within `radius` pixels, or -1. */
export function nearest(pixels: ArrayLike<number>, px: number, py: number, radius = 8): number {
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < pixels.length / 2; i++) {
    const d = (pixels[2 * i] - px) ** 2 + (pixels[2 * i + 1] - py) ** 2;
    if (d <= bestD) [best, bestD] = [i, d];
  }
  return best;
}

/** A document's colour for the selected query: unjudged grey, judged not relevant blue, relevant by grade. */
export function gradeColour(grade: number | undefined): string {
  if (grade === undefined) return 'rgba(140, 150, 165, 0.45)';
  if (grade <= 0) return '#5b8def';
  return ['#f5a524', '#e8590c', '#c92a2a', '#7b1fa2'][Math.min(3, grade - 1)];
}

export const GRADE_LEGEND: readonly { label: string; grade: number | undefined }[] = [
  { label: 'not judged for this query', grade: undefined },
  { label: 'judged not relevant (0)', grade: 0 },
  { label: 'relevant (1)', grade: 1 },
  { label: 'grade 2', grade: 2 },
  { label: 'grade 3', grade: 3 },
  { label: 'grade 4', grade: 4 },
];
