import { EXPERTS_KINDS, MAX_BALANCE, MAX_EXPERT_QUBITS, MAX_ROUTE_SHOTS, type MixtureOptions } from '../moe/mixture-spec.js';
import { choice, flag, int, num, type OptionValues } from './args.js';

/**
 * The mixture options beyond the study (train): the experts' form, sparse routing and load
 * balancing. makeSpec checks them against the sizes (e.g. --top-k at most the experts).
 */
export const MIXTURE_OPTIONS = {
  'experts-kind': choice(EXPERTS_KINDS),
  'expert-qubits': int(1, MAX_EXPERT_QUBITS),
  'expert-layers': int(1, 1000),
  'expert-reupload': flag(),
  'top-k': int(1, 1 << 16),
  'route-shots': int(1, MAX_ROUTE_SHOTS),
  balance: num(0, MAX_BALANCE),
} as const;

export const MIXTURE_HELP = `  --experts-kind K   linear (W x + b per expert; the default) or quantum (each expert a circuit
                     of its own: RY(x_i) embedding, RY + CZ layers, <Z> of every qubit, then its
                     own linear map to class logits; every expert of every sample runs as one batch)
  --expert-qubits N  quantum experts' qubits (default one per feature)
  --expert-layers N  quantum experts' RY + CZ layers (default 2)
  --expert-reupload  quantum experts embed the data again before every layer
  --top-k K          sparse routing: the K most probable experts per sample, renormalised (K = the
                     number of experts is the dense model; K = 1 gives the router no gradient but
                     the balance loss's: the kept expert's renormalised weight is 1)
  --route-shots S    sparse routing by measurement: the gate is the histogram of S draws from the
                     router's distribution (for the quantum router, S shots of its circuit); only
                     the experts drawn run; the router learns by the score-function estimator with
                     a baseline (the batch's other rows' mean loss); draws seeded by --seed
  --balance W        load-balancing loss W * experts * sum_e f_e * Pbar_e (Switch Transformer; f_e
                     the fraction routed to expert e, Pbar_e its mean probability), any router
                     (default 0). --top-k, --route-shots and --balance run on every engine;
                     --experts-kind quantum: auto picks cpu; --backend webgpu runs the
                     circuits on the GPU, the head on the CPU
`;

/** The mixture options given, as makeSpec's options. */
export function mixtureFrom(values: OptionValues<typeof MIXTURE_OPTIONS>): MixtureOptions {
  return {
    expertsKind: values['experts-kind'],
    expertQubits: values['expert-qubits'],
    expertLayers: values['expert-layers'],
    expertReupload: values['expert-reupload'] === true ? true : undefined,
    topK: values['top-k'],
    routeShots: values['route-shots'],
    balance: values.balance,
  };
}
