import type { TopLevelSpec } from 'vega-lite';
import { QmoeInputError, checkInt } from '../errors.js';
import { countParams, defaultLayers, makeSpec } from '../moe/models.js';
import type { ModelSpec, Preset, RouterKind } from '../moe/spec.js';
import { DEFAULT_GRADIENT_TRAJECTORIES } from '../noise/backend.js';
import { type GateNoiseRecord, type RouterNoisePlacement, createNoisyCpuEngine, presetPlacement } from '../noise/training.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import { makeRunSpec, type RunSpec } from '../jobs/spec.js';
import { runStudy, type StudyPlan } from '../jobs/study.js';
import { prepareData, type DatasetSettings, type PreparedData } from '../train/dataset.js';
import type { NoiseRunConfig, NoiseRunRecord } from './noise-run.js';
import { formatDuration, type ProgressSink } from './progress.js';
import { deviceName, meanStd, scoreAllSplits, type Budget, type StudyOptions } from './runner.js';

export type { NoiseRunConfig, NoiseRunRecord } from './noise-run.js';

/**
 * The study's robustness experiment (its Table II): accuracy of the quantum router B under
 * depolarizing noise against the classical baseline A (linear router), in the two protocols of
 * docs/study.md:
 *
 * - preset `paper` (the text): A and B are trained without noise (seeds 0..K-1); B's test
 *   accuracy is then evaluated with depolarizing channels after every gate of its circuit at each
 *   p in PAPER_RATES, exactly (density matrices). With `noiseAware`, B is also trained under the
 *   noise at each p > 0 (noise-aware adjoint gradients over T trajectories).
 * - preset `code` (the notebooks): B is retrained from its seeded initialisation under noise
 *   (channels on every qubit after the embedding and after the last layer) for the budget's epochs
 *   (20 by default) at each p in CODE_RATES. The notebooks score on the training data; we report
 *   both the held-out test and the training accuracy and compare the claim with the latter.
 *
 * In every protocol p = 0 is the noiseless B (one run per seed, trained on the exact state-vector
 * simulator), and every column "evaluated under noise" scores that noiseless B. Every training
 * run is written atomically to DIR/runs/<id>.json and skipped on a later call with the same
 * configuration; evaluations are exact and cheap, so they are recomputed. CPU engine only: the
 * GPU has no noise-aware gradient yet.
 */
export const PAPER_RATES: readonly number[] = [0, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05];
export const CODE_RATES: readonly number[] = [0, 0.02, 0.05, 0.1, 0.15, 0.2];

export function defaultRates(preset: Preset): number[] {
  return [...(preset === 'paper' ? PAPER_RATES : CODE_RATES)];
}

/** What the study claims (docs/study.md), as fractions. */
export interface NoiseClaims {
  source: string;
  measuredOn: 'test (unstated split)' | 'training data';
  /** The classical baseline's accuracy, where the study gives one. */
  baseline: number | null;
  points: { p: number; accuracy: number }[];
}

export const NOISE_CLAIMS: Record<Preset, NoiseClaims> = {
  paper: {
    source: 'text, Table II (noise after every gate)',
    measuredOn: 'test (unstated split)',
    baseline: 0.65,
    points: [
      { p: 0, accuracy: 0.94 },
      { p: 0.005, accuracy: 0.92 },
      { p: 0.01, accuracy: 0.89 },
      { p: 0.02, accuracy: 0.82 },
      { p: 0.03, accuracy: 0.73 },
    ],
  },
  code: {
    source: 'notebook printout (retrained under noise after embedding and layers, 20 epochs)',
    measuredOn: 'training data',
    baseline: null,
    points: [
      { p: 0, accuracy: 1.0 },
      { p: 0.02, accuracy: 0.982 },
      { p: 0.05, accuracy: 0.989 },
      { p: 0.1, accuracy: 0.994 },
      { p: 0.15, accuracy: 0.986 },
      { p: 0.2, accuracy: 0.975 },
    ],
  },
};

/** Training budget of the code preset's retraining under noise: its defaults with 20 epochs. */
export const CODE_NOISE_EPOCHS = 20;

export interface NoiseSweepOptions extends StudyOptions {
  /** Seeds 0..seeds-1 (default 3). */
  seeds?: number;
  /** Error rates (default: the preset's). */
  rates?: number[];
  /** Trajectories per row of the noise-aware gradient (default DEFAULT_GRADIENT_TRAJECTORIES). */
  trajectories?: number;
  /** Also train B under noise at each p > 0 in the paper preset (the code preset always does). */
  noiseAware?: boolean;
  /** Circuit layers / qubits of B (preset defaults otherwise). */
  sizes?: { layers?: number; qubits?: number };
}

