/** The Explorer's scatter plot on a <canvas>: documents as dots coloured by their grade for the selected
 * query, its top 10 ringed, queries as diamonds; a new view's points glide to their places (~600 ms). */
import { useEffect, useRef, useState } from 'react';
import {
  ease,
  extentOf,
  gradeColour,
  lerp,
  lerpExtent,
  nearest,
  PLOT_H,
  PLOT_W,
  toPixel,
  type Extent,
} from './plot';

export const TWEEN_MS = 600;

export interface ExplorerCanvasProps {
  viewKey: string;
  ids: readonly string[];
  kinds: readonly ('query' | 'doc')[];
  titles: readonly string[];
  /** the target coordinates [2 · points] */
  coords: Float32Array;
  /** the selected query's judgements (doc id → grade) */
  grades: Record<string, number>;
  /** the selected query's top-10 doc ids */
  top: ReadonlySet<string>;
  selected: string | null;
  onSelect: (qid: string) => void;
}

interface Drawn {
  /** data coordinates now on screen, by point id */
  pos: Map<string, [number, number]>;
  extent: Extent | null;
  /** the current frame's data coordinates and pixels, in props order */
  data: Float32Array;
  pixels: Float32Array;
  raf: number;
}

export function ExplorerCanvas(p: ExplorerCanvasProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawn = useRef<Drawn>({
    pos: new Map(),
    extent: null,
    data: new Float32Array(0),
    pixels: new Float32Array(0),
    raf: 0,
  });
  const [hover, setHover] = useState(-1);
  const [animating, setAnimating] = useState(false);
  const [moved, setMoved] = useState(0);
  const [frames, setFrames] = useState(0);
  const props = useRef(p);
  props.current = p;
  const hoverRef = useRef(hover);
  hoverRef.current = hover;

  const paint = (data: Float32Array, ext: Extent) => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    const { ids, kinds, grades, top, selected } = props.current;
    const d = drawn.current;
    d.data = data;
    d.extent = ext;
    d.pixels = new Float32Array(data.length);
    for (let i = 0; i < ids.length; i++) {
      const [x, y] = toPixel(ext, data[2 * i], data[2 * i + 1]);
      d.pixels[2 * i] = x;
      d.pixels[2 * i + 1] = y;
    }
    if (!c || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== PLOT_W * dpr) [c.width, c.height] = [PLOT_W * dpr, PLOT_H * dpr];
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, PLOT_W, PLOT_H);
    const px = d.pixels;
    // documents: unjudged first, then judged (non-relevant below relevant, higher grades on top)
    const docs = ids.map((_, i) => i).filter((i) => kinds[i] === 'doc');
    docs.sort((a, b) => (grades[ids[a]] ?? -1) - (grades[ids[b]] ?? -1));
    for (const i of docs) {
      const g = grades[ids[i]];
      ctx.fillStyle = gradeColour(g);
      ctx.beginPath();
      ctx.arc(px[2 * i], px[2 * i + 1], g === undefined ? 2.5 : 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.strokeStyle = '#1c2430';
    ctx.lineWidth = 1.5;
    for (const i of docs)
      if (top.has(ids[i])) {
        ctx.beginPath();
        ctx.arc(px[2 * i], px[2 * i + 1], 7, 0, 2 * Math.PI);
        ctx.stroke();
      }
    const diamond = (i: number, r: number) => {
      const [x, y] = [px[2 * i], px[2 * i + 1]];
      ctx.beginPath();
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y);
      ctx.lineTo(x, y + r);
      ctx.lineTo(x - r, y);
      ctx.closePath();
    };
    let sel = -1;
    ctx.fillStyle = 'rgba(28, 36, 48, 0.55)';
    for (let i = 0; i < ids.length; i++) {
      if (kinds[i] !== 'query') continue;
      if (ids[i] === selected) sel = i;
      diamond(i, 4);
      ctx.fill();
    }
    if (sel >= 0) {
      diamond(sel, 9);
      ctx.fillStyle = '#2f6fde';
      ctx.fill();
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    const h = hoverRef.current;
    if (h >= 0 && h < ids.length) {
      ctx.strokeStyle = '#2f6fde';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(px[2 * h], px[2 * h + 1], 9, 0, 2 * Math.PI);
      ctx.stroke();
    }
    setFrames((f) => f + 1);
  };

  // a new view: glide from what is on screen to the new coordinates
  useEffect(() => {
    const d = drawn.current;
    const { ids, coords } = props.current;
    const from = new Float32Array(coords.length);
    ids.forEach((id, i) => {
      const was = d.pos.get(id);
      from[2 * i] = was ? was[0] : coords[2 * i];
      from[2 * i + 1] = was ? was[1] : coords[2 * i + 1];
    });
    const toExt = extentOf(coords);
    const fromExt = d.extent ?? toExt;
    let shift = 0;
    for (let i = 0; i < ids.length; i++) {
      const [ax, ay] = toPixel(fromExt, from[2 * i], from[2 * i + 1]);
      const [bx, by] = toPixel(toExt, coords[2 * i], coords[2 * i + 1]);
      shift += Math.hypot(ax - bx, ay - by);
    }
    setMoved(ids.length ? shift / ids.length : 0);
    cancelAnimationFrame(d.raf);
    const t0 = performance.now();
    setAnimating(true);
    const frame = (now: number) => {
      const t = ease((now - t0) / TWEEN_MS);
      const cur = new Float32Array(coords.length);
      for (let i = 0; i < cur.length; i++) cur[i] = lerp(from[i], coords[i], t);
      paint(cur, lerpExtent(fromExt, toExt, t));
      if (now - t0 < TWEEN_MS) d.raf = requestAnimationFrame(frame);
      else {
        d.pos = new Map(ids.map((id, i) => [id, [coords[2 * i], coords[2 * i + 1]]]));
        setAnimating(false);
      }
    };
    d.raf = requestAnimationFrame(frame);
    return () => cancelAnimationFrame(d.raf);
  }, [p.viewKey, p.coords]);

  // selection, judgements or hover changed: repaint in place (a glide repaints every frame anyway)
  useEffect(() => {
    const d = drawn.current;
    if (!animating && d.extent) paint(d.data, d.extent);
  }, [p.selected, p.grades, p.top, hover, animating]);

  const at = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const x = ((e.clientX - r.left) * PLOT_W) / r.width;
    const y = ((e.clientY - r.top) * PLOT_H) / r.height;
    return nearest(drawn.current.pixels, x, y);
  };
  const h = hover >= 0 && hover < p.ids.length ? hover : -1;
  const hp = h >= 0 ? [drawn.current.pixels[2 * h], drawn.current.pixels[2 * h + 1]] : null;
  return (
    <div className="explorer-plot">
      <canvas
        ref={canvas}
        data-testid="explorer-canvas"
        data-points={p.ids.length}
        data-view={p.viewKey}
        data-animating={animating ? '1' : '0'}
        data-moved={moved.toFixed(1)}
        data-frames={frames}
        style={{ width: '100%', maxWidth: PLOT_W, aspectRatio: `${PLOT_W} / ${PLOT_H}` }}
        role="img"
        aria-label={`2-D map of ${p.ids.length} queries and documents`}
        onMouseMove={(e) => setHover(at(e))}
        onMouseLeave={() => setHover(-1)}
        onClick={(e) => {
          const i = at(e);
          if (i >= 0 && p.kinds[i] === 'query') p.onSelect(p.ids[i]);
        }}
      />
      {hp && (
        <div
          className="explorer-tip"
          data-testid="explorer-tip"
          style={{ left: `${(100 * hp[0]) / PLOT_W}%`, top: `${(100 * hp[1]) / PLOT_H}%` }}
        >
          <b>{p.kinds[h] === 'query' ? `query ${p.ids[h]}` : `doc ${p.ids[h]}`}</b>{' '}
          {p.kinds[h] === 'doc' && p.grades[p.ids[h]] !== undefined && `(grade ${p.grades[p.ids[h]]}) `}
          {p.titles[h]}
          {p.kinds[h] === 'query' && <i> — click to select</i>}
        </div>
      )}
    </div>
  );
}
