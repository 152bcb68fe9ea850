import { angleEmbedding, rot, ryCzLayers } from '../circuit/builders.js';
import type { Circuit, Op } from '../circuit/types.js';
import { QmoeInputError, checkInt } from '../errors.js';
import { Rng } from '../data/rng.js';
import type { CircuitOutput } from '../sim/backend.js';
import { mixtureFields, mixtureOptionsOf, MIXTURE_OPTION_NAMES, type MixtureOptions } from './mixture-spec.js';
import { expertAngleCount, expertParamCount } from './quantum-experts.js';
import type { ModelSpec, ParamLayout, Preset, Readout, RouterKind } from './spec.js';

/**
 * Model specifications, the flat parameter layout, the router circuits and initialisation.
 *
 * Default sizes for Two Moons (2 features, 2 classes), and how we counted
 * ------------------------------------------------------------------------
 * Both protocols count ROUTER parameters only (docs/study.md says so for the code preset; for the
 * paper preset it is the only reading under which Table I's numbers come out of the text's
 * models, see below). Expert parameters are (features + 1) x classes = 6 per linear expert.
 *
 * Preset `paper` (Table I: linear 12, deep 240, quantum 24):
 *  - The text routes by basis-state probabilities, P(i|x) = |<i|U|psi(x)>|^2, so experts = 2^n.
 *    With one qubit per feature (n = 2, as MNIST's 8 PCA features -> 8 qubits x 4 layers = 32,
 *    the text's MNIST count) that is 4 experts.
 *  - linear router A: V (4 x 2) + c (4) = 12 router parameters            -> reproduces 12.
 *  - quantum router B: L x n = 12 x 2 = 24 circuit angles                 -> reproduces 24
 *    (layers = 12 is inferred from 24 / n; the text gives no L for Two Moons).
 *  - deep router C: an MLP 2 -> 16 -> 8 -> 4 -> 4 with biases:
 *    (2*16 + 16) + (16*8 + 8) + (8*4 + 4) + (4*4 + 4) = 48 + 136 + 36 + 20 = 240 -> reproduces 240.
 *    (No one- or two-hidden-layer MLP with biases reaches exactly 240 with 4 experts; hidden
 *    [16, 8, 4] is the natural-looking three-layer one that does. The text does not give widths.)
 *  - experts: 4 x 6 = 24 parameters in every model (not part of the counts above).
 *
 * Preset `code` (the notebooks):
 *  - 2 experts (Linear(2, 2) each, 12 parameters).
 *  - quantum router: StronglyEntanglingLayers (3, 2, 3) = 18 angles + adapter Linear(2, 2) = 6
 *    -> 24 router parameters, as printed.
 *  - linear router: Linear(2, 2) = 6 router parameters.
 *  - MLP router 2 -> h -> 2: 5h + 2 router parameters; default h = 16 (82 parameters, the first
 *    width of the sweep that reaches 99%).
 *
 * Layout of the flat parameter vector (spec.ts): [router..., experts...]. Every dense layer
 * (linear router, each MLP layer in order from the input, the code preset's adapter, each
 * expert) is stored as its weight matrix row-major (outputs x inputs) followed by its bias.
 * Circuit angles come first in the router block: paper preset theta[l * n + i] (ryCzLayers);
 * code preset weights[l, i, k] at (l * n + i) * 3 + k, PennyLane's weights[l, i, k] order.
 */

export const ROUTERS: readonly RouterKind[] = ['linear', 'mlp', 'quantum'];
export const PRESETS: readonly Preset[] = ['paper', 'code'];
export const READOUTS: readonly Readout[] = ['blocks', 'z', 'parity'];

/** The readout a preset's quantum router uses unless told otherwise. */
export function presetReadout(preset: Preset): Readout {
  return preset === 'paper' ? 'blocks' : 'z';
}

/** The quantum router's readout (spec.readout, else its preset's). */
export function readoutOf(spec: ModelSpec): Readout {
  return spec.readout ?? presetReadout(spec.preset);
}

