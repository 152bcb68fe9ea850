import { GATES, controlMask, targetWire } from '../circuit/gates.js';
import type { GateName, Op } from '../circuit/types.js';

/**
 * The one source of the codes the kernels and the host share: op kinds, rotation axes, pass kinds,
 * output kinds, router and head modes, gates. Every compiler writes them from here and the kernels read
 * them as the WGSL constants of `gen/ops.wgsl` (opCodesWgsl), never as bare numbers.
 *
 * An op of the circuit kernels is four u32 words:
 *   x: kind | detail << OP_KIND_BITS   (detail: the rotation axis, or a channel's site index)
 *   y: stride of the target bit (a channel: of its first wire)
 *   z: mask of the control bits that must be 1 (swap, two-qubit channel: the second stride)
 *   w: matrix index, feature column, or a channel's rate word
 */
export const OP_KIND = {
  /** The matrix mats[w], computed on the host (fixed and trainable angles). */
  MATRIX: 0,
  /** A rotation about the op's axis by the per-sample angle of feature column w. */
  FEATURE_ROTATION: 1,
  /** Swap of the bits y and z. */
  SWAP: 2,
  /** One-qubit depolarizing channel on bit y (noise kernels). */
  CHANNEL1: 3,
  /** Two-qubit depolarizing channel on bits y and z (noise kernels). */
  CHANNEL2: 4,
} as const;

/** Bits of word x that hold the kind; the axis or site sits above them. */
export const OP_KIND_BITS = 4;

/** Most channel sites an op word holds (32 - OP_KIND_BITS bits). */
export const MAX_SITE = 2 ** (32 - OP_KIND_BITS);

/** Rotation axes of feature rotations. */
export const AXIS = { X: 0, Y: 1, Z: 2 } as const;

/** The axis of each rotation gate, from the gate table (src/circuit/gates.ts: 0 x, 1 y, 2 z as AXIS). */
export const ROTATION_AXIS: Readonly<Partial<Record<GateName, number>>> = Object.fromEntries(
  Object.entries(GATES).flatMap(([name, info]) => (info.axis === undefined ? [] : [[name, info.axis]])),
);

/** Pass kinds of the fused kernel (src/sim/passes.ts). */
export const PASS_KIND = { SINGLE: 0, CUBE2: 1, DIAGONAL: 2, CUBE3: 3 } as const;

/** What the adjoint kernels' upstream gradient is the gradient of (their OUTPUT_KIND override). */
export const OUTPUT_KIND = { probabilities: 0, experts: 1, expectZ: 2 } as const;

/**
 * Most amplitudes one invocation of the subgroup kernels holds in registers (shaders/lib/subgroup.wgsl's
 * MAX_REGS: WGSL needs a constant array size). A state of 2^n amplitudes over L lanes fits when 2^n / L <= this.
 */
export const SUBGROUP_MAX_REGS = 32;

/** An index that points nowhere (a matrix without a trainable parameter). */
export const NO_INDEX = 0xffffffff;

/** Router kinds of shaders/moe_head.wgsl (its ROUTER override). */
export const ROUTER_CODE = { linear: 0, mlp: 1, paper: 2, code: 3 } as const;

/** What shaders/moe_head.wgsl writes (its MODE override); stats: the per-row routing quantities the batch reduction sums before a train pass. */
export const HEAD_MODE = { train: 0, evaluate: 1, predict: 2, stats: 3 } as const;

/** The gate of shaders/moe_head.wgsl (its GATE override; src/moe/routing.ts GateKind). */
export const GATE_CODE = { dense: 0, topK: 1, shots: 2 } as const;

/** Word x of an op: its kind and, above it, the axis or site. */
export function opWord(kind: number, detail = 0): number {
  return (kind | (detail << OP_KIND_BITS)) >>> 0;
}

/**
 * The four words of a gate op of an n-qubit circuit. A feature rotation reads its angle per
 * sample; any other gate reads matrix `matrixIndex` (the caller appends its matrix to the table
 * when `usesMatrix` says so).
 */
export function gateRecord(op: Op, qubits: number, matrixIndex: number): { words: [number, number, number, number]; usesMatrix: boolean } {
  const stride = (q: number) => 2 ** (qubits - 1 - q);
  if (op.gate === 'swap') return { words: [opWord(OP_KIND.SWAP), stride(op.wires[0]), stride(op.wires[1]), 0], usesMatrix: false };
  const target = stride(targetWire(op));
  const control = controlMask(op, qubits);
  if (op.angle?.kind === 'feature') {
    return { words: [opWord(OP_KIND.FEATURE_ROTATION, ROTATION_AXIS[op.gate]!), target, control, op.angle.index], usesMatrix: false };
  }
  return { words: [opWord(OP_KIND.MATRIX), target, control, matrixIndex], usesMatrix: true };
}

function snake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The codes above as WGSL constants: the generated library file `gen/ops.wgsl`. */
export function opCodesWgsl(): string {
  const lines = ['// Generated from src/gpu/op-codes.ts: op kinds, axes, pass, output, router, head and gate codes.'];
  const group = (prefix: string, table: Record<string, number>) => {
    for (const [name, value] of Object.entries(table)) lines.push(`const ${prefix}${snake(name)}: u32 = ${value}u;`);
  };
  group('OP_', OP_KIND);
  lines.push(`const OP_KIND_BITS: u32 = ${OP_KIND_BITS}u;`, `const OP_KIND_MASK: u32 = ${2 ** OP_KIND_BITS - 1}u;`);
  group('AXIS_', AXIS);
  group('PASS_', PASS_KIND);
  group('OUTPUT_', OUTPUT_KIND);
  group('ROUTER_', ROUTER_CODE);
  group('MODE_', HEAD_MODE);
  group('GATE_', GATE_CODE);
  lines.push(`const NO_INDEX: u32 = 0x${NO_INDEX.toString(16)}u;`);
  lines.push(`const SUBGROUP_MAX_REGS: u32 = ${SUBGROUP_MAX_REGS}u;`);
  return lines.join('\n') + '\n';
}
