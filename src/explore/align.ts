/**
 * Keeping the Explorer's view steady across models: each model's points are projected on its own top-2
 * principal components, whose signs and order are arbitrary, so the new view is turned (a rotation, or a
 * reflection when that matches better) about the origin to best fit the previous one on the points both
 * show — orthogonal Procrustes in 2-D, closed form. Distances are unchanged: only the viewpoint moves.
 */
export interface View2d {
  ids: readonly string[];
  /** [ids.length · 2] x, y */
  coords: ArrayLike<number>;
}

/** next's coordinates turned to best match prev on shared ids (next's own when they share fewer than 2). */
export function alignTo(prev: View2d | null, next: View2d): Float32Array {
  const out = Float32Array.from(next.coords);
  if (!prev) return out;
  const at = new Map(prev.ids.map((id, i) => [id, i] as const));
  // M[a][b] = Σ next_i[a] · prev_i[b] over the shared points
  let m00 = 0;
  let m01 = 0;
  let m10 = 0;
  let m11 = 0;
  let shared = 0;
  next.ids.forEach((id, i) => {
    const j = at.get(id);
    if (j === undefined) return;
    shared++;
    const [nx, ny] = [next.coords[2 * i], next.coords[2 * i + 1]];
    const [px, py] = [prev.coords[2 * j], prev.coords[2 * j + 1]];
    m00 += nx * px;
    m01 += nx * py;
    m10 += ny * px;
    m11 += ny * py;
  });
  if (shared < 2) return out;
  // row vector p·R: rotation R = [[c, s], [−s, c]] scores c(m00 + m11) + s(m01 − m10);
  // reflection R = [[c, s], [s, −c]] scores c(m00 − m11) + s(m01 + m10)
  const rot = Math.hypot(m00 + m11, m01 - m10);
  const ref = Math.hypot(m00 - m11, m01 + m10);
  const reflect = ref > rot;
  const angle = reflect ? Math.atan2(m01 + m10, m00 - m11) : Math.atan2(m01 - m10, m00 + m11);
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  for (let i = 0; i < next.ids.length; i++) {
    const [x, y] = [next.coords[2 * i], next.coords[2 * i + 1]];
    out[2 * i] = x * c + (reflect ? y * s : -y * s);
    out[2 * i + 1] = x * s + (reflect ? -y * c : y * c);
  }
  return out;
}
