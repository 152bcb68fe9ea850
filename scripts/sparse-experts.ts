/**
 * The mixture options' comparison (results/sparse-experts/): dense and sparse routing, linear and
 * quantum experts, with and without load balancing, the quantum router (paper preset) on Two Moons
 * and MNIST 0 vs 1, K seeds each, with the collapse rate per variant.
 *
 *   nice npx tsx scripts/sparse-experts.ts --dataset moons|mnist --seeds 20 --out results/sparse-experts [--epochs N] [--patience N] [--train-size N] [--val-size N] [--only NAME,...]
 *
 * Every run is written to OUT/runs/<dataset>-<variant>-seed<k>.json as it finishes (a rerun skips
 * the runs already there, so an interrupted comparison resumes); OUT/<dataset>.json and
 * OUT/<dataset>.md summarise the runs present. Fast CPU engine (float32 circuits).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultLayers, makeSpec, type SpecOptions } from '../src/moe/models.js';
import { expertUsage } from '../src/train/expert-usage.js';
import { prepareData, DEFAULT_MOONS, DEFAULT_SPLIT, type DatasetSettings } from '../src/train/dataset.js';
import { defaultImageSettings } from '../src/data/images.js';
import { presetTraining } from '../src/train/trainer.js';
import { trainRun, type Budget } from '../src/experiments/runner.js';
import { collapseRule, compare, formatP, sampleStats } from '../src/stats/summary.js';

interface Variant {
  name: string;
  options: Partial<SpecOptions>;
}

/** 2 x 2 x 2: routing (dense, top-2 of 4), experts (linear, quantum), balance (0, 0.1); and routing by 8 shots. */
const VARIANTS: Variant[] = [];
for (const routing of ['dense', 'top2', 'shots8'] as const) {
  for (const experts of ['linear', 'quantum'] as const) {
    for (const balance of [0, 0.1]) {
      VARIANTS.push({
        name: `${routing}-${experts}${balance ? '-balance' : ''}`,
        options: {
          ...(routing === 'top2' ? { topK: 2 } : routing === 'shots8' ? { routeShots: 8 } : {}),
          ...(experts === 'quantum' ? { expertsKind: 'quantum' as const } : {}),
          ...(balance ? { balance } : {}),
        },
      });
    }
  }
}

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'moons' },
    seeds: { type: 'string', default: '20' },
    out: { type: 'string', default: 'results/sparse-experts' },
    epochs: { type: 'string' },
    patience: { type: 'string' },
    'train-size': { type: 'string' },
    'val-size': { type: 'string' },
    only: { type: 'string' },
    'summary-only': { type: 'boolean', default: false },
  },
});
const dataset = values.dataset!;
if (dataset !== 'moons' && dataset !== 'mnist') throw new Error(`--dataset must be moons or mnist, not ${dataset}`);
const seeds = Number(values.seeds);
const out = values.out!;
const runsDir = join(out, 'runs');
mkdirSync(runsDir, { recursive: true });
const train = presetTraining('paper');
const budget: Budget = {
  lr: train.lr,
  epochs: values.epochs ? Number(values.epochs) : train.epochs,
  batch: train.batch,
  patience: values.patience ? Number(values.patience) : train.patience,
  init: 'uniform',
};
const settings: DatasetSettings =
  dataset === 'moons'
    ? { ...DEFAULT_MOONS, split: DEFAULT_SPLIT }
    : { name: 'mnist', samples: 0, noise: 0, seed: 42, split: DEFAULT_SPLIT, image: { ...defaultImageSettings('mnist'), ...(values['train-size'] ? { train: Number(values['train-size']) } : {}), ...(values['val-size'] ? { validation: Number(values['val-size']) } : {}) } };
const data = prepareData(settings, 'paper');
const only = values.only?.split(',');
const variants = VARIANTS.filter((v) => !only || only.includes(v.name));

function specOf(v: Variant) {
  return makeSpec({ router: 'quantum', preset: 'paper', features: data.features, classes: data.classes, layers: defaultLayers(dataset, 'paper'), ...v.options });
}

if (!values['summary-only']) {
  for (let seed = 0; seed < seeds; seed++) {
    for (const v of variants) {
      const file = join(runsDir, `${dataset}-${v.name}-seed${seed}.json`);
      if (existsSync(file)) continue;
      const spec = specOf(v);
      const record = await trainRun(`${v.name}-seed${seed}`, spec, data, budget, seed, 'cpu');
      const usage = await expertUsage(spec, Float64Array.from(record.finalParams), data.splits.test);
      const { history, finalParams, ...kept } = record;
      writeFileSync(file, JSON.stringify({ ...kept, variant: v.name, experts: usage, epochs: history.length }, null, 1) + '\n');
      process.stderr.write(`${dataset} ${v.name} seed ${seed}: test accuracy ${(100 * record.test.accuracy).toFixed(2)}%, imbalance ${usage.imbalance.toFixed(3)}, ${record.seconds.toFixed(1)} s\n`);
    }
  }
}

