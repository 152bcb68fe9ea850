/**
 * The backend conformance suite: one table of circuits, inputs and expected outputs, run against
 * every backend and kernel path, each compared with the float64 CPU reference (and, where the
 * case knows them, with exact expected values). A new backend registers by adding one entry to
 * CONFORMANCE_BACKENDS (what it accepts and its tolerances); a new training engine, one entry to
 * CONFORMANCE_ENGINES. test/sim/conformance.test.ts and test/train/conformance.test.ts run them.
 */
import { angleEmbedding, routerCircuit } from '../../src/circuit/builders.js';
import { createFastCpuEngine } from '../../src/cpu/engine.js';
import { GATES } from '../../src/circuit/gates.js';
import type { Circuit, GateName } from '../../src/circuit/types.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { makeSpec, modelCircuit, routerOutput, type SpecOptions } from '../../src/moe/models.js';
import { NoisyBackend } from '../../src/noise/backend.js';
import type { Backend, CircuitOutput } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../../src/sim/backend-gpu.js';
import { outputCount } from '../../src/sim/experts.js';
import { fusedShape } from '../../src/sim/statevector-gpu.js';
import { subgroupShape } from '../../src/sim/subgroup-gpu.js';
import { createCpuEngine } from '../../src/train/cpu-engine.js';
import type { TrainingEngine } from '../../src/train/engine.js';
import { createWebGpuEngine } from '../../src/train/gpu-engine.js';
import { gradientTestCircuit } from '../sim/adjoint-circuits.js';
import { mulberry32, randomCircuit, randomInt } from './random.js';

const REAL_GATES = (Object.keys(GATES) as GateName[]).filter((g) => GATES[g].real);

export interface ConformanceInput {
  rows: number;
  features: number[];
  params: number[];
}

export interface ConformanceCase {
  name: string;
  circuit: Circuit;
  input: ConformanceInput;
  /** Every gate real (the REAL kernels apply). */
  real: boolean;
  /** Outputs every backend evaluates and compares with the reference. */
  outputs: CircuitOutput[];
  /** Exact expected outputs (independent of every backend), by index into `outputs`. */
  expected?: { output: number; values: number[] }[];
  /** Compare state vectors (on backends that give them, for batches up to 257 rows). */
  states?: boolean;
  /** Compare adjoint gradients for these outputs (with random upstream weights in [-1, 1]). */
  gradients?: CircuitOutput[];
  /** Compare every output through evaluate() (else probabilities(), expertProbabilities(), evaluate() for <Z>). */
  viaEvaluate?: boolean;
  /** Only these backends run the case (large batches: one or two paths are enough on SwiftShader). */
  only?: string[];
}

export interface ConformanceBackend {
  name: string;
  /** Needs a WebGPU device (skipped with QMOE_SKIP_GPU_TESTS=1). */
  gpu: boolean;
  make(gpu: GpuContext | null): Backend;
  /** Which cases it runs on this device (qubit limits, real-only kernels, cost on SwiftShader). */
  accepts(c: ConformanceCase, gpu: GpuContext | null): boolean;
  /** Largest |backend - reference| of outputs and state amplitudes. */
  outputTol: number;
  /** Largest |backend - exact expected value|. */
  expectedTol: number;
  /** Largest |backend - reference| of gradients relative to the largest |reference| entry (at least 1); absent: no gradients. */
  gradientTol?: number;
  /** Also compares dL/dfeatures. */
  featureGradients?: boolean;
  /** Gives state vectors. */
  states?: boolean;
}

function randomBatch(rng: () => number, circuit: Circuit, rows: number, scale = 4 * Math.PI): ConformanceInput {
  return {
    rows,
    features: Array.from({ length: rows * circuit.features }, () => (rng() * 2 - 1) * scale),
    params: Array.from({ length: circuit.params }, () => (rng() * 2 - 1) * 2 * Math.PI),
  };
}

const allOutputs = (rng: () => number, n: number): CircuitOutput[] => [{ kind: 'probabilities' }, { kind: 'experts', experts: 1 + randomInt(rng, 2 ** n) }, { kind: 'expectZ' }];

