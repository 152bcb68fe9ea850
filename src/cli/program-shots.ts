import { dynamicError } from '../circuit/qasm.js';
import type { QasmProgram } from '../circuit/qasm/program.js';
import { foldExperts } from '../sim/experts.js';
import { simulateProgramShots } from '../sim/program-cpu.js';
import { UsageError } from './args.js';
import type { NoiseCli } from './noise-simulate.js';

function fmt(p: number): string {
  return String(Number(p.toPrecision(10)));
}

/**
 * `qmoe simulate` of a program with a measurement, reset or `if` in the middle: only per shot
 * (--shots S), on the CPU, without noise; the JSON holds the shot frequencies of the final basis
 * states (as `probabilities` and `frequencies`), their counts, and the counts of the classical bits.
 */
export async function simulateProgram(program: QasmProgram, noise: NoiseCli | null, opts: { backend: 'cpu' | 'webgpu' | 'auto'; experts?: number; json: boolean }, usage: string): Promise<number> {
  const d = program.dynamic!;
  if (noise?.shots === undefined) throw dynamicError(program);
  if (noise.model) {
    throw new UsageError(`qmoe simulate: --noise: the circuit measures or resets in the middle (line ${d.line}: ${d.reason}); noise with mid-circuit measurement is not supported, drop --noise`, usage);
  }
  if (opts.backend === 'webgpu') {
    throw new UsageError(`qmoe simulate: --backend webgpu: the circuit measures or resets in the middle (line ${d.line}: ${d.reason}), which runs per shot on the CPU only; use --backend cpu or auto`, usage);
  }
  const res = simulateProgramShots(program, { shots: noise.shots, seed: noise.seed });
  const n = program.circuit.qubits;
  const dim = 2 ** n;
  const experts = opts.experts !== undefined ? foldExperts(res.frequencies, 1, dim, opts.experts) : undefined;
  const method = 'shots (mid-circuit measurement)';
  if (opts.json) {
    const out: Record<string, unknown> = {
      qubits: n, probabilities: Array.from(res.frequencies), backend: 'cpu', adapter: null, method,
      shots: res.shots, seed: noise.seed, counts: Array.from(res.counts), frequencies: Array.from(res.frequencies), classical: res.classical,
    };
    if (experts) out.experts = Array.from(experts);
    process.stdout.write(JSON.stringify(out) + '\n');
    return 0;
  }
  const lines = ['backend  cpu (float64 reference)', `qubits   ${n}`, `method   ${method}: ${res.shots} shots, seed ${noise.seed} (line ${d.line}: ${d.reason})`, ''];
  const w = Math.max(n, 5) + 2;
  lines.push(`${'state'.padEnd(w)}frequency    count`);
  for (let k = 0; k < dim; k++) {
    if (res.counts[k] > 0) lines.push(`${k.toString(2).padStart(n, '0').padEnd(w)}${fmt(res.frequencies[k]).padEnd(13)}${res.counts[k]}`);
  }
  if (program.clbits > 0) {
    lines.push('', `${'classical bits'.padEnd(Math.max(program.clbits, 14) + 2)}count`);
    for (const [bits, c] of Object.entries(res.classical).sort()) lines.push(`${bits.padEnd(Math.max(program.clbits, 14) + 2)}${c}`);
  }
  if (experts) lines.push('', 'expert  frequency', ...Array.from(experts, (p, e) => `${String(e).padEnd(8)}${fmt(p)}`));
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
