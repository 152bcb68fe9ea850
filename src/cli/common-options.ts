import { MAX_SEED } from '../data/rng.js';
import { MAX_NOISE } from '../data/moons.js';
import { INITS, MAX_ROUTER_QUBITS, PRESETS, READOUTS, type SpecOptions } from '../moe/models.js';
import type { Preset } from '../moe/spec.js';
import type { Budget } from '../experiments/runner.js';
import { DATASETS, DEFAULT_MOONS, DEFAULT_SPLIT, type DatasetSettings } from '../train/dataset.js';
import { ENGINE_CHOICES } from '../train/select-engine.js';
import { presetTraining } from '../train/trainer.js';
import { UsageError, choice, flag, int, ints, num, text, type OptionValues } from './args.js';
import { IMAGE_OPTIONS, withImageOptions } from './image-options.js';

/**
 * The options several commands share, each defined once (kind and limits), and what they mean:
 * the data set (train, eval, ablation, sweep, noise-sweep, quantum-kernel), the training budget
 * and model sizes (train and the study commands) and the study commands' common set.
 */

/** Largest learning rate: Adam with a larger step only diverges. */
export const MAX_LR = 1000;

export const PRESET_OPTION = { preset: choice(PRESETS) } as const;
export const ENGINE_OPTION = { backend: choice(ENGINE_CHOICES) } as const;

/** Two Moons data: --dataset, --samples, --noise, --data-seed; your own: --data-file, --label-column. */
export const DATA_OPTIONS = {
  dataset: choice(DATASETS),
  samples: int(20, 1 << 24),
  noise: num(0, MAX_NOISE),
  'data-seed': int(0, MAX_SEED),
  'data-file': text(),
  'label-column': text(),
} as const;

/** The training budget: --epochs, --batch, --lr, --patience, --init. */
export const BUDGET_OPTIONS = {
  epochs: int(1, 1_000_000),
  batch: int(1, 1 << 24),
  lr: num(0, MAX_LR, { above: true }),
  patience: int(0, 1_000_000),
  init: choice(INITS),
} as const;

/** Model sizes over the preset's defaults: --qubits, --layers, --hidden, --experts. */
export const SIZE_OPTIONS = {
  qubits: int(1, MAX_ROUTER_QUBITS),
  layers: int(0, 10000),
  hidden: ints(1, 1 << 16),
  experts: int(1, 1 << 16),
} as const;

/** The quantum router's readout and data re-uploading: --readout, --reupload. */
export const READOUT_OPTIONS = { readout: choice(READOUTS), reupload: flag() } as const;

export const READOUT_HELP = `  --readout R        quantum router readout: blocks (P(expert) = blocks of basis states, the
                     first log2(experts) qubits: paper's default), z (<Z_i> of every qubit, a
                     linear adapter and softmax: code's default), parity (2^m experts, bit j the
                     parity of the qubits i with i mod m = j: every qubit counts)
  --reupload         the angle embedding again before every circuit layer (data re-uploading)
`;

/** The readout options given (makeSpec checks them with the sizes). */
export function readoutFrom(values: OptionValues<typeof READOUT_OPTIONS>): Pick<SpecOptions, 'readout' | 'reupload'> {
  return { readout: values.readout, reupload: values.reupload === true ? true : undefined };
}

/** What every study command (ablation, sweep, noise-sweep) takes. */
export const STUDY_OPTIONS = {
  ...DATA_OPTIONS,
  ...IMAGE_OPTIONS,
  ...PRESET_OPTION,
  ...BUDGET_OPTIONS,
  ...ENGINE_OPTION,
  seeds: int(1, 1000),
  out: text(),
  quiet: flag(),
} as const;

/** The value of a required option; a UsageError naming it when it is missing or empty. */
export function required<V>(command: string, option: string, what: string, value: V | undefined, usage: string): V {
  if (value === undefined || value === '') throw new UsageError(`${command}: --${option} ${what} is required`, usage);
  return value;
}

/**
 * Data set settings: `base` with the data options given (image settings are added by
 * withImageOptions). Your own data: --data-file F.csv [--label-column NAME] (src/data/csv.ts),
 * split like moons.
 */
export function datasetFrom(command: string, values: OptionValues<typeof DATA_OPTIONS>, base: DatasetSettings, usage: string): DatasetSettings {
  const name = values.dataset ?? base.name;
  const samples = values.samples ?? base.samples;
  const seed = values['data-seed'] ?? base.seed;
  const file = values['data-file'];
  const labelColumn = values['label-column'];
  if (file === undefined) {
    if (labelColumn !== undefined) throw new UsageError(`${command}: --label-column needs --data-file F.csv`, usage);
    if (name === 'csv' && values.dataset !== undefined) throw new UsageError(`${command}: --dataset csv needs --data-file F.csv`, usage);
    return { name, samples, noise: values.noise ?? base.noise, seed, split: base.split, ...(name === 'csv' ? { csv: base.csv } : {}) };
  }
  if (values.dataset !== undefined && name !== 'csv') throw new UsageError(`${command}: --data-file reads a CSV data set: give it without --dataset ${name}`, usage);
  if (file === '') throw new UsageError(`${command}: --data-file needs a file name`, usage);
  return { name: 'csv', samples, noise: 0, seed, split: base.split, csv: { file, labelColumn } };
}

/** The data set of train, the study commands and quantum-kernel: Two Moons by default, with the data and image options. */
export function dataFrom(command: string, values: OptionValues<typeof DATA_OPTIONS & typeof IMAGE_OPTIONS>, usage: string): DatasetSettings {
  return withImageOptions(command, values, datasetFrom(command, values, { ...DEFAULT_MOONS, split: DEFAULT_SPLIT }, usage), usage);
}

/** The budget options over the preset's training defaults (`epochs` replaces the preset's epochs). */
export function budgetFrom(values: OptionValues<typeof BUDGET_OPTIONS>, preset: Preset, epochs?: number): Budget {
  const d = presetTraining(preset);
  return {
    lr: values.lr ?? d.lr,
    epochs: values.epochs ?? epochs ?? d.epochs,
    batch: values.batch ?? d.batch,
    patience: values.patience ?? d.patience,
    init: values.init ?? 'uniform',
  };
}

/** The size options given (makeSpec fills in the rest and checks them together). */
export function sizesFrom(values: OptionValues<typeof SIZE_OPTIONS>): Pick<SpecOptions, 'qubits' | 'layers' | 'hidden' | 'experts'> {
  return { qubits: values.qubits, layers: values.layers, hidden: values.hidden, experts: values.experts };
}