/** Largest qubit count a router circuit may have (the global-memory GPU adjoint trains it; the CPU reference's limit is 26). */
export const MAX_ROUTER_QUBITS = 24;
const MAX_SIZE = 1 << 16;
/** Most parameters a model may have: 2^25 float64 numbers are 256 MiB, and Adam keeps two more copies. */
export const MAX_PARAMS = 2 ** 25;

/** Sizes and forms of a model; the mixture options (experts' kind, sparse routing, balance) are in mixture-spec.ts. */
export interface SpecOptions extends MixtureOptions {
  router: RouterKind;
  preset?: Preset;
  features?: number;
  classes?: number;
  experts?: number;
  hidden?: number[];
  qubits?: number;
  layers?: number;
  /** Quantum router readout (default: the preset's); ignored by classical routers. */
  readout?: Readout;
  /** Quantum router: re-upload the embedding before every layer; ignored by classical routers. */
  reupload?: boolean;
}

/** The default sizes of a preset for a data set of `features` features (see the comment above). */
export function presetDefaults(preset: Preset, features = 2): { experts: number; qubits: number; layers: number; hidden: number[] } {
  const qubits = Math.max(1, features);
  if (preset === 'paper') return { experts: Math.min(4, 2 ** qubits), qubits, layers: 12, hidden: [16, 8, 4] };
  return { experts: 2, qubits, layers: 3, hidden: [16] };
}

/**
 * Default circuit layers of the quantum router for a data set: the study's MNIST router is
 * 8 qubits x 4 layers = 32 angles, so the paper preset uses 4 layers on the image data sets
 * (12 on moons, from Table I's 24 = 2 x 12). Undefined: the preset's default.
 */
export function defaultLayers(dataset: string, preset: Preset): number | undefined {
  return (dataset === 'mnist' || dataset === 'fashion') && preset === 'paper' ? 4 : undefined;
}

/**
 * A validated model specification: the preset's defaults (for moons: 2 features, 2 classes)
 * overridden by `options`. Throws QmoeInputError naming the option (`--qubits`, `--experts`, ...)
 * for impossible sizes:
 *  - experts >= 1; for the quantum router of the `paper` preset experts <= 2^qubits (experts are
 *    blocks of basis states); the `code` preset's adapter allows any number of experts;
 *  - hidden widths >= 1 (mlp), layers >= 1 (quantum; the `paper` preset also allows 0);
 *  - quantum routers embed feature i on qubit i for i < features, so qubits >= features (extra
 *    qubits start in |0>); features > qubits is an error naming --qubits.
 */
