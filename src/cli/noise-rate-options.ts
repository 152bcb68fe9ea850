import type { NoiseModel } from '../noise/model.js';
import { UsageError, int, num, type OptionValues } from './args.js';

/** The depolarizing noise of `qmoe simulate` and `qmoe grad`: --noise P [--p2 P2] [--readout R] [--seed N]. */
export const NOISE_RATE_OPTIONS = {
  noise: num(0, 1, { what: 'an error rate' }),
  p2: num(0, 1, { what: 'an error rate' }),
  readout: num(0, 1, { what: 'an error rate' }),
  seed: int(0, 0xffffffff),
} as const;

/**
 * The every-gate noise model of --noise, --p2 and --readout, or null without --noise; each of
 * `dependents` given without --noise is a usage error of `cmd`.
 */
export function noiseModelFrom<K extends string>(cmd: string, values: OptionValues<typeof NOISE_RATE_OPTIONS> & Partial<Record<K, unknown>>, dependents: readonly K[], usage: string): NoiseModel | null {
  const { noise: p, p2, readout } = values;
  if (p === undefined) {
    for (const k of dependents) {
      if (values[k] !== undefined) throw new UsageError(`${cmd}: --${k} needs --noise P (use --noise 0 for readout error alone)`, usage);
    }
    return null;
  }
  const model: NoiseModel = { p };
  if (p2 !== undefined) model.p2 = p2;
  if (readout !== undefined) model.readout = readout;
  return model;
}

/** The model as the JSON outputs give it. */
export function noiseModelJson(model: NoiseModel) {
  return { p: model.p, p2: model.p2 ?? model.p, readout: model.readout ?? 0, placement: 'every-gate' as const };
}

/** The model as the text outputs give it. */
export function noiseModelLine(model: NoiseModel): string {
  return `noise    p ${model.p}, p2 ${model.p2 ?? model.p}, readout ${model.readout ?? 0} (after every gate)`;
}
