import { QmoeInputError, checkInt } from '../errors.js';
import type { ExpertsKind, ModelSpec } from './spec.js';

/**
 * The mixture options beyond the study's dense linear mixture, checked: the experts' form
 * (linear or quantum circuits), sparse routing (top-k or measurement shots) and the
 * load-balancing weight. Only what differs from the study's model is stored in the spec, so the
 * study's specs (and run ids) stay as they were.
 */

export const EXPERTS_KINDS: readonly ExpertsKind[] = ['linear', 'quantum'];
/** Largest circuit of one quantum expert (every expert of every sample is one row of one batch). */
export const MAX_EXPERT_QUBITS = 16;
export const MAX_ROUTE_SHOTS = 1_000_000;
export const MAX_BALANCE = 1000;
/** Default RY + CZ layers of a quantum expert. */
export const DEFAULT_EXPERT_LAYERS = 2;

/** The mixture options, as the spec stores them (spec.ts documents each; all optional). */
export type MixtureOptions = Pick<ModelSpec, 'expertsKind' | 'expertQubits' | 'expertLayers' | 'expertReupload' | 'topK' | 'routeShots' | 'balance'>;

type MixtureFields = MixtureOptions;

/** The checked mixture fields of a spec with these sizes; QmoeInputError naming the option otherwise. */
export function mixtureFields(options: MixtureOptions, sizes: { features: number; classes: number; experts: number }): MixtureFields {
  const out: MixtureFields = {};
  const kind = options.expertsKind ?? 'linear';
  if (!EXPERTS_KINDS.includes(kind)) throw new QmoeInputError('--experts-kind', kind, `must be one of ${EXPERTS_KINDS.join(', ')}`);
  if (kind === 'quantum') {
    const least = sizes.features;
    const qubits = checkInt('--expert-qubits', options.expertQubits ?? Math.max(least, 1), 1, MAX_EXPERT_QUBITS);
    if (qubits < least) throw new QmoeInputError('--expert-qubits', qubits, `a quantum expert embeds one feature per qubit: needs at least ${least} qubits for ${sizes.features} features`);
    if (least > MAX_EXPERT_QUBITS) throw new QmoeInputError('--experts-kind', kind, `quantum experts have at most ${MAX_EXPERT_QUBITS} qubits, one per feature; the data has ${sizes.features} features`);
    out.expertsKind = 'quantum';
    out.expertQubits = qubits;
    out.expertLayers = checkInt('--expert-layers', options.expertLayers ?? DEFAULT_EXPERT_LAYERS, 1, 1000);
    if (options.expertReupload !== undefined && typeof options.expertReupload !== 'boolean') throw new QmoeInputError('--expert-reupload', options.expertReupload, 'must be true or false');
    if (options.expertReupload === true) out.expertReupload = true;
  } else {
    for (const [name, value] of [['--expert-qubits', options.expertQubits], ['--expert-layers', options.expertLayers], ['--expert-reupload', options.expertReupload]] as const) {
      if (value !== undefined && value !== false) throw new QmoeInputError(name, value, 'applies to quantum experts only: add --experts-kind quantum');
    }
  }
  if (options.topK !== undefined && options.routeShots !== undefined) {
    throw new QmoeInputError('--route-shots', options.routeShots, 'cannot be combined with --top-k (two forms of sparse routing): give one of them');
  }
  if (options.topK !== undefined) {
    if (!Number.isInteger(options.topK) || options.topK < 1 || options.topK > sizes.experts) {
      throw new QmoeInputError('--top-k', options.topK, `must be an integer from 1 to the number of experts (${sizes.experts})`);
    }
    out.topK = options.topK;
  }
  if (options.routeShots !== undefined) out.routeShots = checkInt('--route-shots', options.routeShots, 1, MAX_ROUTE_SHOTS);
  if (options.balance !== undefined) {
    const w = options.balance;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > MAX_BALANCE) throw new QmoeInputError('--balance', w, `must be a number from 0 to ${MAX_BALANCE}`);
    if (w > 0) out.balance = w;
  }
  return out;
}

/** The mixture fields of a spec read from outside (a model file), as options for mixtureFields. */
export function mixtureOptionsOf(s: Record<string, unknown>, where: string): MixtureOptions {
  const ints = ['expertQubits', 'expertLayers', 'topK', 'routeShots'] as const;
  for (const k of ints) if (s[k] !== undefined && (typeof s[k] !== 'number' || !Number.isInteger(s[k]))) throw new QmoeInputError(`${where}.${k}`, s[k], 'must be an integer');
  if (s.balance !== undefined && typeof s.balance !== 'number') throw new QmoeInputError(`${where}.balance`, s.balance, 'must be a number');
  if (s.expertsKind !== undefined && !EXPERTS_KINDS.includes(s.expertsKind as ExpertsKind)) throw new QmoeInputError(`${where}.expertsKind`, s.expertsKind, `must be one of ${EXPERTS_KINDS.join(', ')}`);
  return {
    expertsKind: s.expertsKind as ExpertsKind | undefined,
    expertQubits: s.expertQubits as number | undefined,
    expertLayers: s.expertLayers as number | undefined,
    expertReupload: s.expertReupload as boolean | undefined,
    topK: s.topK as number | undefined,
    routeShots: s.routeShots as number | undefined,
    balance: s.balance as number | undefined,
  };
}

/** Spec field -> the option that sets it, for errors about stored specs. */
export const MIXTURE_OPTION_NAMES: Record<string, string> = {
  expertsKind: '--experts-kind',
  expertQubits: '--expert-qubits',
  expertLayers: '--expert-layers',
  expertReupload: '--expert-reupload',
  topK: '--top-k',
  routeShots: '--route-shots',
  balance: '--balance',
};

/**
 * The first option of `spec` that only the CPU engines run, or null: quantum experts (the WebGPU
 * engine's head has linear experts; it runs top-k, route shots and the balance loss).
 */
export function cpuOnlyOption(spec: ModelSpec): { option: string; value: unknown } | null {
  if (spec.expertsKind === 'quantum') return { option: '--experts-kind', value: 'quantum' };
  return null;
}

/** A circuit of the model: the quantum router's, or the quantum experts' (one circuit for all of them). */
export type QuantumPart = 'router' | 'experts';

/** The model's quantum circuits (those --gate-noise puts channels in), router first. */
export function quantumParts(spec: Pick<ModelSpec, 'router' | 'expertsKind'>): QuantumPart[] {
  const out: QuantumPart[] = [];
  if (spec.router === 'quantum') out.push('router');
  if (spec.expertsKind === 'quantum') out.push('experts');
  return out;
}