export function makeSpec(options: SpecOptions): ModelSpec {
  if (typeof options !== 'object' || options === null) throw new QmoeInputError('spec options', options, 'must be an object');
  const router = options.router;
  if (!ROUTERS.includes(router)) throw new QmoeInputError('--router', router, `must be one of ${ROUTERS.join(', ')}`);
  const preset = options.preset ?? 'paper';
  if (!PRESETS.includes(preset)) throw new QmoeInputError('--preset', preset, `must be one of ${PRESETS.join(', ')}`);
  const features = checkInt('features', options.features ?? 2, 1, MAX_SIZE);
  const classes = checkInt('classes', options.classes ?? 2, 2, MAX_SIZE);
  const d = presetDefaults(preset, Math.min(features, MAX_ROUTER_QUBITS));
  const qubits = checkInt('--qubits', options.qubits ?? d.qubits, 1, MAX_ROUTER_QUBITS);
  const layers = checkInt('--layers', options.layers ?? d.layers, preset === 'paper' ? 0 : 1, 10000);
  const experts = checkInt('--experts', options.experts ?? (router === 'quantum' && preset === 'paper' ? Math.min(d.experts, 2 ** qubits) : d.experts), 1, MAX_SIZE);
  const hiddenIn = options.hidden ?? d.hidden;
  if (!Array.isArray(hiddenIn) || hiddenIn.length < 1 || hiddenIn.length > 64) {
    throw new QmoeInputError('--hidden', hiddenIn, 'must list 1 to 64 layer widths, e.g. 16,8');
  }
  const hidden = hiddenIn.map((h, i) => checkInt(`--hidden[${i}]`, h, 1, MAX_SIZE));
  const readout = options.readout ?? presetReadout(preset);
  if (!READOUTS.includes(readout)) throw new QmoeInputError('--readout', readout, `must be one of ${READOUTS.join(', ')}`);
  if (options.reupload !== undefined && typeof options.reupload !== 'boolean') throw new QmoeInputError('--reupload', options.reupload, 'must be true or false');
  if (router === 'quantum') {
    if (features > qubits) {
      throw new QmoeInputError('--qubits', qubits, `the quantum router embeds one feature per qubit: needs at least ${features} qubits for ${features} features`);
    }
    if (readout !== 'z' && experts > 2 ** qubits) {
      throw new QmoeInputError('--experts', experts, `the ${readout} readout's experts are ${readout === 'blocks' ? 'blocks' : 'parity classes'} of the 2^${qubits} = ${2 ** qubits} basis states: at most ${2 ** qubits} (or raise --qubits)`);
    }
    if (readout === 'parity' && (experts & (experts - 1)) !== 0) {
      throw new QmoeInputError('--experts', experts, 'the parity readout needs a power of two (each expert bit is the parity of a group of qubits)');
    }
  }
  const spec: ModelSpec = { router, preset, features, classes, experts, hidden, qubits, layers };
  // Only what differs from the preset's router is stored: specs (and run ids) of the study's models stay as they were.
  if (router === 'quantum' && readout !== presetReadout(preset)) spec.readout = readout;
  if (router === 'quantum' && options.reupload === true) spec.reupload = true;
  Object.assign(spec, mixtureFields(options, { features, classes, experts }));
  const total = paramLayout(spec).total;
  if (total > MAX_PARAMS) {
    const [argument, value] = router === 'mlp' ? ['--hidden', hidden.join(',')] : ['--experts', experts];
    throw new QmoeInputError(argument, value, `the model would have ${total} parameters; at most 2^25 = ${MAX_PARAMS}`);
  }
  return spec;
}

/** makeSpec for Two Moons (2 features, 2 classes) with the preset's defaults. */
export function defaultSpec(router: RouterKind, preset: Preset = 'paper'): ModelSpec {
  return makeSpec({ router, preset, features: 2, classes: 2 });
}

/** Checks a ModelSpec that came from outside (a model file): same rules as makeSpec. */
export function validateSpec(spec: unknown, where = 'spec'): ModelSpec {
  if (typeof spec !== 'object' || spec === null) throw new QmoeInputError(where, spec, 'must be an object');
  const s = spec as Record<string, unknown>;
  if (!ROUTERS.includes(s.router as RouterKind)) throw new QmoeInputError(`${where}.router`, s.router, `unknown router; must be one of ${ROUTERS.join(', ')}`);
  if (!PRESETS.includes(s.preset as Preset)) throw new QmoeInputError(`${where}.preset`, s.preset, `must be one of ${PRESETS.join(', ')}`);
  for (const k of ['features', 'classes', 'experts', 'qubits', 'layers']) {
    if (typeof s[k] !== 'number' || !Number.isInteger(s[k])) throw new QmoeInputError(`${where}.${k}`, s[k], 'must be an integer');
  }
  if (!Array.isArray(s.hidden) || !s.hidden.every((h) => typeof h === 'number')) throw new QmoeInputError(`${where}.hidden`, s.hidden, 'must be an array of integers');
  if (s.readout !== undefined && !READOUTS.includes(s.readout as Readout)) throw new QmoeInputError(`${where}.readout`, s.readout, `must be one of ${READOUTS.join(', ')}`);
  if (s.reupload !== undefined && typeof s.reupload !== 'boolean') throw new QmoeInputError(`${where}.reupload`, s.reupload, 'must be true or false');
  try {
    return makeSpec({
      router: s.router as RouterKind,
      preset: s.preset as Preset,
      features: s.features as number,
      classes: s.classes as number,
      experts: s.experts as number,
      hidden: s.hidden as number[],
      qubits: s.qubits as number,
      layers: s.layers as number,
      readout: s.readout as Readout | undefined,
      reupload: s.reupload as boolean | undefined,
      ...mixtureOptionsOf(s, where),
    });
  } catch (e) {
    if (e instanceof QmoeInputError) {
      const mixture = Object.entries(MIXTURE_OPTION_NAMES).find(([, option]) => option === e.argument)?.[0];
      const field = mixture ?? e.argument.replace(/^--/, '').replace(/\[\d+\]$/, '');
      throw new QmoeInputError(`${where}.${field}`, e.value, e.limit);
    }
    throw e;
  }
}

