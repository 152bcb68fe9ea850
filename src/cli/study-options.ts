import { IMAGE_OPTIONS } from './image-options.js';

/**
 * The options every study command (ablation, sweep, noise-sweep) takes: data set and its data
 * options, preset, seeds, training budget, engine, output folder and progress.
 */
export const STUDY_OPTIONS = {
  dataset: { type: 'string' },
  preset: { type: 'string' },
  seeds: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  patience: { type: 'string' },
  init: { type: 'string' },
  samples: { type: 'string' },
  noise: { type: 'string' },
  'data-seed': { type: 'string' },
  backend: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...IMAGE_OPTIONS,
} as const;
