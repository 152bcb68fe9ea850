import type { Circuit } from '../circuit/types.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import type { NoiseModel } from '../noise/model.js';
import { MAX_SHOTS, sampleShots } from '../noise/shots.js';
import { noisyProbabilities } from '../noise/simulate.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import type { RealArray } from '../sim/backend.js';
import { CpuBackend } from '../sim/backend-cpu.js';
import { foldExperts } from '../sim/experts.js';
import { int, type OptionValues } from './args.js';
import { NOISE_RATE_OPTIONS, noiseModelFrom, noiseModelJson, noiseModelLine } from './noise-rate-options.js';
import { fmt, writeJsonRecord, writeStateTable } from './state-output.js';

/** The noise options of `qmoe simulate` (parsed with simulate's, interpreted here). */
export const NOISE_OPTIONS = {
  ...NOISE_RATE_OPTIONS,
  trajectories: int(1, MAX_TRAJECTORIES),
  shots: int(1, MAX_SHOTS),
} as const;

export const NOISE_HELP = `
Noise (depolarizing channel after every gate; exact density matrix when it fits, else trajectories):
  --noise P          error rate per gate, 0 to 1: X, Y, Z each with P/3 after one-qubit gates,
                     the 15 non-identity Pauli pairs each with P2/15 after two-qubit gates
  --p2 P2            rate after two-qubit gates (default P)
  --readout R        readout bit-flip probability per qubit (default 0)
  --trajectories T   Monte-Carlo trajectories (1 to ${MAX_TRAJECTORIES}) instead of the exact
                     density matrix (which serves up to 10 qubits on the CPU, 11 on WebGPU;
                     larger circuits take 1000 trajectories unless T is given)
  --seed N           seed of the trajectories and shots (default 0)
  --shots S          also sample S measurement outcomes (1 to ${MAX_SHOTS}) from the probabilities
  --json adds {noise, method[, trajectories, seed][, shots, counts, frequencies]}
`;

export interface NoiseCli {
  model: NoiseModel | null;
  trajectories?: number;
  shots?: number;
  seed: number;
}

/** The noise options given, or null when none was (the plain simulate path). */
export function parseNoiseOptions(values: OptionValues<typeof NOISE_OPTIONS>, usage: string): NoiseCli | null {
  const { trajectories, shots } = values;
  const seed = values.seed ?? 0;
  const model = noiseModelFrom('qmoe simulate', values, ['p2', 'readout', 'trajectories'], usage);
  if (!model) return shots === undefined ? null : { model: null, shots, seed };
  return { model, trajectories, shots, seed };
}

/** `qmoe simulate` with noise and/or shots: prints JSON or a table; returns the exit code. */
export async function simulateNoisy(circuit: Circuit, noise: NoiseCli, opts: { backend: 'cpu' | 'webgpu' | 'auto'; experts?: number; json: boolean; all: boolean }): Promise<number> {
  let gpu: GpuContext | null = null;
  try {
    const { acquireForBackend } = await import('../gpu/acquire.js');
    gpu = await acquireForBackend(opts.backend);
    const input = { rows: 1 };
    const dim = 2 ** circuit.qubits;
    let probs: RealArray;
    let method: string;
    let trajectories: number | undefined;
    if (noise.model) {
      const res = await noisyProbabilities(circuit, input, noise.model, { gpu, trajectories: noise.trajectories, seed: noise.seed });
      probs = res.probabilities;
      method = res.method;
      trajectories = res.trajectories;
    } else if (gpu) {
      const { WebGpuBackend } = await import('../sim/backend-gpu.js');
      probs = await new WebGpuBackend(gpu).probabilities(circuit, input);
      method = 'state-vector';
    } else {
      probs = await new CpuBackend().probabilities(circuit, input);
      method = 'state-vector';
    }
    if (gpu) checkDevice(gpu);
    const shots = noise.shots !== undefined ? sampleShots(probs, 1, dim, { shots: noise.shots, seed: noise.seed }) : undefined;
    const experts = opts.experts !== undefined ? foldExperts(probs, 1, dim, opts.experts) : undefined;
    const backend = gpu ? 'webgpu' : 'cpu';
    const adapter = gpu ? gpu.adapterName : null;
    if (opts.json) {
      const out: Record<string, unknown> = { qubits: circuit.qubits, probabilities: probs, backend, adapter, method };
      if (noise.model) out.noise = noiseModelJson(noise.model);
      if (trajectories !== undefined) out.trajectories = trajectories;
      if (trajectories !== undefined || shots) out.seed = noise.seed;
      if (experts) out.experts = Array.from(experts);
      if (shots) {
        out.shots = noise.shots;
        out.counts = shots.counts;
        out.frequencies = shots.frequencies;
      }
      await writeJsonRecord(process.stdout, out);
      return 0;
    }
    const n = circuit.qubits;
    const lines = [`backend  ${backend}${adapter ? ` (${adapter})` : ' (float64 reference)'}`, `qubits   ${n}`];
    if (noise.model) lines.push(noiseModelLine(noise.model));
    lines.push(`method   ${method}${trajectories !== undefined ? ` (${trajectories} trajectories, seed ${noise.seed})` : ''}`, '');
    process.stdout.write(lines.join('\n') + '\n');
    await writeStateTable(process.stdout, probs, n, { all: opts.all, counts: shots?.counts, shots: noise.shots });
    if (experts) process.stdout.write(['', 'expert  probability', ...Array.from(experts, (p, e) => `${String(e).padEnd(8)}${fmt(p)}`)].join('\n') + '\n');
    return 0;
  } finally {
    gpu?.destroy();
  }
}
