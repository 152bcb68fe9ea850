import { QmoeInputError, checkInt } from '../errors.js';

/**
 * Feature scaling, fitted on the training rows only and then applied unchanged to validation,
 * test and new rows (which may therefore fall outside the target range: no clipping).
 * Scalers are plain JSON objects, so a saved model can store and reapply them.
 */

/** Per-feature minimum and maximum of the rows it was fitted on. */
export interface MinMaxScaler {
  kind: 'minmax';
  min: number[];
  max: number[];
}

/** Per-feature mean and population standard deviation (ddof 0, as scikit-learn's StandardScaler). */
export interface StandardScaler {
  kind: 'standard';
  mean: number[];
  std: number[];
}

export type Scaler = MinMaxScaler | StandardScaler;

/** A closed interval [lo, hi]. */
export type Range = readonly [number, number];

/**
 * Angle ranges the features are scaled to before the angle embedding, per study preset.
 *
 * - `code`: the published notebooks min-max scale each feature to [0, pi] (docs/study.md).
 * - `paper`: the text does not say; we use [0, pi] as well. With RY(x) (or RX(x)) on |0>, the
 *   probability of |1> is sin^2(x / 2), which rises monotonically over [0, pi] from 0 to 1:
 *   [0, pi] is the widest range on which the embedding is one-to-one in the measured
 *   probabilities, and a wider one (e.g. [0, 2 pi]) folds distinct inputs onto the same state.
 */
export const ANGLE_RANGES: { readonly code: Range; readonly paper: Range } = {
  code: [0, Math.PI],
  paper: [0, Math.PI],
};

/** Default target range of `applyMinMax`: [0, pi]. */
export const DEFAULT_ANGLE_RANGE: Range = [0, Math.PI];

/**
 * Per-feature min and max over `rows` of `x` (row-major, `width` features per row); all rows
 * when `rows` is omitted. Pass the training indices so nothing leaks from held-out rows.
 */