type Stat = ReturnType<typeof meanStd>;

export interface NoisePoint {
  p: number;
  /** Noiseless B evaluated under noise at p (exact). */
  evaluated: { test: Stat; train: Stat };
  /** B trained under noise at p and evaluated under it (code preset, or --noise-aware). */
  trained?: { test: Stat; train: Stat };
  /** The study's number at p (fraction), if any. */
  claimed: number | null;
  /** Ours, on the split the claim was measured on, from the protocol's column. */
  ours: number;
  difference: number | null;
}

export interface NoiseSweepResult {
  format: 'qmoe-noise-sweep';
  version: 1;
  command?: string;
  dataset: DatasetSettings;
  preset: Preset;
  placement: RouterNoisePlacement;
  /** evaluate: noiseless B evaluated under noise; train-under-noise: B retrained at each p. */
  protocol: 'evaluate' | 'train-under-noise';
  rates: number[];
  seeds: number;
  budget: Budget;
  trajectories: number;
  rows: { train: number; validation: number; test: number };
  spec: { baseline: ModelSpec; quantum: ModelSpec };
  params: { baseline: ReturnType<typeof countParams>; quantum: ReturnType<typeof countParams> };
  baseline: { test: Stat; train: Stat; claimed: number | null };
  /** Noiseless B on the state-vector simulator (p = 0 must equal this). */
  noiseless: { test: Stat; train: Stat };
  points: NoisePoint[];
  study: NoiseClaims;
  /** Every evaluation of a noiseless B under noise. */
  evaluations: { seed: number; p: number; test: { accuracy: number; f1: number; loss: number }; train: { accuracy: number } }[];
  /** Every training run (without its history and parameters: see runs/<id>.json). */
  runs: { id: string; router: RouterKind; seed: number; p: number | null; test: { accuracy: number; f1: number; loss: number }; train: { accuracy: number }; epochsRun: number; bestEpoch: number; seconds: number; noise: GateNoiseRecord | null }[];
  seconds: { training: number; evaluation: number };
  device: string;
}

/** Checks the rates: numbers in [0, 1], no repeats; returns them sorted. */
export function checkRates(rates: unknown): number[] {
  if (!Array.isArray(rates) || rates.length < 1 || rates.length > 64) throw new QmoeInputError('--rates', rates, 'must list 1 to 64 error rates');
  rates.forEach((p, i) => {
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) throw new QmoeInputError(`--rates[${i}]`, p, 'an error rate must be a number from 0 to 1');
  });
  const sorted = [...(rates as number[])].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) throw new QmoeInputError('--rates', sorted[i], 'is listed twice');
  return sorted;
}

/** Scores given parameters of B with its circuit under noise at rate p (exact for small circuits). */
export async function evaluateUnderNoise(spec: ModelSpec, params: ArrayLike<number>, data: PreparedData, p: number, placement: RouterNoisePlacement, trajectories: number, seed: number) {
  const { engine } = createNoisyCpuEngine(spec, { lr: 0.01, p, placement, trajectories, seed });
  try {
    await engine.setParams(Float64Array.from(params));
    const s = await scoreAllSplits(engine, data);
    return { test: { accuracy: s.test.accuracy, f1: s.test.f1, loss: s.test.loss }, train: { accuracy: s.train.accuracy } };
  } finally {
    engine.dispose();
  }
}

function rateId(p: number): string {
  return `p${p}`;
}

/**
 * The noise sweep as a plan (src/jobs/study.ts): the training runs (A and B per seed, and B under
 * noise at each p > 0 when it is retrained there), then the evaluations under noise and the table
 * from their records (DIR/noise.json, noise.md, noise.svg, noise.png).
 */
