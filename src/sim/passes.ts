import { GATES } from '../circuit/gates.js';
import type { Circuit } from '../circuit/types.js';
import { PASS_KIND } from '../gpu/op-codes.js';

/** Pass kinds of the fused kernel (shaders/statevector.wgsl, FUSED; src/gpu/op-codes.ts). */
export const { SINGLE: PASS_SINGLE, CUBE2: PASS_CUBE2, DIAGONAL: PASS_DIAGONAL, CUBE3: PASS_CUBE3 } = PASS_KIND;

/**
 * Groups a circuit's ops into the fused kernel's passes, each followed by one workgroup barrier
 * instead of one barrier per gate:
 *  - consecutive diagonal gates (GATES[g].diagonal: Z, S, T, RZ, P, CZ, CRZ, CP, ...) form one pass that scales every amplitude
 *    by the product of their diagonal entries (diagonal matrices commute);
 *  - two or three consecutive uncontrolled one-qubit gates on distinct qubits form a cube pass:
 *    each invocation holds the 4 or 8 amplitudes spanned by those qubits in registers and applies
 *    all of them (gates on distinct qubits commute, so they are ordered by ascending stride);
 *  - any other op is a pass of its own.
 * With grouping off every op is a pass of its own (one barrier per gate).
 * Returns the reordered op table (4 u32 per op, as compiled.ops) and the passes (4 u32 each:
 * kind, first op, op count, 0).
 */
export function schedulePasses(circuit: Circuit, ops: Uint32Array, grouping = true): { ops: Uint32Array; passes: Uint32Array } {
  if (!grouping) {
    const passes = new Uint32Array(ops.length);
    for (let g = 0; g < ops.length / 4; g++) passes.set([PASS_SINGLE, g, 1, 0], 4 * g);
    return { ops, passes };
  }
  const outOps: number[][] = [];
  const passes: number[] = [];
  let group: { kind: 'diagonal' | 'cube'; ops: number[] } | null = null;
  const record = (g: number) => Array.from(ops.subarray(4 * g, 4 * g + 4));
  const flush = () => {
    if (!group) return;
    const first = outOps.length;
    let kind: number;
    if (group.kind === 'diagonal') {
      kind = PASS_DIAGONAL;
      for (const g of group.ops) outOps.push(record(g));
    } else {
      kind = group.ops.length === 1 ? PASS_SINGLE : group.ops.length === 2 ? PASS_CUBE2 : PASS_CUBE3;
      const sorted = group.ops.map(record).sort((a, b) => a[1] - b[1]);
      outOps.push(...sorted);
    }
    passes.push(kind, first, group.ops.length, 0);
    group = null;
  };
  circuit.ops.forEach((op, g) => {
    const info = GATES[op.gate];
    if (info.diagonal) {
      if (group?.kind !== 'diagonal') flush();
      group ??= { kind: 'diagonal', ops: [] };
      group.ops.push(g);
      return;
    }
    if (info.arity === 1) {
      const target = ops[4 * g + 1];
      const fits = group?.kind === 'cube' && group.ops.length < 3 && group.ops.every((h) => ops[4 * h + 1] !== target);
      if (!fits) flush();
      group ??= { kind: 'cube', ops: [] };
      group.ops.push(g);
      return;
    }
    flush();
    passes.push(PASS_SINGLE, outOps.length, 1, 0);
    outOps.push(record(g));
  });
  flush();
  return { ops: Uint32Array.from(outOps.flat()), passes: Uint32Array.from(passes) };
}
