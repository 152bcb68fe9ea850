import { GATES } from '../circuit/gates.js';
import type { Circuit, GateName, Op } from '../circuit/types.js';
import { isRealCircuit } from '../circuit/validate.js';
import { QmoeInputError } from '../errors.js';

/**
 * A circuit compiled for the fast CPU engine: the op list cut into passes over the whole state,
 * each applied to a chunk of samples at once (src/cpu/kernels.ts). Compiled once per circuit
 * structure; the angles are bound per call (src/cpu/bind.ts).
 *
 *  - prefix: single-qubit ops that read input features, and what precedes them on their qubit,
 *    before the qubit's first two-qubit gate. They leave a product state, built per sample in
 *    O(2^n) instead of one pass per gate (the angle embedding of every router).
 *  - dense passes: runs of gates whose matrices are the same for every sample (fixed gates,
 *    constant and trainable angles) fused into one 2^k x 2^k matrix on k <= maxBlock qubits
 *    (qsim's fuser: a gate joins the latest block that no later block on its wires follows).
 *  - diagonal passes: runs of parameter-free diagonal gates (Z, S, T, CZ, constant RZ / CRZ) on
 *    any qubits; folded into the next dense pass (its matrix times the diagonal, per group of
 *    amplitudes), so they cost no pass of their own. A trailing one is dropped when only
 *    probabilities are read (a phase does not change them).
 *  - sample passes: a rotation whose angle is an input feature, after the prefix.
 */

export interface DensePass {
  kind: 'dense';
  /** The block's qubits, ascending (the first is the most significant bit of a local index). */
  qubits: number[];
  /** Its gates in the order they act. */
  ops: Op[];
  /** Diagonal gates applied before the block (folded diagonal pass), in order. */
  pre: Op[];
  /** Some gate reads a trainable parameter. */
  hasParams: boolean;
}

export interface DiagonalPass {
  kind: 'diagonal';
  ops: Op[];
}

export interface SamplePass {
  kind: 'sample';
  op: Op;
}

export type Pass = DensePass | DiagonalPass | SamplePass;

export interface Program {
  qubits: number;
  features: number;
  params: number;
  /** Every gate real: real states, real arithmetic. */
  real: boolean;
  /** Product-state prefix: the ops of every qubit in order (empty lists for untouched qubits), or null. */
  prefix: Op[][] | null;
  passes: Pass[];
  /** The largest block the fuser was allowed. */
  maxBlock: number;
}

export interface CompileOptions {
  /** Largest dense block (qubits); default chosen by the cost model (bestProgram). */
  maxBlock: number;
  /** Build the product-state prefix. */
  prefix: boolean;
  /** Drop a trailing diagonal pass (outputs that only read probabilities). */
  dropTrailingDiagonal: boolean;
  /** Keep complex arithmetic for a real circuit (tests). */
  forceComplex?: boolean;
}

/** Most qubits in one dense block (blocks past 2 qubits run a slower generic kernel). */
export const MAX_BLOCK = 4;
/** Largest block the cost model picks by itself: 1- and 2-qubit blocks have straight-line kernels. */
export const DEFAULT_MAX_BLOCK = 2;

/** A diagonal gate with no trainable or per-sample angle: it may join a diagonal pass. */
export function isFixedDiagonal(op: Op): boolean {
  return GATES[op.gate].diagonal && (op.angle === undefined || op.angle.kind === 'const');
}

function perSample(op: Op): boolean {
  return op.angle?.kind === 'feature';
}

/**
 * Refuses gates the kernels cannot apply. Like the float64 reference, every one-qubit gate and
 * every controlled gate is applied through targetMatrix() and swap as a permutation; a gate added
 * to the circuit model in another form (more wires, a two-qubit matrix) is refused by name here
 * rather than simulated wrongly.
 */
function checkKnown(circuit: Circuit): void {
  circuit.ops.forEach((op, i) => {
    const info = GATES[op.gate];
    const ok = info && (op.gate === 'swap' ? info.arity === 2 : info.arity === info.controls + 1);
    if (!ok) {
      throw new QmoeInputError(`circuit.ops[${i}].gate`, op.gate, 'the fast CPU engine applies one-qubit gates with any number of controls and swap only (use --backend cpu64)');
    }
  });
}

/** Splits off the product-state prefix: returns it (or null) and the remaining ops in order. */
function splitPrefix(circuit: Circuit): { prefix: Op[][] | null; rest: Op[] } {
  const n = circuit.qubits;
  const blocked = new Array<boolean>(n).fill(false);
  const pending: number[][] = Array.from({ length: n }, () => []);
  circuit.ops.forEach((op, g) => {
    if (op.wires.length === 1 && !blocked[op.wires[0]]) pending[op.wires[0]].push(g);
    else for (const w of op.wires) blocked[w] = true;
  });
  const taken = new Set<number>();
  const prefix: Op[][] = [];
  for (let q = 0; q < n; q++) {
    const list = pending[q];
    let last = -1;
    list.forEach((g, i) => {
      if (perSample(circuit.ops[g])) last = i;
    });
    const mine = list.slice(0, last + 1);
    for (const g of mine) taken.add(g);
    prefix.push(mine.map((g) => circuit.ops[g]));
  }
  if (taken.size === 0) return { prefix: null, rest: circuit.ops };
  return { prefix, rest: circuit.ops.filter((_, g) => !taken.has(g)) };
}

