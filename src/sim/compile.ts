import { derivativeMatrix, targetMatrix } from '../circuit/gates.js';
import type { Angle, Circuit, GateName } from '../circuit/types.js';
import { isRealCircuit } from '../circuit/validate.js';
import { NO_INDEX, gateRecord } from '../gpu/op-codes.js';
import { schedulePasses } from './passes.js';

/** A circuit lowered to the op table of shaders/statevector.wgsl. */
export interface CompiledCircuit {
  qubits: number;
  features: number;
  /** Every gate real: the REAL kernels apply. */
  real: boolean;
  /** 4 u32 per op (src/gpu/op-codes.ts): kind and axis, target stride, control mask (swap: second stride), matrix or feature index. */
  ops: Uint32Array;
  /** Fixed and trainable-angle ops whose matrix the host computes (in float64) into the matrix table. */
  matrixOps: { gate: GateName; angle?: Angle }[];
  /** The fused kernel's op table (ops reordered inside commuting groups) and its passes (src/sim/passes.ts). */
  fused: { ops: Uint32Array; passes: Uint32Array };
  /** The same with one pass per op. */
  fusedSingle: { ops: Uint32Array; passes: Uint32Array };
}

/** Lowers a validated circuit. `forceComplex` keeps complex kernels for real circuits (tests). */
export function compileCircuit(circuit: Circuit, forceComplex = false): CompiledCircuit {
  const n = circuit.qubits;
  const ops = new Uint32Array(4 * circuit.ops.length);
  const matrixOps: CompiledCircuit['matrixOps'] = [];
  circuit.ops.forEach((op, g) => {
    const { words, usesMatrix } = gateRecord(op, n, matrixOps.length);
    if (usesMatrix) matrixOps.push({ gate: op.gate, angle: op.angle });
    ops.set(words, 4 * g);
  });
  return {
    qubits: n,
    features: circuit.features,
    real: !forceComplex && isRealCircuit(circuit),
    ops,
    matrixOps,
    fused: schedulePasses(circuit, ops),
    fusedSingle: schedulePasses(circuit, ops, false),
  };
}

/**
 * The matrix table for given parameters, computed in float64 (WGSL's sin/cos are too coarse) and
 * rounded to f32: real circuits 4 floats per matrix (m00, m01, m10, m11), complex ones 8.
 */
export function matrixTable(compiled: CompiledCircuit, params: ArrayLike<number> | undefined): Float32Array {
  const width = compiled.real ? 4 : 8;
  const table = new Float32Array(Math.max(1, compiled.matrixOps.length) * width);
  compiled.matrixOps.forEach((op, i) => {
    const angle = !op.angle ? 0 : op.angle.kind === 'const' ? op.angle.value : op.angle.kind === 'param' ? (params?.[op.angle.index] ?? 0) : 0;
    const m = targetMatrix(op.gate, angle);
    if (compiled.real) table.set([m[0], m[2], m[4], m[6]], 4 * i);
    else table.set(m, 8 * i);
  });
  return table;
}

/** For each entry of the matrix table: the trainable parameter its angle reads, or NO_INDEX. */
export function paramOfMatrix(compiled: CompiledCircuit): Uint32Array {
  const out = new Uint32Array(Math.max(1, compiled.matrixOps.length)).fill(NO_INDEX);
  compiled.matrixOps.forEach((op, i) => {
    if (op.angle?.kind === 'param') out[i] = op.angle.index;
  });
  return out;
}

/**
 * The matrix table followed by the derivative table dU/dtheta of every entry (gates.ts's
 * derivativeMatrix; zeros for fixed gates), both in float64 rounded to f32, in matrixTable's layout. The
 * derivatives start at matrix index `derivativeOffset(compiled)`.
 */
export function matrixAndDerivativeTable(compiled: CompiledCircuit, params: ArrayLike<number> | undefined): Float32Array {
  const width = compiled.real ? 4 : 8;
  const count = derivativeOffset(compiled);
  const table = new Float32Array(2 * count * width);
  table.set(matrixTable(compiled, params), 0);
  compiled.matrixOps.forEach((op, i) => {
    if (!op.angle || op.angle.kind === 'feature') return;
    const angle = op.angle.kind === 'const' ? op.angle.value : (params?.[op.angle.index] ?? 0);
    const m = derivativeMatrix(op.gate, angle);
    if (compiled.real) table.set([m[0], m[2], m[4], m[6]], (count + i) * 4);
    else table.set(m, (count + i) * 8);
  });
  return table;
}

/** Matrix index of the first derivative in matrixAndDerivativeTable. */
export function derivativeOffset(compiled: CompiledCircuit): number {
  return Math.max(1, compiled.matrixOps.length);
}