export function planNoiseSweep(o: NoiseSweepOptions): StudyPlan<NoiseRunRecord, NoiseSweepResult> {
  const seeds = checkInt('--seeds', o.seeds ?? 3, 1, 1000);
  const rates = checkRates(o.rates ?? defaultRates(o.preset));
  const trajectories = checkInt('--trajectories', o.trajectories ?? DEFAULT_GRADIENT_TRAJECTORIES, 1, MAX_TRAJECTORIES);
  const underNoise = o.preset === 'code' || o.noiseAware === true;
  const placement = presetPlacement(o.preset);
  const data = prepareData(o.dataset, o.preset);
  const base = { preset: o.preset, features: data.features, classes: data.classes };
  const baselineSpec = makeSpec({ ...base, router: 'linear' });
  const quantumSpec = makeSpec({ ...base, router: 'quantum', qubits: o.sizes?.qubits, layers: o.sizes?.layers ?? defaultLayers(data.settings.name, o.preset) });
  const specs: RunSpec[] = [];
  const job = (name: string, kind: string, spec: ModelSpec, seed: number, noise: NoiseRunConfig['noise']) =>
    specs.push(
      makeRunSpec({
        name,
        study: 'noise-sweep',
        kind,
        label: `${spec.router}${noise ? ` under noise p=${noise.p}` : ''} seed ${seed}`,
        seed,
        preset: o.preset,
        backend: 'cpu',
        config: { dataset: data.settings, spec, budget: o.budget, noise },
      }),
    );
  for (let seed = 0; seed < seeds; seed++) {
    job(`linear-seed${seed}`, 'linear', baselineSpec, seed, null);
    job(`quantum-seed${seed}`, 'quantum', quantumSpec, seed, null);
    if (underNoise) for (const p of rates) if (p > 0) job(`quantum-${rateId(p)}-seed${seed}`, 'quantum-noisy', quantumSpec, seed, { p, placement, trajectories });
  }
  return {
    name: 'noise-sweep',
    specs,
    done: (run) => `test accuracy ${(100 * run.test.accuracy).toFixed(2)}%, train ${(100 * run.train.accuracy).toFixed(2)}%`,
    finish: async (runs, log) => {
      const result = await summarizeNoiseSweep(o, { seeds, rates, trajectories, underNoise, placement, data, baselineSpec, quantumSpec, specs, runs, log });
      const svg = await noiseSvg(result);
      const { svgToPng } = await import('../plot/render.js');
      const files: [string, string | Uint8Array][] = [
        ['noise.json', JSON.stringify(result, null, 2) + '\n'],
        ['noise.md', noiseMarkdown(result)],
        ['noise.svg', svg],
        ['noise.png', svgToPng(svg)],
      ];
      return { result, files };
    },
  };
}

/** Runs (or resumes) a noise sweep (planNoiseSweep) where `o.execution` says. */
export function runNoiseSweep(o: NoiseSweepOptions): Promise<NoiseSweepResult> {
  return runStudy(o, planNoiseSweep(o));
}

