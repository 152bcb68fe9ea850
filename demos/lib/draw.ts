import { niceTicks, tickText } from './ticks.js';

/**
 * Canvas drawing for the pages: the decision-boundary and routing maps (cells, data points,
 * axes with round ticks in the data's own units) and line charts (legend above the plot, round
 * ticks). Only drawing happens here; every number comes from the worker.
 */

export interface PlotGrid {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  nx: number;
  ny: number;
}

/** Class colors (points and their pale regions) and expert colors (a separate, paler palette). */
export const CLASS_COLORS = ['#2166ac', '#b2182b', '#1b7837', '#762a83', '#e08214', '#01665e', '#8c510a', '#c51b7d', '#4d4d4d', '#35978f', '#bf812d', '#542788', '#d6604d', '#4393c3', '#5aae61', '#9970ab'];
export const EXPERT_COLORS = ['#66c2a5', '#fc8d62', '#8da0cb', '#e78ac3', '#a6d854', '#ffd92f', '#e5c494', '#b3b3b3', '#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];
/** A marker shape per class, so classes read apart on the routing map too (where color means expert). */
export const CLASS_SHAPES = ['circle', 'triangle', 'square', 'diamond', 'cross', 'plus', 'down', 'star'] as const;
export type Shape = (typeof CLASS_SHAPES)[number];

export function hexRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** A grid around 2-D points with a 10% margin (the same framing as `qmoe train`'s boundary plot). */
export function gridAround(x: ArrayLike<number>, n: number, margin = 0.1): PlotGrid {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < x.length; i += 2) {
    x0 = Math.min(x0, x[i]);
    x1 = Math.max(x1, x[i]);
    y0 = Math.min(y0, x[i + 1]);
    y1 = Math.max(y1, x[i + 1]);
  }
  const mx = (x1 - x0 || 1) * margin;
  const my = (y1 - y0 || 1) * margin;
  return { x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my, nx: n, ny: n };
}

/** The grid's cell centers, row-major with row 0 at the bottom (y0). */
export function gridPoints(g: PlotGrid): Float64Array {
  const out = new Float64Array(g.nx * g.ny * 2);
  for (let j = 0; j < g.ny; j++) {
    for (let i = 0; i < g.nx; i++) {
      out[2 * (j * g.nx + i)] = g.x0 + ((i + 0.5) / g.nx) * (g.x1 - g.x0);
      out[2 * (j * g.nx + i) + 1] = g.y0 + ((j + 0.5) / g.ny) * (g.y1 - g.y0);
    }
  }
  return out;
}

/** Canvas with its backing store at the device pixel ratio; returns the 2-D context in CSS pixels. */
export function context2d(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

export function marker(ctx: CanvasRenderingContext2D, shape: Shape, x: number, y: number, r: number): void {
  ctx.beginPath();
  switch (shape) {
    case 'circle':
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      break;
    case 'square':
      ctx.rect(x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r);
      break;
    case 'triangle':
      ctx.moveTo(x, y - 1.2 * r);
      ctx.lineTo(x + 1.1 * r, y + 0.8 * r);
      ctx.lineTo(x - 1.1 * r, y + 0.8 * r);
      break;
    case 'down':
      ctx.moveTo(x, y + 1.2 * r);
      ctx.lineTo(x + 1.1 * r, y - 0.8 * r);
      ctx.lineTo(x - 1.1 * r, y - 0.8 * r);
      break;
    case 'diamond':
      ctx.moveTo(x, y - 1.25 * r);
      ctx.lineTo(x + 1.1 * r, y);
      ctx.lineTo(x, y + 1.25 * r);
      ctx.lineTo(x - 1.1 * r, y);
      break;
    case 'cross':
    case 'plus': {
      const a = shape === 'cross' ? Math.PI / 4 : 0;
      const t = 0.45 * r;
      for (let k = 0; k < 2; k++) {
        const c = Math.cos(a + (k * Math.PI) / 2), s = Math.sin(a + (k * Math.PI) / 2);
        const pts = [[-1.2 * r, -t], [1.2 * r, -t], [1.2 * r, t], [-1.2 * r, t]];
        pts.forEach(([u, v], i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, x + u * c - v * s, y + u * s + v * c));
        ctx.closePath();
      }
      break;
    }
    case 'star':
      for (let k = 0; k < 10; k++) {
        const rr = k % 2 ? 0.5 * r : 1.3 * r;
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        (k ? ctx.lineTo : ctx.moveTo).call(ctx, x + rr * Math.cos(a), y + rr * Math.sin(a));
      }
      break;
  }
  ctx.closePath();
}

/** A class marker as an inline SVG (for legends): the same shape and color as on the maps. */
export function markerSvg(k: number, color = CLASS_COLORS[k % CLASS_COLORS.length]): string {
  const shape = CLASS_SHAPES[k % CLASS_SHAPES.length];
  const paths: Record<Shape, string> = {
    circle: '<circle cx="6" cy="6" r="4"/>',
    square: '<rect x="2.6" y="2.6" width="6.8" height="6.8"/>',
    triangle: '<path d="M6 1.2L10.4 9.2H1.6Z"/>',
    down: '<path d="M6 10.8L10.4 2.8H1.6Z"/>',
    diamond: '<path d="M6 1L10.4 6L6 11L1.6 6Z"/>',
    cross: '<path d="M2.4 3.7L3.7 2.4L6 4.7L8.3 2.4L9.6 3.7L7.3 6L9.6 8.3L8.3 9.6L6 7.3L3.7 9.6L2.4 8.3L4.7 6Z"/>',
    plus: '<path d="M5.1 1.5H6.9V5.1H10.5V6.9H6.9V10.5H5.1V6.9H1.5V5.1H5.1Z"/>',
    star: '<path d="M6 0.8L7.2 4.4L11 4.4L7.9 6.6L9.1 10.3L6 8L2.9 10.3L4.1 6.6L1 4.4L4.8 4.4Z"/>',
  };
  return `<svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" style="vertical-align:-1px"><g fill="${color}" stroke="#fff" stroke-width="0.8">${paths[shape]}</g></svg>`;
}

/** How a map's plot area sits in its canvas (room for the axes on the left and below). */
export interface MapFrame {
  left: number;
  top: number;
  w: number;
  h: number;
}

export function mapFrame(w: number, h: number): MapFrame {
  const left = 40, top = 8, right = 8, bottom = 34;
  return { left, top, w: w - left - right, h: h - top - bottom };
}

/** Axis scaling of a map: the grid (scaled coordinates) and how to label it in raw units. */
export interface MapAxes {
  grid: PlotGrid;
  /** raw = min + (s - range[0]) / (range[1] - range[0]) * (max - min), per feature. */
  scaler: { min: number[]; max: number[] };
  range: [number, number];
}

export interface MapPoints {
  points: ArrayLike<number>;
  labels: ArrayLike<number>;
  test?: ArrayLike<number>;
}

const toRaw = (a: MapAxes, f: number, s: number) => a.scaler.min[f] + ((s - a.range[0]) / (a.range[1] - a.range[0])) * (a.scaler.max[f] - a.scaler.min[f]);
const toScaled = (a: MapAxes, f: number, raw: number) => a.range[0] + ((raw - a.scaler.min[f]) / (a.scaler.max[f] - a.scaler.min[f])) * (a.range[1] - a.range[0]);

/** A canvas position (CSS pixels) in scaled coordinates, or null outside the plot area. */
export function mapPosition(canvas: HTMLCanvasElement, axes: MapAxes, px: number, py: number): { x: number; y: number; raw: [number, number] } | null {
  const f = mapFrame(canvas.clientWidth, canvas.clientHeight);
  const u = (px - f.left) / f.w, v = 1 - (py - f.top) / f.h;
  if (u < 0 || u > 1 || v < 0 || v > 1) return null;
  const g = axes.grid;
  const x = g.x0 + u * (g.x1 - g.x0), y = g.y0 + v * (g.y1 - g.y0);
  return { x, y, raw: [toRaw(axes, 0, x), toRaw(axes, 1, y)] };
}

/** The drawn point nearest to a canvas position, within `radius` pixels. */
export function nearestPoint(canvas: HTMLCanvasElement, axes: MapAxes, pts: MapPoints, px: number, py: number, radius = 6): number {
  const f = mapFrame(canvas.clientWidth, canvas.clientHeight);
  const g = axes.grid;
  let best = -1, bestD = radius * radius;
  for (let k = 0; k < pts.labels.length; k++) {
    const x = f.left + ((pts.points[2 * k] - g.x0) / (g.x1 - g.x0)) * f.w;
    const y = f.top + f.h - ((pts.points[2 * k + 1] - g.y0) / (g.y1 - g.y0)) * f.h;
    const d = (x - px) ** 2 + (y - py) ** 2;
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/**
 * One map: cells painted by `cell` (or a neutral fill before there is a model), the data points
 * (`style`: class colors and shapes, or dark shapes over the expert colors), and axes x1 / x2
 * with round ticks in the data's own units.
 */
export function drawMap(canvas: HTMLCanvasElement, axes: MapAxes, pts: MapPoints, style: 'classes' | 'dark', cells?: { nx: number; ny: number; color: (cell: number) => [number, number, number] }): void {
  const { ctx, w, h } = context2d(canvas);
  const f = mapFrame(w, h);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  if (cells) {
    const img = new ImageData(cells.nx, cells.ny);
    for (let j = 0; j < cells.ny; j++) {
      for (let i = 0; i < cells.nx; i++) {
        const [r, g, b] = cells.color(j * cells.nx + i);
        const at = 4 * ((cells.ny - 1 - j) * cells.nx + i); // image row 0 is the top
        img.data[at] = r;
        img.data[at + 1] = g;
        img.data[at + 2] = b;
        img.data[at + 3] = 255;
      }
    }
    const tmp = document.createElement('canvas');
    tmp.width = cells.nx;
    tmp.height = cells.ny;
    tmp.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tmp, f.left, f.top, f.w, f.h);
  } else {
    ctx.fillStyle = '#f4f5f8';
    ctx.fillRect(f.left, f.top, f.w, f.h);
  }
  const g = axes.grid;
  const X = (s: number) => f.left + ((s - g.x0) / (g.x1 - g.x0)) * f.w;
  const Y = (s: number) => f.top + f.h - ((s - g.y0) / (g.y1 - g.y0)) * f.h;
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.left, f.top, f.w, f.h);
  ctx.clip();
  const many = pts.labels.length > 1500;
  for (let k = 0; k < pts.labels.length; k++) {
    const c = pts.labels[k];
    const test = pts.test?.[k] === 1;
    marker(ctx, CLASS_SHAPES[c % CLASS_SHAPES.length], X(pts.points[2 * k]), Y(pts.points[2 * k + 1]), (many ? 1.8 : 2.6) + (test ? 0.7 : 0));
    if (style === 'classes') {
      ctx.fillStyle = CLASS_COLORS[c % CLASS_COLORS.length];
      ctx.strokeStyle = test ? '#000' : '#fff';
      ctx.lineWidth = test ? 1.1 : 0.7;
    } else {
      ctx.fillStyle = 'rgba(30, 30, 40, 0.8)';
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 0.6;
    }
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
  // Axes: round ticks of the raw features.
  ctx.strokeStyle = '#888';
  ctx.lineWidth = 1;
  ctx.strokeRect(f.left + 0.5, f.top + 0.5, f.w - 1, f.h - 1);
  ctx.fillStyle = '#444';
  ctx.font = '11px system-ui, sans-serif';
  const tx = niceTicks(toRaw(axes, 0, g.x0), toRaw(axes, 0, g.x1), 5);
  ctx.textAlign = 'center';
  for (const v of tx.values) {
    const x = X(toScaled(axes, 0, v));
    ctx.beginPath();
    ctx.moveTo(x, f.top + f.h);
    ctx.lineTo(x, f.top + f.h + 4);
    ctx.stroke();
    ctx.fillText(tickText(v, tx.step), x, f.top + f.h + 15);
  }
  ctx.fillText('x1', f.left + f.w / 2, h - 3);
  const ty = niceTicks(toRaw(axes, 1, g.y0), toRaw(axes, 1, g.y1), 5);
  ctx.textAlign = 'right';
  for (const v of ty.values) {
    const y = Y(toScaled(axes, 1, v));
    ctx.beginPath();
    ctx.moveTo(f.left - 4, y);
    ctx.lineTo(f.left, y);
    ctx.stroke();
    ctx.fillText(tickText(v, ty.step), f.left - 6, y + 4);
  }
  ctx.save();
  ctx.translate(10, f.top + f.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('x2', 0, 0);
  ctx.restore();
  ctx.textAlign = 'start';
}

/** Cell colors of the decision boundary: pale class colors mixed by the class probabilities, fading to white where unsure, the boundary darkened. */
export function boundaryColors(probs: ArrayLike<number>, classes: number): (cell: number) => [number, number, number] {
  const pale = CLASS_COLORS.map(hexRgb).map(([r, g, b]) => [255 - 0.55 * (255 - r), 255 - 0.55 * (255 - g), 255 - 0.55 * (255 - b)]);
  return (c) => {
    let r = 0, gg = 0, b = 0, top = 0;
    for (let k = 0; k < classes; k++) {
      const p = probs[c * classes + k];
      top = Math.max(top, p);
      const col = pale[k % pale.length];
      r += p * col[0];
      gg += p * col[1];
      b += p * col[2];
    }
    const sure = Math.min(1, Math.max(0, (top - 1 / classes) / (1 - 1 / classes)));
    const edge = 1 - 0.3 * Math.exp(-((sure / 0.06) ** 2));
    const f = (v: number) => Math.round((255 * (1 - sure) + v * sure) * edge);
    return [f(r), f(gg), f(b)];
  };
}

/** Cell colors of the routing map: the expert with the largest P(expert | x), its confidence as strength. Also each expert's share of the cells. */
export function routeColors(route: ArrayLike<number>, experts: number, cells: number): { color: (cell: number) => [number, number, number]; share: number[] } {
  const cols = EXPERT_COLORS.map(hexRgb);
  const share = new Array<number>(experts).fill(0);
  const best = new Int32Array(cells);
  for (let c = 0; c < cells; c++) {
    let b = 0;
    for (let e = 1; e < experts; e++) if (route[c * experts + e] > route[c * experts + b]) b = e;
    best[c] = b;
    share[b] += 1 / cells;
  }
  return {
    share,
    color: (c) => {
      const b = best[c];
      const p = route[c * experts + b];
      const a = 0.35 + 0.65 * Math.min(1, Math.max(0, (p - 1 / experts) / (1 - 1 / experts || 1)));
      const col = cols[b % cols.length];
      return [Math.round(255 * (1 - a) + col[0] * a), Math.round(255 * (1 - a) + col[1] * a), Math.round(255 * (1 - a) + col[2] * a)];
    },
  };
}

export interface Series {
  name: string;
  color: string;
  values: number[];
  dashed?: boolean;
  /** x of each value (default 1, 2, 3, ...). */
  xs?: number[];
  /** Draw a dot at every point. */
  dots?: boolean;
}

/**
 * A line chart: the legend in a strip above the plot (never over the data), round ticks on both
 * axes (integers for epochs). `yRange` fixes the y axis (else from the data).
 */
export function drawLines(canvas: HTMLCanvasElement, series: Series[], options: { yRange?: [number, number]; xLabel?: string; xRange?: [number, number]; percent?: boolean; hLines?: { y: number; color: string; name: string }[]; empty?: string } = {}): void {
  const { ctx, w, h } = context2d(canvas);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  // Legend strip: items left to right, wrapping.
  const items = [...series.map((s) => ({ name: s.name, color: s.color, dashed: s.dashed })), ...(options.hLines ?? []).map((l) => ({ name: l.name, color: l.color, dashed: true }))];
  let lx = 46, ly = 12;
  for (const item of items) {
    const wItem = 26 + ctx.measureText(item.name).width + 14;
    if (lx + wItem > w && lx > 46) {
      lx = 46;
      ly += 15;
    }
    ctx.strokeStyle = item.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(item.dashed ? [4, 3] : []);
    ctx.beginPath();
    ctx.moveTo(lx, ly - 4);
    ctx.lineTo(lx + 20, ly - 4);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#333';
    ctx.fillText(item.name, lx + 24, ly);
    lx += wItem;
  }
  const left = 46, right = 12, top = ly + 10, bottom = 34;
  const pw = w - left - right, ph = h - top - bottom;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite).concat((options.hLines ?? []).map((l) => l.y));
  let [y0, y1] = options.yRange ?? [Math.min(...all, Infinity), Math.max(...all, -Infinity)];
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) [y0, y1] = [0, 1];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  if (!options.yRange) {
    const pad = (y1 - y0) * 0.05;
    y0 = Math.max(0, y0 - pad);
    y1 += pad;
  }
  const longest = Math.max(1, ...series.map((s) => s.values.length));
  const [x0, x1] = options.xRange ?? [1, Math.max(2, longest)];
  const X = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * pw;
  const Y = (v: number) => top + ph - ((v - y0) / (y1 - y0)) * ph;
  ctx.strokeStyle = '#e3e5ea';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  const ty = niceTicks(y0, y1, 4);
  for (const v of ty.values) {
    ctx.beginPath();
    ctx.moveTo(left, Y(v));
    ctx.lineTo(left + pw, Y(v));
    ctx.stroke();
    ctx.fillText(tickText(v, ty.step, options.percent), left - 5, Y(v) + 4);
  }
  ctx.textAlign = 'center';
  const tx = niceTicks(x0, x1, 6, { integer: !options.xRange });
  const xs = !options.xRange && !tx.values.includes(x0) ? [x0, ...tx.values.filter((v) => X(v) - X(x0) > 22)] : tx.values;
  for (const v of xs) ctx.fillText(tickText(v, options.xRange ? tx.step : 1), X(v), top + ph + 14);
  ctx.fillText(options.xLabel ?? 'epoch', left + pw / 2, h - 4);
  ctx.textAlign = 'start';
  ctx.strokeStyle = '#999';
  ctx.strokeRect(left, top, pw, ph);
  if (options.empty && series.every((s) => s.values.length === 0)) {
    ctx.fillStyle = '#888';
    ctx.textAlign = 'center';
    ctx.fillText(options.empty, left + pw / 2, top + ph / 2);
    ctx.textAlign = 'start';
  }
  for (const l of options.hLines ?? []) {
    ctx.strokeStyle = l.color;
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(left, Y(l.y));
    ctx.lineTo(left + pw, Y(l.y));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top - 4, pw + 4, ph + 8);
  ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.8;
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.beginPath();
    s.values.forEach((v, i) => {
      const x = X(s.xs ? s.xs[i] : i + 1);
      if (i === 0) ctx.moveTo(x, Y(v));
      else ctx.lineTo(x, Y(v));
    });
    ctx.stroke();
    ctx.setLineDash([]);
    if (s.dots || s.values.length === 1) {
      s.values.forEach((v, i) => {
        ctx.beginPath();
        ctx.arc(X(s.xs ? s.xs[i] : i + 1), Y(v), 3, 0, 2 * Math.PI);
        ctx.fill();
      });
    }
  }
  ctx.restore();
}
