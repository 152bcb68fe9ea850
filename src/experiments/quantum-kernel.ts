import type { TopLevelSpec } from 'vega-lite';
import type { Circuit, Op } from '../circuit/types.js';
import { QmoeInputError, checkInt } from '../errors.js';
import type { Preset } from '../moe/spec.js';
import type { Backend } from '../sim/backend.js';
import type { PreparedData } from '../train/dataset.js';
import { symmetricEigen } from '../data/eigen.js';

/**
 * The quantum kernel of the router's embedding: K(x, x') = |<psi(x)|psi(x')>|^2 with |psi(x)>
 * the angle embedding of the preset (paper: RY(x_i) on qubit i; code: RX(x_i)). The trainable
 * layers U(theta) do not change it (U is unitary: <psi|U^dag U|psi'> = <psi|psi'>), so this is
 * the quantum kernel of every quantum router of the preset. For a product embedding it has the closed
 * form prod_i cos^2((x_i - x'_i) / 2), which the command checks the simulated states against.
 */
export function embeddingCircuit(preset: Preset, features: number, qubits = features): Circuit {
  checkInt('features', features, 1, 30);
  checkInt('qubits', qubits, features, 30);
  const gate = preset === 'paper' ? 'ry' : 'rx';
  const ops: Op[] = Array.from({ length: features }, (_, i) => ({ gate, wires: [i], angle: { kind: 'feature', index: i } }) as Op);
  return { qubits, features, params: 0, ops };
}

/** K = |<psi_i|psi_j>|^2 from rows x 2^n interleaved (re, im) amplitudes. */
export function gramFromStates(states: ArrayLike<number>, rows: number, qubits: number): Float64Array {
  const dim = 2 ** qubits;
  if (states.length !== rows * dim * 2) throw new QmoeInputError('states.length', states.length, `must be rows x 2^n x 2 = ${rows * dim * 2}`);
  const s = Float64Array.from(states as ArrayLike<number>);
  const k = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      let re = 0;
      let im = 0;
      const a = i * dim * 2;
      const b = j * dim * 2;
      for (let t = 0; t < dim; t++) {
        const ar = s[a + 2 * t];
        const ai = s[a + 2 * t + 1];
        const br = s[b + 2 * t];
        const bi = s[b + 2 * t + 1];
        re += ar * br + ai * bi;
        im += ar * bi - ai * br;
      }
      const v = re * re + im * im;
      k[i * rows + j] = v;
      k[j * rows + i] = v;
    }
  }
  return k;
}

/** The closed form prod_i cos^2((x_i - x'_i) / 2) of a product angle embedding. */
export function analyticQuantumKernel(x: ArrayLike<number>, rows: number, features: number): Float64Array {
  const k = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      let p = 1;
      for (let f = 0; f < features; f++) p *= Math.cos((x[i * features + f] - x[j * features + f]) / 2) ** 2;
      k[i * rows + j] = p;
    }
  }
  return k;
}

/** `count` test rows, half of each class (as far as they go), ordered by class, then by row. */
export function quantumKernelPoints(data: PreparedData, count: number): { x: Float64Array; y: Int32Array } {
  const d = data.splits.test;
  checkInt('--points', count, 2, 2048);
  const byClass: number[][] = Array.from({ length: d.classes }, () => []);
  for (let r = 0; r < d.rows; r++) byClass[d.y[r]].push(r);
  const per = Math.ceil(count / d.classes);
  const rows = byClass.flatMap((m) => m.slice(0, per)).slice(0, count);
  const x = new Float64Array(rows.length * d.features);
  rows.forEach((r, i) => x.set(d.x.subarray(r * d.features, (r + 1) * d.features), i * d.features));
  return { x, y: Int32Array.from(rows, (r) => d.y[r]) };
}

export interface QuantumKernelResult {
  /** K(x_i, x_j) at i * rows + j. */
  matrix: Float64Array;
  rows: number;
  /** Largest |K - closed form|. */
  maxError: number;
  /** Mean K within class 0, within class 1, and between the classes (off-diagonal entries). */
  means: { within0: number; within1: number; between: number };
  /** The Gram matrix's numerical rank against its bound (kernelRank). */
  rank: KernelRank;
  seconds: number;
}