/** Widths of the dense layers of a classical router, input first: [features, ..., experts]. */
export function routerWidths(spec: ModelSpec): number[] {
  if (spec.router === 'linear') return [spec.features, spec.experts];
  if (spec.router === 'mlp') return [spec.features, ...spec.hidden, spec.experts];
  if (readoutOf(spec) === 'z') return [spec.qubits, spec.experts];
  return [];
}

function denseCount(widths: number[]): number {
  let n = 0;
  for (let k = 0; k + 1 < widths.length; k++) n += widths[k + 1] * (widths[k] + 1);
  return n;
}

/** Number of circuit angles of the quantum router (0 for classical routers). */
export function circuitParamCount(spec: ModelSpec): number {
  if (spec.router !== 'quantum') return 0;
  return spec.preset === 'paper' ? spec.layers * spec.qubits : spec.layers * spec.qubits * 3;
}

/** Sizes of the blocks of the flat parameter vector. */
export function paramLayout(spec: ModelSpec): ParamLayout {
  const circuit = circuitParamCount(spec);
  const router = circuit + denseCount(routerWidths(spec));
  const experts = spec.experts * expertParamCount(spec);
  return { router, circuit, experts, total: router + experts };
}

/** Parameter counts split into router and experts. */
export function countParams(spec: ModelSpec): { router: number; experts: number; total: number } {
  const l = paramLayout(spec);
  return { router: l.router, experts: l.experts, total: l.total };
}

/**
 * The quantum router's circuit; its `params` are the first `layout.circuit` entries of the flat
 * vector and its input row is the model's feature row (circuit.features = spec.features).
 *
 * paper: RY(x_i) on qubit i (i < features), then `layers` layers of RY(theta[l*n + i]) on every
 *        qubit and CZ(i, i+1) (src/circuit/builders.ts).
 * code:  RX(x_i) on qubit i (i < features; PennyLane's AngleEmbedding default), then
 *        StronglyEntanglingLayers: per layer l, per qubit i, Rot(phi, theta, omega) with
 *        (phi, theta, omega) = weights[l, i, 0..2], then CNOT(i, (i + r) mod n) for every i with
 *        r = (l mod (n - 1)) + 1 (no CNOTs for n = 1). PennyLane's Rot(phi, theta, omega) is the
 *        matrix RZ(omega) RY(theta) RZ(phi): RZ(phi) acts first, so we emit three ops in the order
 *        RZ(phi), RY(theta), RZ(omega) and the circuit model needs no Rot gate.
 * With spec.reupload the embedding comes again before every layer (data re-uploading); the
 * parity readout appends readoutOps(spec).
 */
export function modelCircuit(spec: ModelSpec): Circuit {
  if (spec.router !== 'quantum') throw new QmoeInputError('spec.router', spec.router, 'only the quantum router has a circuit');
  const n = spec.qubits;
  const f = spec.features;
  const readout = readoutOps(spec);
  if (spec.preset === 'paper') {
    const layers = spec.reupload ? Array.from({ length: spec.layers }, (_, l) => [...(l > 0 ? angleEmbedding(f) : []), ...ryCzLayers(n, 1, l * n)]).flat() : ryCzLayers(n, spec.layers);
    return { qubits: n, features: f, params: n * spec.layers, ops: [...angleEmbedding(f), ...layers, ...readout] };
  }
  const ops: Op[] = [];
  const embed = () => {
    for (let i = 0; i < f; i++) ops.push({ gate: 'rx', wires: [i], angle: { kind: 'feature', index: i } });
  };
  embed();
  for (let l = 0; l < spec.layers; l++) {
    if (l > 0 && spec.reupload) embed();
    for (let i = 0; i < n; i++) {
      const base = (l * n + i) * 3;
      ops.push(...rot(i, { kind: 'param', index: base }, { kind: 'param', index: base + 1 }, { kind: 'param', index: base + 2 }));
    }
    if (n > 1) {
      const r = (l % (n - 1)) + 1;
      for (let i = 0; i < n; i++) ops.push({ gate: 'cnot', wires: [i, (i + r) % n] });
    }
  }
  ops.push(...readout);
  return { qubits: n, features: f, params: n * spec.layers * 3, ops };
}

