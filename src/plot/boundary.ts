import type { TopLevelSpec } from 'vega-lite';
import { QmoeInputError, checkInt } from '../errors.js';
import { BASE_CONFIG, vegaLiteToSvg } from './render.js';
import { encodePngRgb, toBase64 } from './png.js';

export { svgToPng, svgToPngAsync, vegaLiteToSvg, type PngOptions } from './render.js';
export { lineChartSvg, type LineChartOptions, type LineSeries } from './line.js';

/**
 * A regular grid over the plane. Cell centers are x_i = x0 + i (x1 - x0) / (nx - 1),
 * i = 0..nx-1, and y_j likewise (j = 0 at y0, the bottom); `values[j * nx + i]` belongs to
 * (x_i, y_j): row-major in y, the order `gridPoints` lists the points in.
 */
export interface GridSpec {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  nx: number;
  ny: number;
}

export interface Grid extends GridSpec {
  /** ny x nx values in [0, 1]: the class-1 probability, or the predicted class (0 or 1). */
  values: ArrayLike<number>;
}

export interface BoundaryOptions {
  grid: Grid;
  /** The data: `x` is n x 2, row-major (same coordinates as the grid); `y` the class labels 0/1. */
  points: { x: ArrayLike<number>; y: ArrayLike<number> };
  title: string;
  /** Plot-area size in pixels (axes, legends and title add to it). Defaults 420 x 360. */
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Legend title of the filled regions. Default 'P(class 1)'. */
  valueLabel?: string;
}

/** Colors of the two classes' points, and the light tints the regions fade between. */
export const CLASS_COLORS = ['#2166ac', '#b2182b'] as const;
const REGION_COLORS = ['#92c5de', '#f7f7f7', '#f4a582'] as const;

/** Most grid cells and points a picture takes (rendering stays well under a second at 100 x 100). */
export const MAX_GRID_CELLS = 250_000;
export const MAX_POINTS = 100_000;

/** The grid's nx * ny points (x, y), row-major as the values: evaluate a model on these. */
export function gridPoints(grid: GridSpec): Float64Array {
  const g = checkGridSpec('grid', grid);
  const out = new Float64Array(g.nx * g.ny * 2);
  for (let j = 0; j < g.ny; j++) {
    const y = at(g.y0, g.y1, g.ny, j);
    for (let i = 0; i < g.nx; i++) {
      out[2 * (j * g.nx + i)] = at(g.x0, g.x1, g.nx, i);
      out[2 * (j * g.nx + i) + 1] = y;
    }
  }
  return out;
}

/**
 * A grid covering 2-D points `x` (n x 2, row-major) with a margin on every side, as a fraction of
 * each coordinate's span (default 0.1; a zero span gets a margin of 0.5).
 */
export function gridAround(x: ArrayLike<number>, options: { nx?: number; ny?: number; margin?: number } = {}): GridSpec {
  const p = checkPoints(x);
  const nx = checkInt('nx', options.nx ?? 100, 2, 4096);
  const ny = checkInt('ny', options.ny ?? 100, 2, 4096);
  const margin = options.margin ?? 0.1;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0) {
    throw new QmoeInputError('margin', margin, 'must be a finite number >= 0');
  }
  const lo = [Infinity, Infinity];
  const hi = [-Infinity, -Infinity];
  for (let r = 0; r < p.length / 2; r++) {
    for (let c = 0; c < 2; c++) {
      lo[c] = Math.min(lo[c], p[2 * r + c]);
      hi[c] = Math.max(hi[c], p[2 * r + c]);
    }
  }
  const pad = [0, 1].map((c) => (hi[c] > lo[c] ? (hi[c] - lo[c]) * margin : 0.5));
  return { x0: lo[0] - pad[0], x1: hi[0] + pad[0], y0: lo[1] - pad[1], y1: hi[1] + pad[1], nx, ny };
}

/**
 * A decision-boundary picture like the study's Fig. 1: the grid's cells filled by value on a
 * two-color scale (blue at 0, white at 0.5, red at 1, so the 0.5 boundary shows as a pale band),
 * the data points on top colored by class, axes with labels, two legends and a title.
 * A layered vega-lite chart (rect marks, then circles), rendered headless. Resolves to an SVG
 * string.
 */
