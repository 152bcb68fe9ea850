/** Canvas drawing for the playground: probability maps, expert regions, data points, line charts. */

export interface PlotGrid {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  nx: number;
  ny: number;
}

/** Class colors (points and regions) and expert colors. */
export const CLASS_COLORS = ['#2166ac', '#b2182b', '#1b7837', '#762a83', '#e08214', '#01665e', '#8c510a', '#c51b7d', '#4d4d4d', '#35978f', '#bf812d', '#542788', '#d6604d', '#4393c3', '#5aae61', '#9970ab'];
export const EXPERT_COLORS = ['#66c2a5', '#fc8d62', '#8da0cb', '#e78ac3', '#a6d854', '#ffd92f', '#e5c494', '#b3b3b3', '#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];

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

/** Paints one RGB color per grid cell, stretched (smoothly) over the whole canvas. */
function paintCells(ctx: CanvasRenderingContext2D, g: PlotGrid, w: number, h: number, color: (cell: number) => [number, number, number]): void {
  const img = new ImageData(g.nx, g.ny);
  for (let j = 0; j < g.ny; j++) {
    for (let i = 0; i < g.nx; i++) {
      const [r, gg, b] = color(j * g.nx + i);
      const at = 4 * ((g.ny - 1 - j) * g.nx + i); // image row 0 is the top
      img.data[at] = r;
      img.data[at + 1] = gg;
      img.data[at + 2] = b;
      img.data[at + 3] = 255;
    }
  }
  const tmp = document.createElement('canvas');
  tmp.width = g.nx;
  tmp.height = g.ny;
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(tmp, 0, 0, w, h);
}

function drawPoints(ctx: CanvasRenderingContext2D, g: PlotGrid, w: number, h: number, x: ArrayLike<number>, y: ArrayLike<number>, test?: Set<number>): void {
  const px = (v: number) => ((v - g.x0) / (g.x1 - g.x0)) * w;
  const py = (v: number) => h - ((v - g.y0) / (g.y1 - g.y0)) * h;
  ctx.lineWidth = 0.8;
  for (let r = 0; r < y.length; r++) {
    ctx.beginPath();
    ctx.arc(px(x[2 * r]), py(x[2 * r + 1]), test?.has(r) ? 3.2 : 2.2, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLORS[y[r] % CLASS_COLORS.length];
    ctx.strokeStyle = test?.has(r) ? '#000' : '#fff';
    ctx.fill();
    ctx.stroke();
  }
}

/**
 * The decision boundary: each cell tinted by the class probabilities (mixing pale class colors;
 * for two classes a blue-white-red scale of P(class 1)), the 0.5 contour darkened, then the data.
 */
export function drawBoundary(canvas: HTMLCanvasElement, g: PlotGrid, probs: ArrayLike<number>, classes: number, points: { x: ArrayLike<number>; y: ArrayLike<number>; test?: Set<number> }): void {
  const { ctx, w, h } = context2d(canvas);
  const pale = CLASS_COLORS.map(hexRgb).map(([r, gg, b]) => [255 - 0.55 * (255 - r), 255 - 0.55 * (255 - gg), 255 - 0.55 * (255 - b)]);
  paintCells(ctx, g, w, h, (c) => {
    let r = 0, gg = 0, b = 0, top = 0;
    for (let k = 0; k < classes; k++) {
      const p = probs[c * classes + k];
      top = Math.max(top, p);
      const col = pale[k % pale.length];
      r += p * col[0];
      gg += p * col[1];
      b += p * col[2];
    }
    // Fade to white where the model is unsure (top probability near 1 / classes); mark the boundary.
    const sure = Math.min(1, Math.max(0, (top - 1 / classes) / (1 - 1 / classes)));
    const edge = 1 - 0.3 * Math.exp(-((sure / 0.06) ** 2));
    const f = (v: number) => Math.round((255 * (1 - sure) + v * sure) * edge);
    return [f(r), f(gg), f(b)];
  });
  drawPoints(ctx, g, w, h, points.x, points.y, points.test);
}

/** Expert regions: each cell colored by the expert with the largest router probability, its confidence as opacity. */
export function drawExperts(canvas: HTMLCanvasElement, g: PlotGrid, route: ArrayLike<number>, experts: number, points: { x: ArrayLike<number>; y: ArrayLike<number> }): number[] {
  const { ctx, w, h } = context2d(canvas);
  const cols = EXPERT_COLORS.map(hexRgb);
  const share = new Array<number>(experts).fill(0);
  paintCells(ctx, g, w, h, (c) => {
    let best = 0;
    for (let e = 1; e < experts; e++) if (route[c * experts + e] > route[c * experts + best]) best = e;
    share[best]++;
    const p = route[c * experts + best];
    const a = 0.35 + 0.65 * Math.min(1, Math.max(0, (p - 1 / experts) / (1 - 1 / experts)));
    const col = cols[best % cols.length];
    return [Math.round(255 * (1 - a) + col[0] * a), Math.round(255 * (1 - a) + col[1] * a), Math.round(255 * (1 - a) + col[2] * a)];
  });
  ctx.globalAlpha = 0.55;
  drawPoints(ctx, g, w, h, points.x, points.y);
  ctx.globalAlpha = 1;
  const cells = g.nx * g.ny;
  return share.map((s) => s / cells);
}

/** An empty plot with a message (before training). */
export function drawMessage(canvas: HTMLCanvasElement, text: string): void {
  const { ctx, w, h } = context2d(canvas);
  ctx.fillStyle = '#f6f7f9';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#777';
  ctx.font = '13px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText(text, w / 2, h / 2);
  ctx.textAlign = 'start';
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

/** A line chart with axes, ticks and a legend. `yRange` fixes the y axis (else from the data). */
export function drawLines(canvas: HTMLCanvasElement, series: Series[], options: { yRange?: [number, number]; xLabel?: string; xRange?: [number, number]; percent?: boolean; hLines?: { y: number; color: string; name: string }[] } = {}): void {
  const { ctx, w, h } = context2d(canvas);
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const left = 46, right = 10, top = 10, bottom = 34;
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
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#555';
  ctx.font = '11px system-ui, sans-serif';
  ctx.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((y1 - y0) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(left, Y(v));
    ctx.lineTo(left + pw, Y(v));
    ctx.stroke();
    ctx.fillText(options.percent ? `${(100 * v).toFixed(0)}%` : v.toFixed(v >= 10 ? 0 : 2), 4, Y(v) + 4);
  }
  const step = Math.max(1, Math.ceil((x1 - x0) / 6));
  if (!options.xRange) {
    for (let v = x0; v <= x1; v += step) ctx.fillText(String(v), X(v) - 3, top + ph + 14);
  } else {
    for (let k = 0; k <= 5; k++) {
      const v = x0 + ((x1 - x0) * k) / 5;
      const label = String(+v.toFixed(3));
      ctx.fillText(label, Math.min(X(v) - 8, left + pw - ctx.measureText(label).width), top + ph + 14);
    }
  }
  ctx.fillText(options.xLabel ?? 'epoch', left + pw / 2 - 14, h - 4);
  ctx.strokeStyle = '#999';
  ctx.strokeRect(left, top, pw, ph);
  for (const l of options.hLines ?? []) {
    ctx.strokeStyle = l.color;
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(left, Y(l.y));
    ctx.lineTo(left + pw, Y(l.y));
    ctx.stroke();
    ctx.setLineDash([]);
  }
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
  // Legend, bottom right, on a white box.
  const items = [...series.map((s) => ({ name: s.name, color: s.color, dashed: s.dashed })), ...(options.hLines ?? []).map((l) => ({ name: l.name, color: l.color, dashed: true }))];
  const textW = Math.max(0, ...items.map((i) => ctx.measureText(i.name).width));
  const lx = left + pw - textW - 34;
  let ly = top + ph - 14 * items.length - 2;
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.fillRect(lx - 4, ly - 10, textW + 34, 14 * items.length + 4);
  for (const item of items) {
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
    ly += 14;
  }
}
