import { targetMatrix } from '../circuit/gates.js';
import { isRealCircuit } from '../circuit/validate.js';
import { QmoeInputError } from '../errors.js';
import { MAX_SITE, OP_KIND, gateRecord, opWord } from '../gpu/op-codes.js';
import type { NoiseSchedule } from './model.js';
import { rateThreshold } from './rng.js';

/** Most channels in one circuit (the site index has 28 bits of the op word). */
export const MAX_CHANNELS = MAX_SITE;

/** A noisy circuit lowered to the op table of the noise kernels. */
export interface CompiledNoise {
  qubits: number;
  features: number;
  /** Real matrices (trajectories only; the density kernel is always complex). */
  real: boolean;
  /** 4 u32 per step. */
  ops: Uint32Array;
  /** Ops whose matrix the host computes in float64: their circuit op index. */
  matrixOps: number[];
  readout: number;
}

/**
 * Lowers a schedule. `channelWord` is what a channel's 4th word holds: the rate as f32 bits
 * (density kernel) or the 24-bit threshold (trajectories kernel).
 */
export function compileNoise(schedule: NoiseSchedule, channelWord: 'rate' | 'threshold', allowReal: boolean): CompiledNoise {
  const { circuit } = schedule;
  if (schedule.channels > MAX_CHANNELS) throw new QmoeInputError('noise', schedule.channels, `at most ${MAX_CHANNELS} channels per circuit`);
  const n = circuit.qubits;
  const stride = (q: number) => 2 ** (n - 1 - q);
  const ops = new Uint32Array(4 * schedule.steps.length);
  const matrixOps: number[] = [];
  const word = (p: number) => (channelWord === 'threshold' ? rateThreshold(p) : f32Bits(p));
  schedule.steps.forEach((step, i) => {
    let rec: number[];
    if (step.kind === 'channel1') {
      rec = [opWord(OP_KIND.CHANNEL1, step.site), stride(step.wire), 0, word(step.p)];
    } else if (step.kind === 'channel2') {
      rec = [opWord(OP_KIND.CHANNEL2, step.site), stride(step.wires[0]), stride(step.wires[1]), word(step.p)];
    } else {
      const { words, usesMatrix } = gateRecord(circuit.ops[step.op], n, matrixOps.length);
      if (usesMatrix) matrixOps.push(step.op);
      rec = words;
    }
    ops.set(rec.map((v) => v >>> 0), 4 * i);
  });
  return { qubits: n, features: circuit.features, real: allowReal && isRealCircuit(circuit), ops, matrixOps, readout: schedule.readout };
}

/** The matrix table (float64 rounded to f32): real 4 floats per matrix, complex 8. */
export function noiseMatrixTable(schedule: NoiseSchedule, compiled: CompiledNoise, params: ArrayLike<number> | undefined): Float32Array {
  const width = compiled.real ? 4 : 8;
  const table = new Float32Array(Math.max(1, compiled.matrixOps.length) * width);
  compiled.matrixOps.forEach((g, i) => {
    const op = schedule.circuit.ops[g];
    const a = op.angle;
    const angle = !a ? 0 : a.kind === 'const' ? a.value : a.kind === 'param' ? (params?.[a.index] ?? 0) : 0;
    const m = targetMatrix(op.gate, angle);
    if (compiled.real) table.set([m[0], m[2], m[4], m[6]], 4 * i);
    else table.set(m, 8 * i);
  });
  return table;
}

/** f32 bits of a number, as the kernels' uniform words carry it. */
export function f32Bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0];
}