function knownCases(): ConformanceCase[] {
  const probabilities: CircuitOutput = { kind: 'probabilities' };
  const fixed = (name: string, circuit: Circuit, values: number[], input: Partial<ConformanceInput> = {}): ConformanceCase => ({
    name,
    circuit,
    input: { rows: 1, features: [], params: [], ...input },
    real: circuit.ops.every((op) => GATES[op.gate].real),
    outputs: [probabilities],
    expected: [{ output: 0, values }],
  });
  const ghz = (n: number): Circuit => ({
    qubits: n,
    features: 0,
    params: 0,
    ops: [{ gate: 'h', wires: [0] }, ...Array.from({ length: n - 1 }, (_, i) => ({ gate: 'cnot' as const, wires: [i, i + 1] }))],
  });
  const uniform = (n: number): Circuit => ({ qubits: n, features: 0, params: 0, ops: Array.from({ length: n }, (_, i) => ({ gate: 'h' as const, wires: [i] })) });
  const cases: ConformanceCase[] = [
    fixed('Bell state', { qubits: 2, features: 0, params: 0, ops: [{ gate: 'h', wires: [0] }, { gate: 'cnot', wires: [0, 1] }] }, [0.5, 0, 0, 0.5]),
    fixed('qubit 0 is the most significant bit', { qubits: 3, features: 0, params: 0, ops: [{ gate: 'x', wires: [0] }] }, [0, 0, 0, 0, 1, 0, 0, 0]),
  ];
  for (const n of [3, 5, 7]) {
    cases.push(fixed(`GHZ ${n}`, ghz(n), Array.from({ length: 2 ** n }, (_, k) => (k === 0 || k === 2 ** n - 1 ? 0.5 : 0))));
    cases.push(fixed(`uniform ${n}`, uniform(n), new Array(2 ** n).fill(2 ** -n)));
  }
  // The study's embedding: prod_i cos(x_i/2)|0> + sin(x_i/2)|1>.
  const xs = [0.3, -1.2, 2.5, 3.1, -0.7, 1.9];
  const embedding: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let k = 0; k < 8; k++) {
      let amp = 1;
      for (let q = 0; q < 3; q++) amp *= (k >> (2 - q)) & 1 ? Math.sin(xs[r * 3 + q] / 2) : Math.cos(xs[r * 3 + q] / 2);
      embedding.push(amp * amp);
    }
  }
  cases.push(fixed("the study's angle embedding", { qubits: 3, features: 3, params: 0, ops: angleEmbedding(3) }, embedding, { rows: 2, features: xs }));
  const c0 = Math.cos(0.2), s0 = Math.sin(0.2), c1 = Math.cos(0.65), s1 = Math.sin(0.65);
  cases.push(fixed('router with zero angles keeps the embedding (CZ and RY(0) are diagonal / identity)', routerCircuit(2, 3), [c0 * c1, c0 * s1, s0 * c1, s0 * s1].map((a) => a * a), { features: [0.4, 1.3], params: new Array(6).fill(0) }));
  cases.push({
    name: 'expert blocks: 4 experts on 3 qubits are the values of qubits 0 and 1',
    circuit: { qubits: 3, features: 0, params: 0, ops: [{ gate: 'x', wires: [1] }, { gate: 'h', wires: [2] }] },
    input: { rows: 1, features: [], params: [] },
    real: true,
    outputs: [{ kind: 'experts', experts: 4 }],
    expected: [{ output: 0, values: [0, 1, 0, 0] }],
  });
  return cases;
}

/** Random circuits of 1 to 12 qubits, real and complex gate sets, odd batches (forward outputs and states). */
function forwardCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const add = (qubits: number, rows: number, real: boolean, only?: string[]) => {
    const rng = mulberry32(1000 * qubits + rows + (real ? 7 : 0));
    const circuit = randomCircuit(rng, { qubits, gates: 3 * qubits + 6, features: qubits + 1, params: 5, gateSet: real ? REAL_GATES : undefined });
    cases.push({
      name: `random n=${qubits} rows=${rows} ${real ? 'real' : 'complex'}`,
      circuit,
      input: randomBatch(rng, circuit, rows),
      real,
      outputs: [{ kind: 'probabilities' }, { kind: 'experts', experts: 1 + randomInt(rng, 2 ** qubits) }],
      states: rows <= 257,
      only,
    });
  };
  for (let n = 1; n <= 12; n++) for (const real of [false, true]) add(n, n % 2 === 0 ? 3 : 1, real);
  for (const n of [2, 5, 9]) {
    add(n, 257, false, ['cpu float64', 'webgpu fused complex', 'webgpu subgroup complex']);
    add(n, 257, true, ['cpu float64', 'webgpu global real', 'noisy p=0 cpu', 'noisy p=0 webgpu']);
  }
  for (const n of [1, 6]) add(n, 5001, true, ['cpu float64', 'webgpu fused real', 'webgpu subgroup real']);
  add(3, 5001, false, ['cpu float64', 'webgpu fused complex', 'webgpu global complex']);
  return cases;
}

