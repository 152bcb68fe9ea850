import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SPLIT } from '../../src/train/dataset.js';
import type { SweepOptions } from '../../src/experiments/sweep.js';
import { untimed } from './history.js';
import { runName } from './runs.js';

/** A sweep small enough for tests of where runs are trained: 5 runs of a few tens of ms (CPU engine). */
export const TINY_SWEEP_ARGS = ['sweep', '--samples', '60', '--epochs', '2', '--qubits-list', '2', '--layers-list', '1,2', '--widths', '2,4', '--mlp-layers', 'none', '--seeds', '1', '--backend', 'cpu'];

/** TINY_SWEEP_ARGS as library options. */
export function tinySweep(out: string): SweepOptions {
  return {
    dataset: { name: 'moons', samples: 60, noise: 0.1, seed: 42, split: DEFAULT_SPLIT },
    preset: 'paper',
    seeds: 1,
    budget: { lr: 0.01, epochs: 2, batch: 32, patience: 10, init: 'uniform' },
    backend: 'cpu',
    out,
    qubits: [2],
    layers: [1, 2],
    widths: [2, 4],
  };
}

/**
 * What must not depend on where the runs were trained: sweep.json without the command line,
 * sweep.md without its command block, and every run record (by name) without its wall times
 * (the run's seconds and each epoch's seconds and rows per second), and with the device's thread
 * count left out (each of N local workers runs on cores / N threads; the results do not depend
 * on the thread count, the fast CPU engine's reductions being in a fixed order).
 */
export function sweepTables(out: string): { json: unknown; md: string; runs: Record<string, unknown> } {
  const json = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
  delete json.command;
  const md = withoutThreads(readFileSync(join(out, 'sweep.md'), 'utf8').replace(/```\n[^\n]*\n```\n\n/, ''));
  const runs: Record<string, unknown> = {};
  for (const f of readdirSync(join(out, 'runs')).filter((n) => n.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(out, 'runs', f), 'utf8'));
    delete r.seconds;
    if (typeof r.device === 'string') r.device = withoutThreads(r.device);
    if (Array.isArray(r.history)) r.history = untimed(r.history);
    runs[runName(f.slice(0, -5))] = r;
  }
  return { json, md, runs };
}

const withoutThreads = (text: string) => text.replace(/, \d+ threads?/g, '');
