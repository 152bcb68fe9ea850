import type { QasmProgram } from '../circuit/qasm/program.js';
import type { ChannelPoint, NoisePlacement } from './model.js';

/**
 * Noise after every gate *of the file* rather than after every op it was lowered to: u3 (three
 * ops), rzz or a user gate get one channel, like a simulator that runs them as one gate. The
 * channel acts on the wires the gate's ops touch: a one-qubit channel (rate p) for one wire, a
 * two-qubit channel (rate p2) for two, a one-qubit channel on each wire for more. Where every gate
 * of the file is one op this is the `every-gate` placement itself.
 */
export function fileGatePlacement(program: QasmProgram): NoisePlacement {
  const { gateOps, circuit } = program;
  if (gateOps.every((k) => k === 1)) return { kind: 'every-gate' };
  const points: ChannelPoint[] = [];
  let start = 0;
  for (const k of gateOps) {
    if (k > 0) {
      const wires: number[] = [];
      for (let g = start; g < start + k; g++) for (const w of circuit.ops[g].wires) if (!wires.includes(w)) wires.push(w);
      points.push(wires.length === 2 ? { after: start + k - 1, wires, pair: true } : { after: start + k - 1, wires });
    }
    start += k;
  }
  return { kind: 'points', points };
}
