import { GATES } from '../../src/circuit/gates.js';
import type { Circuit, GateName, Op } from '../../src/circuit/types.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { readFloats } from '../../src/gpu/buffers.js';
import { type GlobalGradientOptions, GlobalGradientRunner } from '../../src/sim/adjoint-global.js';
import type { BatchInput, CircuitOutput } from '../../src/sim/backend.js';
import { distinctWires, mulberry32, randomCircuit, randomInt } from '../helpers/random.js';

export { mulberry32 };

export const ALL_GATES = Object.keys(GATES) as GateName[];
export const PARAMETRIC: GateName[] = ALL_GATES.filter((g) => GATES[g].parametric);
export const REAL_GATES = ALL_GATES.filter((g) => GATES[g].real);

/**
 * A random circuit over `gateSet` (default: every gate) with, interleaved, each parametric gate of
 * the set at least once reading a param and (rotations) once reading a feature (3 features, 4 params).
 */
export function gradientTestCircuit(rng: () => number, qubits: number, gateSet: GateName[] = ALL_GATES): Circuit {
  const fits = gateSet.filter((g) => GATES[g].arity <= qubits);
  const base = randomCircuit(rng, { qubits, gates: 4 * qubits + 4, features: 3, params: 4, gateSet: fits });
  const extra: Op[] = [];
  for (const gate of PARAMETRIC) {
    if (!fits.includes(gate)) continue;
    const wires = distinctWires(rng, qubits, GATES[gate].arity);
    extra.push({ gate, wires, angle: { kind: 'param', index: randomInt(rng, 4) } });
    if (GATES[gate].axis !== undefined) extra.push({ gate, wires: [...wires].reverse(), angle: { kind: 'feature', index: randomInt(rng, 3) } });
  }
  const ops = [...base.ops];
  for (const op of extra) ops.splice(randomInt(rng, ops.length + 1), 0, op);
  return { ...base, ops };
}

export interface Batch {
  rows: number;
  features: number[];
  params: number[];
}

export function randomBatch(rng: () => number, circuit: Circuit, rows: number): Batch {
  return {
    rows,
    features: Array.from({ length: rows * circuit.features }, () => (rng() * 2 - 1) * 2 * Math.PI),
    params: Array.from({ length: circuit.params }, () => (rng() * 2 - 1) * 2 * Math.PI),
  };
}

/**
 * The global runner's batch-summed dL/dparams and per-row dL/dfeatures for one batch (feature
 * gradients on unless the options say otherwise), its rows per chunk and its backward passes
 * (tile passes among them).
 */
export async function globalGradient(
  gpu: GpuContext,
  circuit: Circuit,
  input: BatchInput,
  output: CircuitOutput,
  up: Float32Array,
  options: GlobalGradientOptions = {},
): Promise<{ params: Float32Array; features: Float32Array; chunkRows: number; passes: number; tilePasses: number }> {
  const runner = await GlobalGradientRunner.create(gpu, circuit, input.rows, output, { features: true, ...options });
  try {
    runner.setParams(input.params);
    runner.setFeatures(Float32Array.from(input.features ?? []), input.rows);
    runner.setUpstream(up);
    runner.dispatch();
    const params = await readFloats(gpu.device, runner.paramGrad, circuit.params * 4);
    const features = runner.featureGrad ? await readFloats(gpu.device, runner.featureGrad, input.rows * circuit.features * 4) : new Float32Array(0);
    const backward = runner.tileSweep?.backward ?? runner.segments;
    const tilePasses = runner.tileSweep?.backward.filter((p) => p.kind === 'tile').length ?? 0;
    return { params, features, chunkRows: runner.chunkRows, passes: backward.length, tilePasses };
  } finally {
    runner.destroy();
  }
}