/** Circuits where every rotation gate reads a parameter and a feature somewhere: every output kind and adjoint gradients. */
function gradientCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const add = (qubits: number, rows: number, real: boolean, kinds: 'all' | CircuitOutput['kind']) => {
    const rng = mulberry32(1000 * qubits + rows + (real ? 1 : 0));
    const circuit = gradientTestCircuit(rng, qubits, real ? REAL_GATES : undefined);
    const input = randomBatch(rng, circuit, rows, 2 * Math.PI);
    const outputs = allOutputs(rng, qubits);
    cases.push({
      name: `gradient circuit n=${qubits} rows=${rows} ${real ? 'real' : 'complex'} ${kinds}`,
      circuit,
      input,
      real,
      outputs,
      viaEvaluate: true,
      gradients: outputs.filter((o) => kinds === 'all' || o.kind === kinds),
    });
  };
  for (let n = 1; n <= 6; n++) {
    for (const real of [false, true]) add(n, n % 2 === 1 ? 1 : 3, real, n === 3 || n === 5 ? 'all' : (['probabilities', 'experts', 'expectZ'] as const)[(n + (real ? 1 : 0)) % 3]);
  }
  for (const real of [false, true]) add(5, 257, real, 'all');
  for (const n of [1, 3, 6]) for (const real of [false, true]) add(n, 5, real, 'all');
  return cases;
}

/** The study's routers (both presets) through their model's circuit and output. */
function modelCases(): ConformanceCase[] {
  const specs: [string, SpecOptions][] = [
    ['paper', { router: 'quantum', preset: 'paper', features: 2, classes: 2 }],
    ['code', { router: 'quantum', preset: 'code', features: 2, classes: 2, layers: 2 }],
  ];
  return specs.map(([name, options]) => {
    const spec = makeSpec(options);
    const circuit = modelCircuit(spec);
    const rng = mulberry32(4);
    const output = routerOutput(spec);
    return { name: `model circuit (${name} preset)`, circuit, input: randomBatch(rng, circuit, 5), real: circuit.ops.every((op) => GATES[op.gate].real), outputs: [output, { kind: 'probabilities' }], gradients: [output] };
  });
}

/** Every case of the suite. */
export const CONFORMANCE_CASES: ConformanceCase[] = [...knownCases(), ...forwardCases(), ...gradientCases(), ...modelCases()];

/** Whether backend `name` runs case `c` (its `only` list). */
const runs = (c: ConformanceCase, name: string) => !c.only || c.only.includes(name);

/** Whether the WebGPU backend's `path` holds an n-qubit state on this adapter. */
const pathFits = (gpu: GpuContext, path: 'subgroup' | 'fused' | 'global', n: number, real: boolean) =>
  path === 'global' || (path === 'fused' ? fusedShape(gpu, n, real) !== null : subgroupShape(gpu, n) !== null);

const webgpu = (path: 'subgroup' | 'fused' | 'global', real: boolean): ConformanceBackend => ({
  name: `webgpu ${path} ${real ? 'real' : 'complex'}`,
  gpu: true,
  // 'auto' runs the real kernels for real circuits; 'never' the complex ones for every circuit.
  make: (gpu) => new WebGpuBackend(gpu!, { path, real: real ? 'auto' : 'never' }),
  accepts: (c, gpu) => runs(c, `webgpu ${path} ${real ? 'real' : 'complex'}`) && (!real || c.real) && pathFits(gpu!, path, c.circuit.qubits, real && c.real),
  outputTol: 1e-5,
  expectedTol: 5e-7,
  // 'fused' and 'subgroup' each have their own adjoint kernel ('global' runs the fused one).
  gradientTol: path === 'global' ? undefined : 1e-4,
  featureGradients: true,
  states: path === 'global',
});

const noisyAtZero = (gpu: boolean): ConformanceBackend => ({
  name: `noisy p=0 ${gpu ? 'webgpu' : 'cpu'}`,
  gpu,
  make: (device) => new NoisyBackend({ p: 0 }, { gpu: gpu ? device : null }),
  // Density matrices (4^n): small circuits only.
  accepts: (c) => runs(c, `noisy p=0 ${gpu ? 'webgpu' : 'cpu'}`) && c.circuit.qubits <= 4 && c.input.rows <= 257,
  outputTol: gpu ? 1e-5 : 1e-14,
  expectedTol: gpu ? 5e-7 : 1e-12,
  // A noiseless model takes the plain float64 adjoint gradient: exactly the reference's.
  gradientTol: 0,
  featureGradients: true,
});

