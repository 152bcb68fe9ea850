import { GATES } from '../circuit/gates.js';
import { AXIS, NO_INDEX, OP_KIND, OP_KIND_BITS } from '../gpu/op-codes.js';
import type { CompiledCircuit } from './compile.js';

/**
 * Gate fusion of the global-memory path through workgroup-memory tiles (shaders/global_tile.wgsl).
 *
 * A tile of a state is the 2^T amplitudes whose index bits at T chosen positions (the tile bits)
 * vary while the other bits stay fixed: one workgroup loads it, applies a run of ops, writes it
 * back. An op can run on a tile when, restricted to the fixed bits, it is block diagonal:
 *  - a (controlled) one-qubit gate whose target bit is a tile bit, its controls anywhere (a
 *    control outside the tile is one bit of the workgroup's fixed part: the gate runs or not);
 *  - a diagonal gate on any bits (each amplitude only scales, by a factor its index gives);
 *  - a swap of two tile bits.
 * The fuser walks the ops in order (greedy, as qsim's basic fuser: no reordering) and grows a
 * pass while the bits its ops need fit in T; an op that does not fit ends the pass. A pass of one
 * op stays a single-op pass (the per-gate kernel: no barriers), so does an op no tile holds.
 */

/** Index bits (strides) an op needs inside a tile; null: no tile can run it (channels). */
export function tileNeeds(compiled: CompiledCircuit, g: number): number | null {
  const x = compiled.ops[4 * g];
  const kind = x & (2 ** OP_KIND_BITS - 1);
  const y = compiled.ops[4 * g + 1];
  const z = compiled.ops[4 * g + 2];
  if (kind === OP_KIND.SWAP) return (y | z) >>> 0;
  if (kind === OP_KIND.FEATURE_ROTATION) return (x >>> OP_KIND_BITS) % 4 === AXIS.Z ? 0 : y;
  if (kind === OP_KIND.MATRIX) return GATES[compiled.matrixOps[compiled.ops[4 * g + 3]].gate].diagonal ? 0 : y;
  return null;
}

/** One pass over the states: ops `ops` (in circuit order) on the tile bits `mask`, or one op alone. */
export type FusedPass = { kind: 'tile'; mask: number; ops: number[]; grads: number } | { kind: 'op'; op: number };

export interface FuseOptions {
  /** Per op: whether the backward sweep has a gradient slot for it (counted against maxGrads). */
  hasGrad?: readonly boolean[];
  /** Most ops with a gradient slot in one pass (bounds the partial sums; default unbounded). */
  maxGrads?: number;
  /** Ops after which a pass must end (e.g. where noise is drawn between ops). */
  endsPass?: (g: number) => boolean;
}

function popcount(v: number): number {
  let c = 0;
  for (let m = v >>> 0; m !== 0; m &= m - 1) c++;
  return c;
}

/**
 * The passes of a circuit's ops with tiles of `tileBits` bits (at most the circuit's qubits).
 * Each tile pass's mask has exactly tileBits bits: those its ops need, filled up with the lowest
 * free bits (adjacent amplitudes in memory).
 */
export function fuseTiles(compiled: CompiledCircuit, tileBits: number, options: FuseOptions = {}): FusedPass[] {
  const n = compiled.qubits;
  const t = Math.min(tileBits, n);
  if (!Number.isInteger(t) || t < 1) throw new Error(`fuseTiles: tile bits must be a positive integer (got ${tileBits})`);
  const maxGrads = options.maxGrads ?? Infinity;
  const out: FusedPass[] = [];
  let cur: { mask: number; ops: number[]; grads: number } | null = null;
  const flush = () => {
    if (!cur) return;
    if (cur.ops.length === 1) out.push({ kind: 'op', op: cur.ops[0] });
    else {
      let mask = cur.mask;
      for (let b = 0; popcount(mask) < t; b++) mask = (mask | (1 << b)) >>> 0;
      out.push({ kind: 'tile', mask, ops: cur.ops, grads: cur.grads });
    }
    cur = null;
  };
  const numOps = compiled.ops.length / 4;
  for (let g = 0; g < numOps; g++) {
    const need = tileNeeds(compiled, g);
    const grad = options.hasGrad?.[g] === true ? 1 : 0;
    if (need === null || popcount(need) > t) {
      flush();
      out.push({ kind: 'op', op: g });
      continue;
    }
    if (cur && (popcount(cur.mask | need) > t || cur.grads + grad > maxGrads)) flush();
    cur ??= { mask: 0, ops: [], grads: 0 };
    cur.mask = (cur.mask | need) >>> 0;
    cur.ops.push(g);
    cur.grads += grad;
    if (options.endsPass?.(g)) flush();
  }
  flush();
  return out;
}

/** Position of each set bit of `mask` in ascending order: the tile-local bit of a stride. */
function localBit(mask: number, stride: number): number {
  return 2 ** popcount(mask & (stride - 1));
}

/**
 * The tile-op table of shaders/global_tile.wgsl (4 u32 per op of every tile pass, pass after
 * pass): the op's index in compiled.ops; its target stride inside the tile (0: a diagonal gate
 * whose target is outside); the mask of its controls inside the tile (a swap: its second stride
 * inside the tile); its gradient column in the pass (NO_INDEX: none). And per pass its first
 * record. Controls outside the tile the kernel reads from the op itself.
 */
export function tileOpTable(compiled: CompiledCircuit, passes: readonly FusedPass[], hasGrad: readonly boolean[] = []): { records: Uint32Array; first: number[] } {
  const words: number[] = [];
  const first: number[] = [];
  for (const p of passes) {
    first.push(words.length / 4);
    if (p.kind !== 'tile') continue;
    let column = 0;
    for (const g of p.ops) {
      const kind = compiled.ops[4 * g] & (2 ** OP_KIND_BITS - 1);
      const y = compiled.ops[4 * g + 1];
      const z = compiled.ops[4 * g + 2];
      const inTile = (s: number) => (p.mask & s) !== 0;
      let ly = inTile(y) ? localBit(p.mask, y) : 0;
      let lz = 0;
      if (kind === OP_KIND.SWAP) {
        ly = localBit(p.mask, y);
        lz = localBit(p.mask, z);
      } else {
        for (let b = z; b !== 0; b &= b - 1) {
          const s = b & -b;
          if (inTile(s)) lz += localBit(p.mask, s);
        }
      }
      words.push(g, ly, lz, hasGrad[g] ? column++ : NO_INDEX);
    }
  }
  return { records: Uint32Array.from(words.length > 0 ? words : [0, 0, 0, NO_INDEX]), first };
}

/** Passes over the states per pass kind, for benchmarks and reports. */
export function passCounts(passes: readonly FusedPass[]): { passes: number; tilePasses: number; ops: number } {
  let ops = 0;
  let tilePasses = 0;
  for (const p of passes) {
    if (p.kind === 'tile') {
      tilePasses++;
      ops += p.ops.length;
    } else ops++;
  }
  return { passes: passes.length, tilePasses, ops };
}
