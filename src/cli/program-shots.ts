import { dynamicError } from '../circuit/qasm.js';
import type { QasmProgram } from '../circuit/qasm/program.js';
import { fileGatePlacement } from '../noise/file-gates.js';
import { noiseSchedule } from '../noise/model.js';
import { foldExperts } from '../sim/experts.js';
import { simulateProgramShots } from '../sim/program-cpu.js';
import { UsageError } from './args.js';
import type { NoiseCli } from './noise-simulate.js';
import { fmt } from './state-output.js';


/**
 * `qmoe simulate` of a program with a measurement, reset or `if` in the middle: only per shot
 * (--shots S), on the CPU, with --noise each shot one trajectory; the JSON holds the shot
 * frequencies of the final basis states (as `probabilities` and `frequencies`), their counts, and
 * the counts of the classical bits.
 */
export async function simulateProgram(program: QasmProgram, noise: NoiseCli | null, opts: { backend: 'cpu' | 'webgpu' | 'auto'; experts?: number; json: boolean }, usage: string): Promise<number> {
  const d = program.dynamic!;
  if (noise?.shots === undefined) throw dynamicError(program);
  if (noise.trajectories !== undefined) {
    throw new UsageError(`qmoe simulate: --trajectories: the circuit measures or resets in the middle (line ${d.line}: ${d.reason}), so every shot is one noise trajectory; drop --trajectories`, usage);
  }
  if (opts.backend === 'webgpu') {
    throw new UsageError(`qmoe simulate: --backend webgpu: the circuit measures or resets in the middle (line ${d.line}: ${d.reason}), which runs per shot on the CPU only; use --backend cpu or auto`, usage);
  }
  // Noise: one channel per gate of the file, every shot a trajectory.
  const schedule = noise.model ? noiseSchedule(program.circuit, { ...noise.model, placement: fileGatePlacement(program) }) : undefined;
  const res = simulateProgramShots(program, { shots: noise.shots, seed: noise.seed, noise: schedule });
  const n = program.circuit.qubits;
  const dim = 2 ** n;
  const experts = opts.experts !== undefined ? foldExperts(res.frequencies, 1, dim, opts.experts) : undefined;
  const method = schedule ? 'shots (mid-circuit measurement, one noise trajectory per shot)' : 'shots (mid-circuit measurement)';
  if (opts.json) {
    const out: Record<string, unknown> = {
      qubits: n, probabilities: Array.from(res.frequencies), backend: 'cpu', adapter: null, method,
      shots: res.shots, seed: noise.seed, counts: Array.from(res.counts), frequencies: Array.from(res.frequencies), classical: res.classical,
    };
    if (noise.model) out.noise = { p: noise.model.p, p2: noise.model.p2 ?? noise.model.p, readout: noise.model.readout ?? 0, placement: 'every-gate' };
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
