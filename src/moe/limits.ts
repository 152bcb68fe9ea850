import { QmoeInputError } from '../errors.js';
import { MAX_SEED } from '../data/rng.js';
import { MAX_ROUTER_QUBITS, modelCircuit } from './models.js';
import type { ModelSpec } from './spec.js';

/**
 * The limits of every setting of a run, in one table: the browser app's form, its URL parameters
 * and the model files it loads are checked against the same entries (key = the form field's
 * name = the URL parameter).
 *
 * `max` is the interactive limit (the playground trains in a browser tab: a run must stay in the
 * range of seconds to minutes per epoch there; larger ones ask for confirmation through the time
 * estimate of epochWork). `fileMax`, where given, is the wider limit of a model file read by the
 * command line (`qmoe eval`), which can make larger models than the tab.
 */
export interface Limit {
  /** The name shown to a user (the form's label). */
  label: string;
  min: number;
  max: number;
  integer: boolean;
  /** The command line's limit for a model file (default: max). */
  fileMax?: number;
  /** Why the limit is there, appended to error messages. */
  why?: string;
}

export const LIMITS = {
  samples: { label: 'samples', min: 20, max: 100_000, fileMax: 1 << 24, integer: true, why: 'rows generated in the tab' },
  dataNoise: { label: 'data noise', min: 0, max: 2, fileMax: 1e6, integer: false },
  dataSeed: { label: 'data seed', min: 0, max: MAX_SEED, integer: true },
  csvRows: { label: 'CSV rows', min: 20, max: 200_000, integer: true },
  classes: { label: 'classes', min: 2, max: 16, integer: true },
  qubits: { label: 'qubits', min: 1, max: 12, fileMax: MAX_ROUTER_QUBITS, integer: true, why: 'a 12-qubit router already takes tens of seconds per epoch on a CPU' },
  layers: { label: 'layers', min: 0, max: 64, fileMax: 10_000, integer: true },
  experts: { label: 'experts', min: 1, max: 16, fileMax: 1 << 16, integer: true },
  hiddenLayers: { label: 'MLP hidden layers', min: 1, max: 4, fileMax: 64, integer: true },
  hiddenWidth: { label: 'MLP hidden width', min: 1, max: 256, fileMax: 1 << 16, integer: true },
  lr: { label: 'learning rate', min: 0.0001, max: 5, integer: false },
  epochs: { label: 'epochs', min: 1, max: 10_000, fileMax: 1_000_000, integer: true },
  batch: { label: 'batch', min: 1, max: 4096, fileMax: 1 << 24, integer: true },
  patience: { label: 'patience', min: 0, max: 10_000, fileMax: 1_000_000, integer: true },
  seed: { label: 'seed', min: 0, max: MAX_SEED, integer: true },
  topK: { label: 'top-k', min: 0, max: 16, fileMax: 1 << 16, integer: true, why: '0: dense routing' },
  routeShots: { label: 'route shots', min: 0, max: 4096, fileMax: 1_000_000, integer: true, why: '0: dense routing' },
  balance: { label: 'balance weight', min: 0, max: 10, fileMax: 1000, integer: false },
  noiseRate: { label: 'noise rate p', min: 0, max: 0.2, fileMax: 1, integer: false, why: 'the study sweeps p up to 0.2' },
  noiseQubits: { label: 'qubits under noise', min: 1, max: 6, fileMax: MAX_ROUTER_QUBITS, integer: true, why: 'a noisy circuit is simulated exactly as a density matrix of 4^n numbers per row' },
} as const satisfies Record<string, Limit>;

export type LimitKey = keyof typeof LIMITS;

/** Which column of the table applies: the browser app's (`max`) or a model file's on the command line (`fileMax`). */
export type LimitScope = 'app' | 'file';

export function limitMax(key: LimitKey, scope: LimitScope = 'app'): number {
  const l: Limit = LIMITS[key];
  return scope === 'file' ? (l.fileMax ?? l.max) : l.max;
}

/** "an integer from 1 to 12" / "a number from 0 to 0.2". */
export function limitText(key: LimitKey, scope: LimitScope = 'app'): string {
  const l: Limit = LIMITS[key];
  return `${l.integer ? 'an integer' : 'a number'} from ${l.min} to ${limitMax(key, scope)}`;
}

/** The value when it is inside the limit, else a QmoeInputError naming `where` (default: the label), the value and the limit. */
export function checkLimit(key: LimitKey, value: unknown, where?: string, scope: LimitScope = 'app'): number {
  const l: Limit = LIMITS[key];
  const max = limitMax(key, scope);
  const ok = typeof value === 'number' && Number.isFinite(value) && (!l.integer || Number.isInteger(value)) && value >= l.min && value <= max;
  if (!ok) throw new QmoeInputError(where ?? l.label, value, `must be ${limitText(key, scope)}${l.why && typeof value === 'number' && value > max ? ` (${l.why})` : ''}`);
  return value as number;
}

