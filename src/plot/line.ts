import type { TopLevelSpec } from 'vega-lite';
import { QmoeInputError, checkInt } from '../errors.js';
import { BASE_CONFIG, vegaLiteToSvg } from './render.js';

/** One curve: `x[i]`, `y[i]` pairs (same length); non-finite y values (e.g. NaN) leave gaps. */
export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LineChartOptions {
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  title: string;
  /** Plot-area size in pixels (axes, legend and title add to it). Defaults 480 x 300. */
  width?: number;
  height?: number;
  /** Fixed y range, e.g. [0, 1] for accuracies; default: fitted to the data. */
  yDomain?: [number, number];
  /** Draw a dot on every value (default: only when a series has <= 60 points). */
  points?: boolean;
}

/**
 * A line chart of one or more series, colored by series name with a legend: for loss and
 * accuracy curves over epochs (training history). Resolves to an SVG string.
 */
export async function lineChartSvg(options: LineChartOptions): Promise<string> {
  if (typeof options !== 'object' || options === null) {
    throw new QmoeInputError('options', options, 'must be an object { series, xLabel, yLabel, title }');
  }
  const { series, xLabel, yLabel, title } = options;
  for (const [name, v] of [['xLabel', xLabel], ['yLabel', yLabel], ['title', title]] as const) {
    if (typeof v !== 'string') throw new QmoeInputError(name, v, 'must be a string');
  }
  const width = checkInt('width', options.width ?? 480, 50, 8192);
  const height = checkInt('height', options.height ?? 300, 50, 8192);
  if (!Array.isArray(series) || series.length < 1) {
    throw new QmoeInputError('series', series, 'must be a non-empty array of { name, x, y }');
  }
  const rows: { series: string; x: number; y: number | null }[] = [];
  let longest = 0;
  series.forEach((s, k) => {
    if (!s || typeof s.name !== 'string') throw new QmoeInputError(`series[${k}].name`, s?.name, 'must be a string');
    if (!s.x || !s.y || s.x.length !== s.y.length) {
      throw new QmoeInputError(`series[${k}].y.length`, s.y?.length, `must equal series[${k}].x.length (${s.x?.length})`);
    }
    longest = Math.max(longest, s.x.length);
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i])) throw new QmoeInputError(`series[${k}].x[${i}]`, s.x[i], 'must be a finite number');
      rows.push({ series: s.name, x: s.x[i], y: Number.isFinite(s.y[i]) ? s.y[i] : null });
    }
  });
  if (options.yDomain !== undefined) {
    const d = options.yDomain;
    if (!Array.isArray(d) || d.length !== 2 || !d.every(Number.isFinite) || !(d[0] < d[1])) {
      throw new QmoeInputError('yDomain', d, 'must be [lo, hi] with finite lo < hi');
    }
  }
  const points = options.points ?? longest <= 60;
  const names = series.map((s) => s.name);

  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width,
    height,
    config: BASE_CONFIG,
    data: { values: rows },
    mark: { type: 'line', point: points ? { size: 20 } : false, strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xLabel, scale: { zero: false, nice: false } },
      y: {
        field: 'y',
        type: 'quantitative',
        title: yLabel,
        scale: options.yDomain ? { domain: options.yDomain } : { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: names }, legend: names.length > 1 ? {} : null },
    },
  };
  return vegaLiteToSvg(spec);
}