// Summary of the runs present.
interface Run {
  seed: number;
  test: { accuracy: number };
  seconds: number;
  epochsRun: number;
  experts: { imbalance: number; samples: number[] };
  params: { total: number };
  device: string;
}
const rule = collapseRule(dataset);
const rows: string[] = [];
const json: Record<string, unknown> = {};
const bySeed = new Map<string, Map<number, Run>>();
for (const v of VARIANTS) {
  const runs = new Map<number, Run>();
  for (const f of readdirSync(runsDir).filter((f) => f.startsWith(`${dataset}-${v.name}-seed`))) {
    const r = JSON.parse(readFileSync(join(runsDir, f), 'utf8')) as Run;
    runs.set(r.seed, r);
  }
  bySeed.set(v.name, runs);
}
const pct = (x: number) => (100 * x).toFixed(2);
let device = '';
for (const v of VARIANTS) {
  const runs = [...bySeed.get(v.name)!.values()].sort((a, b) => a.seed - b.seed);
  if (runs.length < 2) continue;
  device ||= runs[0].device;
  const acc = runs.map((r) => r.test.accuracy);
  const s = sampleStats(acc, rule);
  const imbalance = runs.map((r) => r.experts.imbalance);
  const maxShare = runs.map((r) => Math.max(...r.experts.samples));
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  json[v.name] = { seeds: runs.map((r) => r.seed), accuracy: s, imbalance, maxShare, seconds: runs.map((r) => r.seconds), params: runs[0].params.total };
  rows.push(
    `| ${v.name} | ${runs.length} | ${runs[0].params.total} | ${pct(s.mean)} ± ${pct(s.sd ?? NaN)} | ${pct(s.median)} | [${pct(s.interval.low)}, ${pct(s.interval.high)}] | ${pct(s.min)} | ${s.collapse.count}/${runs.length} (${(100 * s.collapse.rate).toFixed(0)}%) | ${mean(imbalance).toFixed(3)} | ${pct(mean(maxShare))} | ${mean(runs.map((r) => r.seconds)).toFixed(1)} |`,
  );
}
// Paired effects of balance and of sparse routing (same seeds).
const effects: string[] = [];
const paired = (a: string, b: string) => {
  const ra = bySeed.get(a)!, rb = bySeed.get(b)!;
  const common = [...ra.keys()].filter((k) => rb.has(k)).sort((x, y) => x - y);
  if (common.length < 2) return;
  const c = compare(`${b} - ${a}`, common.map((k) => ra.get(k)!.test.accuracy), common.map((k) => rb.get(k)!.test.accuracy));
  effects.push(`| ${b} − ${a} | ${common.length} | ${(100 * c.meanDifference).toFixed(2)} | ${formatP(c.test.p)} |`);
};
for (const experts of ['linear', 'quantum']) {
  for (const routing of ['dense', 'top2', 'shots8']) paired(`${routing}-${experts}`, `${routing}-${experts}-balance`);
  for (const b of ['', '-balance']) {
    paired(`dense-${experts}${b}`, `top2-${experts}${b}`);
    paired(`dense-${experts}${b}`, `shots8-${experts}${b}`);
  }
}
for (const routing of ['dense', 'top2', 'shots8']) paired(`${routing}-linear`, `${routing}-quantum`);

const md = `# Sparse routing, quantum experts and load balancing: ${dataset === 'moons' ? 'Two Moons' : 'MNIST 0 vs 1'}

Made by \`nice npx tsx scripts/sparse-experts.ts --dataset ${dataset} --seeds ${seeds} --out ${out}${values.epochs ? ` --epochs ${values.epochs}` : ''}${values.patience ? ` --patience ${values.patience}` : ''}${values['train-size'] ? ` --train-size ${values['train-size']}` : ''}${values['val-size'] ? ` --val-size ${values['val-size']}` : ''}${only ? ` --only ${only.join(',')}` : ''}\`.

Router: the quantum router of the paper preset (${data.features} qubits, ${defaultLayers(dataset, 'paper') ?? 12} layers, 4 experts =
blocks of basis states). Budget: Adam lr ${budget.lr}, batch ${budget.batch}, at most ${budget.epochs} epochs, patience ${budget.patience}
(the parameters of the best validation epoch are kept). Data: ${data.source}; test accuracy on
the held-out test split (${data.splits.test.rows} rows). Engine: ${device}.

Variants: routing dense (every expert, weights P), top2 (the 2 most probable of 4 experts,
renormalised) or shots8 (the gate is the histogram of 8 measurement shots of the router; only
the experts drawn run; score-function gradient with a leave-one-out baseline); experts linear or
quantum (a 2-layer RY + CZ circuit per expert with its own readout layer); balance: the Switch
Transformer loss with weight 0.1. "imbalance" is experts x sum_e f_e Pbar_e on the test split
(1 = balanced, 4 = one expert takes everything), "max share" the largest fraction of test rows
routed to one expert (mean over seeds).

Collapse: ${rule.description}.

| variant | seeds | params | accuracy % (mean ± sd) | median | 95% bootstrap CI of the mean | min | collapsed | imbalance | max share % | s / run |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Paired differences in test accuracy (points; same seeds; two-sided paired permutation test):

| difference | seeds | mean (points) | p |
|---|---|---|---|
${effects.join('\n')}
`;
writeFileSync(join(out, `${dataset}.md`), md);
writeFileSync(join(out, `${dataset}.json`), JSON.stringify({ dataset, budget, seedsAsked: seeds, rule, variants: json }, null, 1) + '\n');
process.stdout.write(md);