/**
 * The nearest allowed value and, when it differs, a sentence saying what happened (for values
 * typed into a form or given in a link, which are clamped rather than refused). NaN is not
 * clamped: it gets the minimum and a note.
 */
export function clampLimit(key: LimitKey, value: number): { value: number; note?: string } {
  const l: Limit = LIMITS[key];
  if (!Number.isFinite(value)) return { value: l.min, note: `${l.label}: ${String(value)} is not a number; set to ${l.min}` };
  let v = l.integer ? Math.round(value) : value;
  v = Math.min(l.max, Math.max(l.min, v));
  if (v === value) return { value };
  const side = value > l.max ? `above the maximum ${l.max}${l.why ? ` (${l.why})` : ''}` : value < l.min ? `below the minimum ${l.min}` : 'not an integer';
  return { value: v, note: `${l.label}: ${value} is ${side}; set to ${v}` };
}

/**
 * Every size of a model spec against the table (qubits, layers, experts, hidden widths; noise rate
 * p with its qubit limit); throws a QmoeInputError naming `${where}.field`.
 */
export function checkSpecLimits(spec: ModelSpec, noiseRate = 0, where = 'spec', scope: LimitScope = 'app'): void {
  if (spec.router === 'quantum') {
    checkLimit('qubits', spec.qubits, `${where}.qubits`, scope);
    checkLimit('layers', spec.layers, `${where}.layers`, scope);
  }
  checkLimit('experts', spec.experts, `${where}.experts`, scope);
  checkLimit('classes', spec.classes, `${where}.classes`, scope === 'app' ? 'app' : 'file');
  if (spec.router === 'mlp') {
    checkLimit('hiddenLayers', spec.hidden.length, `${where}.hidden.length`, scope);
    spec.hidden.forEach((h, i) => checkLimit('hiddenWidth', h, `${where}.hidden[${i}]`, scope));
  }
  checkLimit('noiseRate', noiseRate, 'noise rate p', scope);
  if (noiseRate > 0 && spec.router === 'quantum') checkLimit('noiseQubits', spec.qubits, `${where}.qubits (with noise rate p = ${noiseRate})`, scope);
  if (noiseRate > 0 && spec.expertsKind === 'quantum') checkLimit('noiseQubits', spec.expertQubits ?? 0, `${where}.expertQubits (with noise rate p = ${noiseRate})`, scope);
}

/** Gate count of the router circuit of `spec` (0 for classical routers). */
export function routerGates(spec: ModelSpec): number {
  return spec.router === 'quantum' ? modelCircuit(spec).ops.length : 0;
}

/**
 * A cost model of one training epoch, in "amplitude updates" (about 4 ns each on the float64 CPU
 * engine of a 2-core machine): per training row, the forward pass and the adjoint sweep touch
 * every amplitude about three times per gate, plus a fixed cost per gate (about 400 updates: the
 * CPU backend's per-gate work dominates small circuits); a validation row costs one pass.
 * Complex circuits (code preset) cost twice real ones (paper preset); under noise the exact
 * density matrix has 4^n entries and the noise-aware gradient runs T trajectories. Classical
 * routers cost their dense layers. A time is this number times a rate measured in the tab for
 * the engine in use; the model only has to rank runs and scale with their sizes.
 */
export function epochWork(spec: ModelSpec, trainRows: number, validationRows: number, noise: { p: number; trajectories: number } = { p: 0, trajectories: 0 }): number {
  const widths = spec.router === 'linear' ? [spec.features, spec.experts] : spec.router === 'mlp' ? [spec.features, ...spec.hidden, spec.experts] : [spec.qubits, spec.experts];
  let dense = spec.experts * (spec.features + 1) * spec.classes;
  for (let i = 1; i < widths.length; i++) dense += widths[i] * (widths[i - 1] + 1);
  const overhead = 2000 + 20 * dense; // per row: the mixture, the losses and the classical layers
  if (spec.router !== 'quantum') return (trainRows * 3 + validationRows) * overhead;
  const gates = routerGates(spec);
  const amps = 2 ** spec.qubits * (spec.preset === 'code' ? 2 : 1);
  const pass = gates * (amps + 400);
  if (noise.p > 0) {
    const density = gates * (2 * 4 ** spec.qubits + 400);
    return trainRows * (density + 3 * pass * noise.trajectories + overhead) + validationRows * (density + overhead);
  }
  return trainRows * (3 * pass + overhead) + validationRows * (pass + overhead);
}

/** A rough time in ms for `work` units on the float64 CPU engine before anything was measured in this tab. */
export const DEFAULT_MS_PER_WORK = 4e-6;