/**
 * The ops that end the circuit for its readout: none for blocks and z; for parity with 2^m
 * experts, CNOT(i -> i mod m) for every qubit i >= m, after which qubit j < m holds the parity of
 * the qubits i with i mod m = j, and the blocks of qubits 0..m-1 are the parity classes. They
 * stand for the classical parity of measured bits: noise models leave them out
 * (src/noise/training.ts).
 */
export function readoutOps(spec: ModelSpec): Op[] {
  if (readoutOf(spec) !== 'parity') return [];
  const m = Math.round(Math.log2(spec.experts));
  const ops: Op[] = [];
  if (m > 0) for (let i = m; i < spec.qubits; i++) ops.push({ gate: 'cnot', wires: [i, i % m] });
  return ops;
}

/** What the router circuit measures: expert probabilities (blocks, parity) or <Z_i> (z). */
export function routerOutput(spec: ModelSpec): CircuitOutput {
  return readoutOf(spec) === 'z' ? { kind: 'expectZ' } : { kind: 'experts', experts: spec.experts };
}

export type InitKind = 'uniform' | 'small';
export const INITS: readonly InitKind[] = ['uniform', 'small'];

export interface InitOptions {
  /** Seed of the generator (an integer from 0 to 2^32 - 1). */
  seed: number;
  /**
   * Circuit angles: 'uniform' in [0, 2 pi) (PennyLane's usual random init, the default) or
   * 'small' normal(0, 0.1) (near the identity, against barren plateaus).
   */
  init?: InitKind;
}

/**
 * Seeded initial parameters. Circuit angles per `init`; every dense layer (routers, adapter,
 * experts) as PyTorch's nn.Linear default: weights and biases uniform in
 * [-1/sqrt(fan_in), 1/sqrt(fan_in)] (kaiming_uniform with a = sqrt(5) gives that bound).
 * Draw order: the flat vector from start to end.
 */
export function initParams(spec: ModelSpec, options: InitOptions): Float64Array {
  const init = options.init ?? 'uniform';
  if (!INITS.includes(init)) throw new QmoeInputError('--init', init, `must be one of ${INITS.join(', ')}`);
  const rng = new Rng(options.seed);
  const layout = paramLayout(spec);
  const p = new Float64Array(layout.total);
  let at = 0;
  for (; at < layout.circuit; at++) p[at] = init === 'uniform' ? rng.next() * 2 * Math.PI : 0.1 * rng.normal();
  const dense = (inputs: number, outputs: number) => {
    const bound = 1 / Math.sqrt(inputs);
    for (let k = 0; k < outputs * (inputs + 1); k++) p[at++] = (2 * rng.next() - 1) * bound;
  };
  const widths = routerWidths(spec);
  for (let k = 0; k + 1 < widths.length; k++) dense(widths[k], widths[k + 1]);
  for (let e = 0; e < spec.experts; e++) {
    if (spec.expertsKind === 'quantum') {
      // A quantum expert: its circuit angles (as the router's, per `init`), then its readout layer.
      for (let k = expertAngleCount(spec); k > 0; k--) p[at++] = init === 'uniform' ? rng.next() * 2 * Math.PI : 0.1 * rng.normal();
      dense(spec.expertQubits!, spec.classes);
    } else dense(spec.features, spec.classes);
  }
  if (at !== layout.total) throw new Error(`initParams: filled ${at} of ${layout.total}`);
  return p;
}