/**
 * The rank of the kernel's Gram matrix. K(x, x') = prod_i cos^2((x_i - x'_i) / 2) = prod_i
 * (1 + cos x_i cos x'_i + sin x_i sin x'_i) / 2 is the inner product of the feature maps
 * (1, cos x_i, sin x_i) / sqrt(2) tensored over the n features: 3^n dimensions, so the Gram
 * matrix of N points has rank at most min(N, 3^n), whatever the points (RY and RX embeddings
 * alike). A kernel machine on it is a linear model on those 3^n features.
 */
export interface KernelRank {
  /** Eigenvalues above `tolerance` times the largest. */
  numerical: number;
  /** min(points, 3^features). */
  bound: number;
  tolerance: number;
  /** The largest eigenvalues (at most 12), decreasing. */
  leading: number[];
}

/** The numerical rank of a symmetric Gram matrix of `rows` points in `features` angles, with its bound min(rows, 3^features). */
export function kernelRank(matrix: Float64Array, rows: number, features: number, tolerance = 1e-9): KernelRank {
  const { values } = symmetricEigen(matrix, rows);
  const top = Math.max(values[0], 0);
  return { numerical: values.filter((v) => v > tolerance * top).length, bound: Math.min(rows, 3 ** features), tolerance, leading: values.slice(0, 12) };
}

/** Simulates the embedding for every point on `backend` and forms the Gram matrix. */
export async function computeQuantumKernel(backend: Backend, circuit: Circuit, x: Float64Array, y: Int32Array): Promise<QuantumKernelResult> {
  const rows = y.length;
  const t0 = performance.now();
  const states = await backend.states(circuit, { rows, features: x, params: [] });
  const matrix = gramFromStates(states, rows, circuit.qubits);
  const seconds = (performance.now() - t0) / 1000;
  const exact = analyticQuantumKernel(x, rows, circuit.features);
  let maxError = 0;
  for (let i = 0; i < matrix.length; i++) maxError = Math.max(maxError, Math.abs(matrix[i] - exact[i]));
  const acc = { within0: [0, 0], within1: [0, 0], between: [0, 0] };
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      if (i === j) continue;
      const key = y[i] !== y[j] ? 'between' : y[i] === 0 ? 'within0' : 'within1';
      acc[key][0] += matrix[i * rows + j];
      acc[key][1]++;
    }
  }
  const m = (a: number[]) => (a[1] ? a[0] / a[1] : NaN);
  return { matrix, rows, maxError, means: { within0: m(acc.within0), within1: m(acc.within1), between: m(acc.between) }, rank: kernelRank(matrix, rows, circuit.features), seconds };
}

/** A heat map of the quantum kernel (vega-lite rect marks, viridis), points ordered by class. */
export async function quantumKernelSvg(k: Float64Array, y: Int32Array, title: string): Promise<string> {
  const { vegaLiteToSvg } = await import('../plot/render.js');
  const { BASE_CONFIG } = await import('../plot/render.js');
  const n = y.length;
  const values: { i: number; j: number; k: number }[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) values.push({ i, j, k: Math.round(k[i * n + j] * 1e4) / 1e4 });
  const boundary = y.findIndex((v) => v === 1);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 360,
    height: 360,
    config: { ...BASE_CONFIG, view: { stroke: null } },
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'j', type: 'ordinal', title: `point (class 0: 0..${boundary - 1}, class 1: ${boundary}..${n - 1})`, axis: { labels: false, ticks: false } },
      y: { field: 'i', type: 'ordinal', title: 'point', axis: { labels: false, ticks: false } },
      color: { field: 'k', type: 'quantitative', title: 'K(x, x\')', scale: { scheme: 'viridis', domain: [0, 1] } },
    },
  };
  return vegaLiteToSvg(spec);
}
