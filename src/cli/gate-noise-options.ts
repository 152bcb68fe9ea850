import { QmoeInputError, checkInt } from '../errors.js';
import { MAX_SHOTS } from '../noise/shots.js';
import type { NoisyEngineOptions } from '../noise/training.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import { UsageError } from './args.js';

/**
 * `--gate-noise P [--trajectories T]` of a command line: undefined without --gate-noise; an error
 * for a rate outside [0, 1], T outside [1, MAX_TRAJECTORIES], --trajectories without --gate-noise,
 * a router other than quantum, or --backend webgpu. `note` says why --backend auto trains on the CPU.
 */
export function parseGateNoise(
  cmd: string,
  values: { 'gate-noise'?: string; trajectories?: string; shots?: string },
  router: string,
  backend: string,
  seed: number,
  usage: string,
): { options: Omit<NoisyEngineOptions, 'lr'>; note?: string } | undefined {
  const raw = values['gate-noise'];
  if (raw === undefined) {
    if (values.trajectories !== undefined) throw new UsageError(`${cmd}: --trajectories applies with --gate-noise only`, usage);
    if (values.shots !== undefined) throw new UsageError(`${cmd}: --shots applies with --gate-noise only (--gate-noise 0 for shot noise alone)`, usage);
    return undefined;
  }
  const p = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(p)) throw new UsageError(`${cmd}: --gate-noise ${JSON.stringify(raw)}: must be a number (an error rate from 0 to 1)`, usage);
  if (p < 0 || p > 1) throw new QmoeInputError('--gate-noise', p, 'an error rate must be a number from 0 to 1');
  let trajectories: number | undefined;
  if (values.trajectories !== undefined) {
    if (!/^\s*-?\d+\s*$/.test(values.trajectories)) throw new UsageError(`${cmd}: --trajectories ${JSON.stringify(values.trajectories)}: must be an integer`, usage);
    trajectories = checkInt('--trajectories', Number(values.trajectories), 1, MAX_TRAJECTORIES);
  }
  let shots: number | undefined;
  if (values.shots !== undefined) {
    if (!/^\s*-?\d+\s*$/.test(values.shots)) throw new UsageError(`${cmd}: --shots ${JSON.stringify(values.shots)}: must be an integer`, usage);
    shots = checkInt('--shots', Number(values.shots), 1, MAX_SHOTS);
  }
  if (router !== 'quantum') throw new QmoeInputError('--gate-noise', p, `applies to the quantum router only (got --router ${router})`);
  const note =
    backend === 'auto' ? 'noise-aware training (--gate-noise): the CPU engine with the circuit in float64 (--backend webgpu runs the noisy circuit and its gradient on the GPU)' : undefined;
  return { options: { p, trajectories, seed, shots }, note };
}