/** Every backend of the suite. The float64 CpuBackend is the reference of all the others. */
export const CONFORMANCE_BACKENDS: ConformanceBackend[] = [
  { name: 'cpu float64', gpu: false, make: () => new CpuBackend(), accepts: (c) => runs(c, 'cpu float64'), outputTol: 0, expectedTol: 1e-12, gradientTol: 0, featureGradients: true, states: true },
  webgpu('subgroup', true),
  webgpu('subgroup', false),
  webgpu('fused', true),
  webgpu('fused', false),
  webgpu('global', true),
  webgpu('global', false),
  noisyAtZero(false),
  noisyAtZero(true),
];

/** Upstream weights of a case's gradient for `output`, reproducible per case. */
export function upstreamFor(c: ConformanceCase, output: CircuitOutput): number[] {
  const rng = mulberry32(c.circuit.ops.length * 7919 + c.input.rows * 31 + outputCount(c.circuit.qubits, output));
  return Array.from({ length: c.input.rows * outputCount(c.circuit.qubits, output) }, () => rng() * 2 - 1);
}

/** Largest |got - want| (the lengths must agree). */
export function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`lengths differ: ${got.length} vs ${want.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
}

/** Largest |got - want| over the largest |want| (at least 1). */
export function relDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  return maxAbsDiff(got, want) / scale;
}

// ---- Training engines ----

export interface ConformanceEngine {
  name: string;
  gpu: boolean;
  make(gpu: GpuContext | null, spec: ReturnType<typeof makeSpec>, lr: number): Promise<TrainingEngine>;
  /** Largest |engine - reference| of losses and predicted probabilities. */
  lossTol: number;
  /** Largest |engine - reference| of the parameters the reference moved (f32 rounding amplified by Adam's normalisation). */
  paramTol: number;
}

/** Models of the engine suite, each trained 5 steps from the same parameters on the same batches. */
export const CONFORMANCE_MODELS: [string, SpecOptions][] = [
  ['linear router', { router: 'linear', experts: 3 }],
  ['MLP router', { router: 'mlp', experts: 2, hidden: [5, 4] }],
  ['quantum paper', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 4 }],
  ['quantum code', { router: 'quantum', preset: 'code', qubits: 2, layers: 3, experts: 2 }],
  // Readouts other than the preset's (src/moe/models.ts readoutOf): the same kernels' outputs.
  ['quantum paper, z readout', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 3, readout: 'z' }],
  ['quantum paper, parity readout, re-uploading', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 2, readout: 'parity', reupload: true }],
  ['quantum code, blocks readout', { router: 'quantum', preset: 'code', qubits: 2, layers: 2, experts: 4, readout: 'blocks' }],
];

/**
 * The mixture options every engine runs (src/moe/routing.ts, balance.ts), the same 5 steps
 * (test/train/conformance-mixture.test.ts): route shots use the same seed (0) everywhere.
 */
export const CONFORMANCE_MIXTURE_MODELS: [string, SpecOptions][] = [
  ['linear router, balance', { router: 'linear', experts: 3, balance: 0.5 }],
  ['MLP router, top-2 of 3, balance', { router: 'mlp', experts: 3, hidden: [5], topK: 2, balance: 1 }],
  ['quantum paper, top-2 of 4', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 4, topK: 2 }],
  ['linear router, 3 route shots', { router: 'linear', experts: 3, routeShots: 3 }],
  ['quantum code, 4 route shots, balance', { router: 'quantum', preset: 'code', qubits: 2, layers: 2, experts: 2, routeShots: 4, balance: 0.5 }],
  ['quantum paper, z readout, 5 route shots, balance', { router: 'quantum', preset: 'paper', qubits: 3, layers: 2, experts: 3, readout: 'z', routeShots: 5, balance: 0.2 }],
];

/** Every training engine of the suite; the float64 CPU engine is the reference. */
export const CONFORMANCE_ENGINES: ConformanceEngine[] = [
  { name: 'cpu float64', gpu: false, make: async (_gpu, spec, lr) => createCpuEngine(spec, { lr }), lossTol: 0, paramTol: 0 },
  { name: 'webgpu', gpu: true, make: (gpu, spec, lr) => createWebGpuEngine(gpu!, spec, { lr, capacity: 16 }), lossTol: 1e-4, paramTol: 2e-4 },
  // The fast CPU engine (src/cpu/engine.ts), chunks of 3 rows so every batch spans several chunks.
  { name: 'fast cpu float64', gpu: false, make: async (_gpu, spec, lr) => createFastCpuEngine(spec, { lr, precision: 'f64', chunkRows: 3 }), lossTol: 1e-10, paramTol: 1e-8 },
  { name: 'fast cpu float32', gpu: false, make: async (_gpu, spec, lr) => createFastCpuEngine(spec, { lr, precision: 'f32', chunkRows: 3 }), lossTol: 1e-4, paramTol: 2e-4 },
];