/** Evaluates each seed's noiseless B under noise at every rate, and gathers the table. */
async function summarizeNoiseSweep(
  o: NoiseSweepOptions,
  c: {
    seeds: number;
    rates: number[];
    trajectories: number;
    underNoise: boolean;
    placement: RouterNoisePlacement;
    data: PreparedData;
    baselineSpec: ModelSpec;
    quantumSpec: ModelSpec;
    specs: RunSpec[];
    runs: Map<string, NoiseRunRecord>;
    log: ProgressSink;
  },
): Promise<NoiseSweepResult> {
  const { seeds, rates, trajectories, underNoise, placement, data, baselineSpec, quantumSpec, specs, runs, log } = c;
  // Noiseless B of each seed under noise at every p (exact density matrices for small circuits).
  const t0 = performance.now();
  const evaluations: NoiseSweepResult['evaluations'] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const b = runs.get(specs.find((s) => s.name === `quantum-seed${seed}`)!.id)!;
    for (const p of rates) {
      const e = await evaluateUnderNoise(quantumSpec, b.finalParams, data, p, placement, trajectories, seed);
      evaluations.push({ seed, p, ...e });
    }
    log.status(`noise-sweep: evaluated seed ${seed} at ${rates.length} error rates`);
  }
  const evalSeconds = (performance.now() - t0) / 1000;
  log.line(`noise-sweep: ${evaluations.length} evaluations under noise, ${formatDuration(evalSeconds)}`);

  const claims = NOISE_CLAIMS[o.preset];
  const onTrainData = claims.measuredOn === 'training data';
  const all = specs.map((s) => runs.get(s.id)!);
  const stat = (rs: { test: { accuracy: number }; train: { accuracy: number } }[]) => ({ test: meanStd(rs.map((r) => r.test.accuracy)), train: meanStd(rs.map((r) => r.train.accuracy)) });
  const linear = all.filter((r) => r.config.spec.router === 'linear');
  const noiseless = all.filter((r) => r.config.spec.router === 'quantum' && r.config.noise === null);
  const points: NoisePoint[] = rates.map((p) => {
    const evaluated = stat(evaluations.filter((e) => e.p === p));
    const trained = underNoise ? stat(p === 0 ? evaluations.filter((e) => e.p === 0) : all.filter((r) => r.config.noise?.p === p)) : undefined;
    const main = trained ?? evaluated;
    const ours = (onTrainData ? main.train : main.test).mean;
    const claimed = claims.points.find((c) => Math.abs(c.p - p) < 1e-12)?.accuracy ?? null;
    return { p, evaluated, ...(trained ? { trained } : {}), claimed, ours, difference: claimed === null ? null : ours - claimed };
  });
  const result: NoiseSweepResult = {
    format: 'qmoe-noise-sweep',
    version: 1,
    command: o.command,
    dataset: data.settings,
    preset: o.preset,
    placement,
    protocol: underNoise ? 'train-under-noise' : 'evaluate',
    rates,
    seeds,
    budget: o.budget,
    trajectories,
    rows: { train: data.splits.train.rows, validation: data.splits.validation.rows, test: data.splits.test.rows },
    spec: { baseline: baselineSpec, quantum: quantumSpec },
    params: { baseline: countParams(baselineSpec), quantum: countParams(quantumSpec) },
    baseline: { ...stat(linear), claimed: claims.baseline },
    noiseless: stat(noiseless),
    points,
    study: claims,
    evaluations,
    runs: all.map((r) => ({
      id: r.id,
      router: r.config.spec.router,
      seed: r.seed,
      p: r.config.spec.router === 'quantum' ? (r.config.noise?.p ?? 0) : null,
      test: { accuracy: r.test.accuracy, f1: r.test.f1, loss: r.test.loss },
      train: { accuracy: r.train.accuracy },
      epochsRun: r.epochsRun,
      bestEpoch: r.bestEpoch,
      seconds: r.seconds,
      noise: r.noise ?? null,
    })),
    seconds: { training: all.reduce((s, r) => s + r.seconds, 0), evaluation: evalSeconds },
    device: deviceName('cpu'),
  };
  return result;
}

const pct = (v: number) => (100 * v).toFixed(2);
const pm = (s: { mean: number; std: number | null }) => (s.std === null ? pct(s.mean) : `${pct(s.mean)} ± ${pct(s.std)}`);

/** Table II: accuracy per error rate (mean ± sample std over seeds), the baseline, the study's numbers beside ours. */
export function noiseMarkdown(r: NoiseSweepResult): string {
  const trained = r.protocol === 'train-under-noise';
  const onTrain = r.study.measuredOn === 'training data';
  const where = r.placement === 'every-gate' ? 'after every gate' : 'on every qubit after the embedding and after the last layer';
  const lines = [`# Noise robustness (Table II): ${r.dataset.name}, preset \`${r.preset}\``, ''];
  if (r.command) lines.push('```', r.command, '```', '');
  lines.push(
    `Depolarizing channels of rate p ${where} of the quantum router's circuit (B: ${r.spec.quantum.qubits} qubits, ${r.spec.quantum.layers} layers, ${r.params.quantum.router} router parameters); ` +
      `baseline: the linear router A (${r.params.baseline.router} router parameters), noiseless. ` +
      `${r.seeds} seed(s); mean ± sample std in %. Budget: Adam lr ${r.budget.lr}, batch ${r.budget.batch}, at most ${r.budget.epochs} epochs, patience ${r.budget.patience}. ` +
      `Rows: ${r.rows.train} train / ${r.rows.validation} validation / ${r.rows.test} test.`,
    '',
    trained
      ? `Protocol: B retrained from its seeded initialisation under the noise at each p > 0 (losses from exact density matrices, noise-aware adjoint gradients over ${r.trajectories} trajectories per row), then scored under that noise; "evaluated" columns score the noiseless B under the noise. p = 0 is the noiseless B.`
      : 'Protocol: A and B trained without noise; B scored under the noise at each p (exact density matrices).',
    '',
  );
  const head = ['p'];
  if (trained) head.push('B trained under noise: test', 'B trained under noise: train');
  head.push('B evaluated under noise: test', 'B evaluated under noise: train', `study (${onTrain ? 'training data' : 'test'})`, 'ours − study (pp)');
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const pt of r.points) {
    const row = [String(pt.p)];
    if (trained) row.push(pm(pt.trained!.test), pm(pt.trained!.train));
    row.push(pm(pt.evaluated.test), pm(pt.evaluated.train), pt.claimed === null ? '—' : pct(pt.claimed), pt.difference === null ? '—' : (100 * pt.difference).toFixed(2));
    lines.push(`| ${row.join(' | ')} |`);
  }
  const brow = ['baseline A (linear, noiseless)', pm(r.baseline.test), pm(r.baseline.train)];
  if (trained) brow.push('—', '—');
  brow.push(r.baseline.claimed === null ? '—' : pct(r.baseline.claimed));
  const bours = onTrain ? r.baseline.train.mean : r.baseline.test.mean;
  brow.push(r.baseline.claimed === null ? '—' : (100 * (bours - r.baseline.claimed)).toFixed(2));
  lines.push(`| ${brow.join(' | ')} |`);
  lines.push(
    '',
    `Noiseless B on the state-vector simulator: test ${pm(r.noiseless.test)}, train ${pm(r.noiseless.train)} (the p = 0 row must equal it).`,
    '',
    `The study's numbers: ${r.study.source}, measured on ${r.study.measuredOn}; "ours − study" compares our ${onTrain ? 'training' : 'test'} accuracy${trained ? ' of B trained under noise' : ''}.`,
    '',
    `Training ${r.seconds.training.toFixed(1)} s, evaluation under noise ${r.seconds.evaluation.toFixed(1)} s; ${r.device}.`,
    '',
    '![accuracy vs error rate](noise.png)',
    '',
  );
  return lines.join('\n');
}