export function fitMinMax(x: ArrayLike<number>, width: number, rows?: ArrayLike<number>): MinMaxScaler {
  const idx = checkMatrix(x, width, rows);
  const min = new Array<number>(width).fill(Infinity);
  const max = new Array<number>(width).fill(-Infinity);
  forEachRow(idx, (r) => {
    for (let j = 0; j < width; j++) {
      const v = x[r * width + j];
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  });
  return { kind: 'minmax', min, max };
}

/**
 * Maps feature j linearly so that the scaler's min[j] goes to lo and max[j] to hi:
 * lo + (x - min) / (max - min) * (hi - lo), with the training min and max landing exactly on lo and hi. Values outside the fitted range map outside
 * [lo, hi]. A constant feature (max == min) maps to lo for every row, instead of dividing by
 * zero. Returns a new array; `x` is not changed.
 */
export function applyMinMax(
  x: ArrayLike<number>,
  width: number,
  scaler: MinMaxScaler,
  range: Range = DEFAULT_ANGLE_RANGE,
): Float64Array {
  checkMatrix(x, width);
  checkScaler(scaler, width, 'minmax', ['min', 'max']);
  const [lo, hi] = checkRange(range);
  const rows = x.length / width;
  const out = new Float64Array(x.length);
  for (let j = 0; j < width; j++) {
    const min = scaler.min[j];
    const span = scaler.max[j] - min;
    for (let r = 0; r < rows; r++) {
      // t = 0 at min, exactly 1 at max (span / span); lo (1 - t) + hi t then gives lo and hi exactly.
      // A constant feature (span 0) would divide by zero: t = 0, every row maps to lo.
      const t = span > 0 ? (x[r * width + j] - min) / span : 0;
      out[r * width + j] = lo * (1 - t) + hi * t;
    }
  }
  return out;
}

/** Per-feature mean and population standard deviation over `rows` of `x` (all rows when omitted). */
export function fitStandard(x: ArrayLike<number>, width: number, rows?: ArrayLike<number>): StandardScaler {
  const idx = checkMatrix(x, width, rows);
  const n = idx ? idx.length : x.length / width;
  const mean = new Array<number>(width).fill(0);
  forEachRow(idx, (r) => {
    for (let j = 0; j < width; j++) mean[j] += x[r * width + j];
  });
  for (let j = 0; j < width; j++) mean[j] /= n;
  // Two-pass variance: numerically stable enough for features of any offset.
  const v = new Array<number>(width).fill(0);
  forEachRow(idx, (r) => {
    for (let j = 0; j < width; j++) {
      const d = x[r * width + j] - mean[j];
      v[j] += d * d;
    }
  });
  return { kind: 'standard', mean, std: v.map((s) => Math.sqrt(s / n)) };
}

/**
 * (x - mean) / std per feature. A constant feature (std == 0) is only centered (divided by 1,
 * as scikit-learn does), so its training rows map to 0. Returns a new array.
 */
export function applyStandard(x: ArrayLike<number>, width: number, scaler: StandardScaler): Float64Array {
  checkMatrix(x, width);
  checkScaler(scaler, width, 'standard', ['mean', 'std']);
  const rows = x.length / width;
  const out = new Float64Array(x.length);
  for (let j = 0; j < width; j++) {
    const s = scaler.std[j] > 0 ? scaler.std[j] : 1;
    for (let r = 0; r < rows; r++) out[r * width + j] = (x[r * width + j] - scaler.mean[j]) / s;
  }
  return out;
}

/** Applies either kind of scaler (`range` is used by min-max only). */
export function applyScaler(x: ArrayLike<number>, width: number, scaler: Scaler, range?: Range): Float64Array {
  if (scaler?.kind === 'standard') return applyStandard(x, width, scaler);
  if (scaler?.kind === 'minmax') return applyMinMax(x, width, scaler, range);
  throw new QmoeInputError('scaler.kind', (scaler as { kind?: unknown })?.kind, 'must be "minmax" or "standard"');
}

function forEachRow(rows: ArrayLike<number> | undefined, f: (r: number) => void): void {
  if (rows) for (let k = 0; k < rows.length; k++) f(rows[k]);
}

/** Validates x, width, and rows (when given); returns the row list to visit (all rows when omitted). */
function checkMatrix(x: ArrayLike<number>, width: number, rows?: ArrayLike<number>): ArrayLike<number> {
  checkInt('width', width, 1, 0x7fffffff);
  if (!x || typeof x !== 'object' || typeof x.length !== 'number') {
    throw new QmoeInputError('x', x, 'must be an array of numbers (rows x width, row-major)');
  }
  if (x.length % width !== 0) throw new QmoeInputError('x.length', x.length, `must be a multiple of width (${width})`);
  const n = x.length / width;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new QmoeInputError(`x[row ${Math.floor(i / width)}, column ${i % width}]`, x[i], 'must be a finite number');
    }
  }
  if (rows === undefined) {
    if (n < 1) throw new QmoeInputError('x.length', x.length, 'must hold at least one row');
    const all = new Int32Array(n);
    for (let r = 0; r < n; r++) all[r] = r;
    return all;
  }
  if (!rows || typeof rows.length !== 'number' || rows.length < 1) {
    throw new QmoeInputError('rows', rows, 'must be a non-empty array of row indices');
  }
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    if (!Number.isInteger(r) || r < 0 || r >= n) {
      throw new QmoeInputError(`rows[${k}]`, r, `must be an integer row index from 0 to ${n - 1}`);
    }
  }
  return rows;
}

function checkRange(range: Range): [number, number] {
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => Number.isFinite(v)) || !(range[0] <= range[1])) {
    throw new QmoeInputError('range', range, 'must be [lo, hi] with finite lo <= hi');
  }
  return [range[0], range[1]];
}

function checkScaler(scaler: Scaler, width: number, kind: Scaler['kind'], fields: string[]): void {
  if (!scaler || typeof scaler !== 'object' || scaler.kind !== kind) {
    throw new QmoeInputError('scaler', scaler, `must be a ${kind} scaler (kind "${kind}")`);
  }
  for (const name of fields) {
    const v = (scaler as unknown as Record<string, unknown>)[name];
    if (!Array.isArray(v) || v.length !== width || !v.every((e) => Number.isFinite(e))) {
      throw new QmoeInputError(`scaler.${name}`, v, `must be ${width} finite numbers (one per feature)`);
    }
  }
}