interface Node {
  kind: 'dense' | 'diagonal' | 'sample';
  qubits: Set<number>;
  ops: Op[];
}

/** The fuser: groups ops into passes (see the file comment). */
function fuse(ops: Op[], qubits: number, maxBlock: number): Node[] {
  const nodes: Node[] = [];
  const last = new Array<number>(qubits).fill(-1);
  const put = (idx: number, op: Op) => {
    const node = nodes[idx];
    node.ops.push(op);
    for (const w of op.wires) {
      node.qubits.add(w);
      last[w] = idx;
    }
  };
  for (const op of ops) {
    const wires = op.wires;
    if (perSample(op)) {
      nodes.push({ kind: 'sample', qubits: new Set(), ops: [] });
      put(nodes.length - 1, op);
      continue;
    }
    let floor = -1;
    for (const w of wires) floor = Math.max(floor, last[w]);
    floor = Math.max(floor, 0);
    const diag = isFixedDiagonal(op);
    let inside = -1, diagonal = -1, touching = -1, spare = -1;
    for (let idx = nodes.length - 1; idx >= floor; idx--) {
      const node = nodes[idx];
      if (node.kind === 'diagonal') {
        if (diag && diagonal < 0) diagonal = idx;
        continue;
      }
      if (node.kind !== 'dense') continue;
      const grown = new Set([...node.qubits, ...wires]).size;
      if (grown > maxBlock) continue;
      if (grown === node.qubits.size) {
        if (inside < 0) inside = idx;
      } else if (wires.some((w) => node.qubits.has(w))) {
        if (touching < 0) touching = idx;
      } else if (spare < 0) spare = idx;
    }
    const target = inside >= 0 ? inside : diag && diagonal >= 0 ? diagonal : touching >= 0 ? touching : diag ? -1 : spare;
    if (target >= 0) {
      put(target, op);
      continue;
    }
    const kind = diag ? 'diagonal' : wires.length > maxBlock ? null : 'dense';
    if (!kind) throw new QmoeInputError('maxBlock', maxBlock, `a ${op.gate} gate needs blocks of ${wires.length} qubits`);
    nodes.push({ kind, qubits: new Set(), ops: [] });
    put(nodes.length - 1, op);
  }
  return nodes;
}

/** Compiles a validated circuit with fixed options. */
export function compileProgram(circuit: Circuit, options: CompileOptions): Program {
  checkKnown(circuit);
  const n = circuit.qubits;
  const { prefix, rest } = options.prefix ? splitPrefix(circuit) : { prefix: null, rest: circuit.ops };
  // A block holds at least the widest gate that goes into blocks.
  let widest = 1;
  for (const op of rest) if (!perSample(op) && !isFixedDiagonal(op)) widest = Math.max(widest, op.wires.length);
  const maxBlock = Math.max(widest, Math.min(options.maxBlock, n, MAX_BLOCK));
  const nodes = fuse(rest, n, maxBlock);
  const passes: Pass[] = [];
  let pending: Op[] | null = null;
  for (const node of nodes) {
    if (node.kind === 'diagonal') {
      if (pending) passes.push({ kind: 'diagonal', ops: pending });
      pending = node.ops;
      continue;
    }
    if (node.kind === 'sample') {
      if (pending) passes.push({ kind: 'diagonal', ops: pending });
      pending = null;
      passes.push({ kind: 'sample', op: node.ops[0] });
      continue;
    }
    passes.push({
      kind: 'dense',
      qubits: [...node.qubits].sort((a, b) => a - b),
      ops: node.ops,
      pre: pending ?? [],
      hasParams: node.ops.some((op) => op.angle?.kind === 'param'),
    });
    pending = null;
  }
  if (pending && !options.dropTrailingDiagonal) passes.push({ kind: 'diagonal', ops: pending });
  return {
    qubits: n,
    features: circuit.features,
    params: circuit.params,
    real: !options.forceComplex && isRealCircuit(circuit),
    prefix,
    passes,
    maxBlock,
  };
}

/**
 * Estimated cost of one sample through the program, in multiply-adds plus a per-amplitude charge
 * for every pass over the state (loads, stores, loop): what bestProgram minimises.
 */
export function programCost(program: Program): number {
  const dim = 2 ** program.qubits;
  const perPass = 3;
  const complex = program.real ? 1 : 4;
  let cost = 0;
  for (const pass of program.passes) {
    if (pass.kind === 'dense') cost += dim * (complex * 2 ** pass.qubits.length + perPass);
    else if (pass.kind === 'diagonal') cost += dim * (complex + perPass);
    else cost += dim * (complex * 2 + perPass + 2);
  }
  return cost;
}

/** The cheapest program over block sizes 1 .. min(n, DEFAULT_MAX_BLOCK) (ties: the smaller blocks). */
export function bestProgram(circuit: Circuit, options: Omit<CompileOptions, 'maxBlock'>): Program {
  let best: Program | null = null;
  let bestCost = Infinity;
  for (let k = 1; k <= Math.min(circuit.qubits, DEFAULT_MAX_BLOCK); k++) {
    const p = compileProgram(circuit, { ...options, maxBlock: k });
    const c = programCost(p);
    if (c < bestCost) {
      best = p;
      bestCost = c;
    }
  }
  return best ?? compileProgram(circuit, { ...options, maxBlock: 1 });
}