/** Accuracy against p with error bars (one std), the baseline as a horizontal line and the study's claimed points. */
export async function noiseSvg(r: NoiseSweepResult): Promise<string> {
  const { vegaLiteToSvg, BASE_CONFIG } = await import('../plot/render.js');
  const onTrain = r.study.measuredOn === 'training data';
  const split = onTrain ? 'train' : 'test';
  const rows: { series: string; p: number; acc: number; lo: number; hi: number }[] = [];
  const add = (series: string, p: number, s: { mean: number; std: number | null }) => rows.push({ series, p, acc: s.mean, lo: s.mean - (s.std ?? 0), hi: s.mean + (s.std ?? 0) });
  for (const pt of r.points) {
    add(`B evaluated under noise (${split})`, pt.p, pt.evaluated[split]);
    if (pt.trained) add(`B trained under noise (${split})`, pt.p, pt.trained[split]);
  }
  const baseline = r.baseline[split];
  const claimed = r.study.points.filter((c) => c.p >= r.rates[0] && c.p <= r.rates[r.rates.length - 1]).map((c) => ({ series: 'study (claimed)', p: c.p, acc: c.accuracy }));
  const baselineName = `baseline A, linear (${split})`;
  const names = [...new Set(rows.map((x) => x.series)), baselineName, ...(claimed.length ? ['study (claimed)'] : [])];
  const color = { field: 'series', type: 'nominal' as const, title: null, scale: { domain: names }, legend: { labelLimit: 360, orient: 'bottom' as const, direction: 'vertical' as const } };
  const x = { field: 'p', type: 'quantitative' as const, title: `depolarizing error rate p (${r.placement === 'every-gate' ? 'after every gate' : 'after embedding and last layer'})` };
  const y = { field: 'acc', type: 'quantitative' as const, title: `accuracy (${split})`, scale: { zero: false } };
  const layers: unknown[] = [
    { data: { values: rows }, mark: { type: 'line', point: { size: 40 }, strokeWidth: 2 }, encoding: { x, y, color } },
    { data: { values: rows }, mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    {
      data: { values: [{ series: baselineName, acc: baseline.mean }] },
      mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 2 },
      encoding: { y: { field: 'acc', type: 'quantitative' }, color },
    },
  ];
  if (claimed.length) layers.push({ data: { values: claimed }, mark: { type: 'point', shape: 'diamond', size: 70, filled: true }, encoding: { x, y, color } });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Accuracy under depolarizing noise (${r.dataset.name}, ${r.preset}${r.seeds > 1 ? `, mean ± std of ${r.seeds} seeds` : ''})`,
    width: 480,
    height: 300,
    config: BASE_CONFIG,
    layer: layers,
  } as TopLevelSpec;
  return vegaLiteToSvg(spec);
}