export async function boundarySvg(options: BoundaryOptions): Promise<string> {
  if (typeof options !== 'object' || options === null) {
    throw new QmoeInputError('options', options, 'must be an object { grid, points, title }');
  }
  const { grid, points, title } = options;
  if (typeof title !== 'string') throw new QmoeInputError('title', title, 'must be a string');
  const g = checkGridSpec('grid', grid);
  const values = grid.values;
  const cells = g.nx * g.ny;
  if (cells > MAX_GRID_CELLS) throw new QmoeInputError('grid.nx * grid.ny', cells, `must be at most ${MAX_GRID_CELLS}`);
  if (!values || typeof values.length !== 'number' || values.length !== cells) {
    throw new QmoeInputError('grid.values.length', values?.length, `must equal nx * ny = ${cells}`);
  }
  for (let k = 0; k < cells; k++) {
    const v = values[k];
    if (!(v >= 0 && v <= 1)) throw new QmoeInputError(`grid.values[${k}]`, v, 'must be a number from 0 to 1');
  }
  if (typeof points !== 'object' || points === null) throw new QmoeInputError('points', points, 'must be an object { x, y }');
  const px = checkPoints(points.x, 'points.x');
  const n = px.length / 2;
  if (n > MAX_POINTS) throw new QmoeInputError('points count', n, `must be at most ${MAX_POINTS}`);
  const py = points.y;
  if (!py || typeof py.length !== 'number' || py.length !== n) {
    throw new QmoeInputError('points.y.length', py?.length, `must equal the number of points (${n})`);
  }
  for (let k = 0; k < n; k++) {
    if (py[k] !== 0 && py[k] !== 1) throw new QmoeInputError(`points.y[${k}]`, py[k], 'class labels must be 0 or 1');
  }
  const width = checkInt('width', options.width ?? 420, 50, 8192);
  const height = checkInt('height', options.height ?? 360, 50, 8192);

  const dx = (g.x1 - g.x0) / (g.nx - 1);
  const dy = (g.y1 - g.y0) / (g.ny - 1);
  const xDomain = [g.x0 - dx / 2, g.x1 + dx / 2];
  const yDomain = [g.y0 - dy / 2, g.y1 + dy / 2];
  // The regions as one raster image, a pixel per grid cell (the top image row is y1), spanning
  // exactly the axis domains: one mark instead of nx * ny rects keeps rendering fast and the
  // SVG small, and viewers interpolate between cell centers, so the regions look smooth.
  const url = 'data:image/png;base64,' + toBase64(encodePngRgb(g.nx, g.ny, regionPixels(values, g.nx, g.ny)));

  const pointRows = new Array<{ a: number; b: number; c: string }>(n);
  for (let k = 0; k < n; k++) pointRows[k] = { a: px[2 * k], b: px[2 * k + 1], c: String(py[k]) };

  const xTitle = options.xLabel ?? 'x1';
  const yTitle = options.yLabel ?? 'x2';
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width,
    height,
    config: BASE_CONFIG,
    layer: [
      {
        data: { values: [{ a: xDomain[0], a2: xDomain[1], b: yDomain[0], b2: yDomain[1], url }] },
        mark: { type: 'image', aspect: false, smooth: true, aria: false },
        encoding: {
          x: { field: 'a', type: 'quantitative', title: xTitle, scale: { domain: xDomain, nice: false, zero: false } },
          x2: { field: 'a2' },
          y: { field: 'b', type: 'quantitative', title: yTitle, scale: { domain: yDomain, nice: false, zero: false } },
          y2: { field: 'b2' },
          url: { field: 'url', type: 'nominal' },
        },
      },
      {
        // Draws nothing (opacity 0); carries the color scale that the region legend shows.
        data: { values: [{ a: xDomain[0], b: yDomain[0], v: 0 }, { a: xDomain[1], b: yDomain[1], v: 1 }] },
        mark: { type: 'square', opacity: 0, aria: false },
        encoding: {
          x: { field: 'a', type: 'quantitative' },
          y: { field: 'b', type: 'quantitative' },
          color: {
            field: 'v',
            type: 'quantitative',
            title: options.valueLabel ?? 'P(class 1)',
            scale: { domain: [0, 0.5, 1], range: [...REGION_COLORS], interpolate: 'rgb' },
            legend: { gradientLength: Math.min(200, height - 60), tickCount: 5 },
          },
        },
      },
      {
        data: { values: pointRows },
        mark: { type: 'circle', size: 22, opacity: 0.9, stroke: 'white', strokeWidth: 0.5, clip: true, aria: false },
        encoding: {
          x: { field: 'a', type: 'quantitative' },
          y: { field: 'b', type: 'quantitative' },
          color: { field: 'c', type: 'nominal', title: 'class', scale: { domain: ['0', '1'], range: [...CLASS_COLORS] } },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
  return vegaLiteToSvg(spec);
}

/** RGB pixels of the grid values, top row first, on the legend's scale: linear in sRGB between REGION_COLORS at 0, 0.5, 1. */
function regionPixels(values: ArrayLike<number>, nx: number, ny: number): Uint8Array {
  const stops = REGION_COLORS.map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
  const out = new Uint8Array(nx * ny * 3);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v = values[j * nx + i];
      const [c0, c1, t] = v <= 0.5 ? [stops[0], stops[1], v / 0.5] : [stops[1], stops[2], (v - 0.5) / 0.5];
      const o = ((ny - 1 - j) * nx + i) * 3;
      for (let k = 0; k < 3; k++) out[o + k] = Math.round(c0[k] + (c1[k] - c0[k]) * t);
    }
  }
  return out;
}

function at(a: number, b: number, n: number, i: number): number {
  return i === n - 1 ? b : a + ((b - a) * i) / (n - 1);
}

function checkGridSpec(name: string, g: GridSpec): GridSpec {
  if (typeof g !== 'object' || g === null) throw new QmoeInputError(name, g, 'must be an object { x0, x1, y0, y1, nx, ny }');
  for (const k of ['x0', 'x1', 'y0', 'y1'] as const) {
    if (typeof g[k] !== 'number' || !Number.isFinite(g[k])) throw new QmoeInputError(`${name}.${k}`, g[k], 'must be a finite number');
  }
  if (!(g.x1 > g.x0)) throw new QmoeInputError(`${name}.x1`, g.x1, `must be greater than x0 (${g.x0})`);
  if (!(g.y1 > g.y0)) throw new QmoeInputError(`${name}.y1`, g.y1, `must be greater than y0 (${g.y0})`);
  checkInt(`${name}.nx`, g.nx, 2, 4096);
  checkInt(`${name}.ny`, g.ny, 2, 4096);
  return g;
}

function checkPoints(x: ArrayLike<number>, name = 'x'): ArrayLike<number> {
  if (!x || typeof x !== 'object' || typeof x.length !== 'number' || x.length < 2 || x.length % 2 !== 0) {
    throw new QmoeInputError(name, x, 'must hold n x 2 numbers (row-major), n >= 1');
  }
  for (let k = 0; k < x.length; k++) {
    if (!Number.isFinite(x[k])) throw new QmoeInputError(`${name}[${k}]`, x[k], 'must be a finite number');
  }
  return x;
}

/**
 * The decision boundary of a two-class model over its (scaled) two-feature data: P(class 1) on a
 * 100 x 100 grid around the points, with the points on top. Undefined for other data shapes.
 */
export async function boundaryPicture(
  model: { predict(x: Float64Array, rows: number): Promise<Float64Array> },
  data: { features: number; classes: number; scaled: ArrayLike<number>; labels: ArrayLike<number> },
  title: string,
): Promise<string | undefined> {
  if (data.features !== 2 || data.classes !== 2) return undefined;
  const spec = gridAround(data.scaled, { nx: 100, ny: 100 });
  const probs = await model.predict(gridPoints(spec), spec.nx * spec.ny);
  const values = new Float64Array(spec.nx * spec.ny);
  for (let k = 0; k < values.length; k++) values[k] = Math.min(1, Math.max(0, probs[2 * k + 1]));
  return boundarySvg({ grid: { ...spec, values }, points: { x: data.scaled, y: data.labels }, title, xLabel: 'x1 (scaled)', yLabel: 'x2 (scaled)' });
}
