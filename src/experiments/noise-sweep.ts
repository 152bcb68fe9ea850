import type { TopLevelSpec } from 'vega-lite';
import { QmoeInputError, checkInt } from '../errors.js';
import { countParams, defaultLayers, makeSpec } from '../moe/models.js';
import type { ModelSpec, Preset, RouterKind } from '../moe/spec.js';
import { DEFAULT_GRADIENT_TRAJECTORIES } from '../noise/backend.js';
import { type GateNoiseRecord, type RouterNoisePlacement, createNoisyCpuEngine, presetPlacement } from '../noise/training.js';
import { conventionRates, type NoiseConvention } from '../noise/model.js';
import { collapseRule, compare, describeTest, formatP, formatPoints, sampleStats, type Comparison, type SampleStats } from '../stats/summary.js';
import { MAX_TRAJECTORIES } from '../noise/trajectories-cpu.js';
import { makeRunSpec, type RunSpec } from '../jobs/spec.js';
import { runStudy, type StudyPlan } from '../jobs/study.js';
import { prepareData, type DatasetSettings, type PreparedData } from '../train/dataset.js';
import type { NoiseRunConfig, NoiseRunRecord } from './noise-run.js';
import { formatDuration, type ProgressSink } from './progress.js';
import { deviceName, scoreAllSplits, type Budget, type StudyOptions } from './runner.js';

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
  /** What the rates mean (model.ts conventionRates; default pennylane: the Pauli error probability). */
  convention?: NoiseConvention;
  /** The engine of the noiseless runs: cpu (the fast CPU engine, default) or cpu64 (float64); runs under noise are float64. */
  backend?: 'cpu' | 'cpu64';
}

type Stat = SampleStats;

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
  /** The Pauli error probabilities of the rate's channels (one-qubit p, two-qubit p2). */
  pauli: { p: number; p2: number };
  /** B at p (the protocol's column, the claim's split) - the noiseless A, paired by seed. */
  versusBaseline: Comparison;
}

export interface NoiseSweepResult {
  format: 'qmoe-noise-sweep';
  version: 1;
  command?: string;
  dataset: DatasetSettings;
  preset: Preset;
  placement: RouterNoisePlacement;
  convention: NoiseConvention;
  /**
   * Where B under noise falls below the noiseless A (the protocol's column, the claim's split):
   * the first rate whose mean is below A's, the rate where the means cross (linear between the
   * rates around it), and the first rate where B is significantly below A (paired test, 5%).
   */
  belowBaseline: { firstBelow: number | null; crossing: number | null; firstSignificantlyBelow: number | null };
  statistics: { collapse: string; bootstrap: string; test: string };
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
export async function evaluateUnderNoise(spec: ModelSpec, params: ArrayLike<number>, data: PreparedData, p: number, placement: RouterNoisePlacement, trajectories: number, seed: number, convention: NoiseConvention = 'pennylane') {
  const { engine } = createNoisyCpuEngine(spec, { lr: 0.01, p, placement, trajectories, seed, convention });
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
  const convention = o.convention ?? 'pennylane';
  conventionRates(0, convention);
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
        backend: o.backend ?? 'cpu',
        config: { dataset: data.settings, spec, budget: o.budget, noise },
      }),
    );
  for (let seed = 0; seed < seeds; seed++) {
    job(`linear-seed${seed}`, 'linear', baselineSpec, seed, null);
    job(`quantum-seed${seed}`, 'quantum', quantumSpec, seed, null);
    // The default convention is not written into the configuration (the runs' ids stay as they were).
    if (underNoise) for (const p of rates) if (p > 0) job(`quantum-${rateId(p)}${convention === 'pennylane' ? '' : `-${convention}`}-seed${seed}`, 'quantum-noisy', quantumSpec, seed, { p, placement, trajectories, ...(convention === 'pennylane' ? {} : { convention }) });
  }
  return {
    name: 'noise-sweep',
    specs,
    done: (run) => `test accuracy ${(100 * run.test.accuracy).toFixed(2)}%, train ${(100 * run.train.accuracy).toFixed(2)}%`,
    prepare: () => import('../plot/render.js'),
    finish: async (runs, log) => {
      const result = await summarizeNoiseSweep(o, { seeds, rates, trajectories, underNoise, placement, convention, data, baselineSpec, quantumSpec, specs, runs, log });
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
    convention: NoiseConvention;
    data: PreparedData;
    baselineSpec: ModelSpec;
    quantumSpec: ModelSpec;
    specs: RunSpec[];
    runs: Map<string, NoiseRunRecord>;
    log: ProgressSink;
  },
): Promise<NoiseSweepResult> {
  const { seeds, rates, trajectories, underNoise, placement, convention, data, baselineSpec, quantumSpec, specs, runs, log } = c;
  // Noiseless B of each seed under noise at every p (exact density matrices for small circuits).
  const t0 = performance.now();
  const evaluations: NoiseSweepResult['evaluations'] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const b = runs.get(specs.find((s) => s.name === `quantum-seed${seed}`)!.id)!;
    for (const p of rates) {
      const e = await evaluateUnderNoise(quantumSpec, b.finalParams, data, p, placement, trajectories, seed, convention);
      evaluations.push({ seed, p, ...e });
    }
    log.status(`noise-sweep: evaluated seed ${seed} at ${rates.length} error rates`);
  }
  const evalSeconds = (performance.now() - t0) / 1000;
  log.line(`noise-sweep: ${evaluations.length} evaluations under noise, ${formatDuration(evalSeconds)}`);

  const claims = NOISE_CLAIMS[o.preset];
  const onTrainData = claims.measuredOn === 'training data';
  const all = specs.map((s) => runs.get(s.id)!);
  const rule = collapseRule(data.settings.name);
  // Every list is in seed order (the pairs of the comparisons).
  const bySeed = <T extends { seed: number }>(rs: T[]) => [...rs].sort((a, b) => a.seed - b.seed);
  const stat = (rs: { seed: number; test: { accuracy: number }; train: { accuracy: number } }[]) => {
    const sorted = bySeed(rs);
    return { test: sampleStats(sorted.map((r) => r.test.accuracy), rule), train: sampleStats(sorted.map((r) => r.train.accuracy), rule) };
  };
  const split = onTrainData ? 'train' : 'test';
  const linear = all.filter((r) => r.config.spec.router === 'linear');
  const noiseless = all.filter((r) => r.config.spec.router === 'quantum' && r.config.noise === null);
  const baselineStat = stat(linear);
  const points: NoisePoint[] = rates.map((p) => {
    const evaluated = stat(evaluations.filter((e) => e.p === p));
    const trained = underNoise ? stat(p === 0 ? evaluations.filter((e) => e.p === 0) : all.filter((r) => r.config.noise?.p === p)) : undefined;
    const main = trained ?? evaluated;
    const ours = main[split].mean;
    const claimed = claims.points.find((c) => Math.abs(c.p - p) < 1e-12)?.accuracy ?? null;
    const versusBaseline = compare(`B(p = ${p}) - A`, baselineStat[split].values, main[split].values);
    return { p, evaluated, ...(trained ? { trained } : {}), claimed, ours, difference: claimed === null ? null : ours - claimed, pauli: conventionRates(p, convention), versusBaseline };
  });
  const a = baselineStat[split].mean;
  const firstBelowAt = points.findIndex((pt) => pt.ours < a);
  const crossing =
    firstBelowAt < 0 ? null : firstBelowAt === 0 ? points[0].p : points[firstBelowAt - 1].p + ((points[firstBelowAt - 1].ours - a) / (points[firstBelowAt - 1].ours - points[firstBelowAt].ours)) * (points[firstBelowAt].p - points[firstBelowAt - 1].p);
  const significant = points.find((pt) => pt.versusBaseline.significant && pt.versusBaseline.meanDifference < 0);
  const result: NoiseSweepResult = {
    format: 'qmoe-noise-sweep',
    version: 1,
    command: o.command,
    dataset: data.settings,
    preset: o.preset,
    placement,
    convention,
    belowBaseline: { firstBelow: firstBelowAt < 0 ? null : points[firstBelowAt].p, crossing, firstSignificantlyBelow: significant?.p ?? null },
    statistics: {
      collapse: rule.description,
      bootstrap: `95% percentile bootstrap of the mean over the seeds, ${baselineStat.test.interval.resamples} resamples, seed ${baselineStat.test.interval.seed}`,
      test: describeTest(points[0].versusBaseline.test),
    },
    protocol: underNoise ? 'train-under-noise' : 'evaluate',
    rates,
    seeds,
    budget: o.budget,
    trajectories,
    rows: { train: data.splits.train.rows, validation: data.splits.validation.rows, test: data.splits.test.rows },
    spec: { baseline: baselineSpec, quantum: quantumSpec },
    params: { baseline: countParams(baselineSpec), quantum: countParams(quantumSpec) },
    baseline: { ...baselineStat, claimed: claims.baseline },
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
    device: [...new Set(all.map((r) => r.device))].join('; '),
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
  const split = onTrain ? 'train' : 'test';
  const main = trained ? 'B trained under noise' : 'B evaluated under noise';
  const convention = r.convention === 'qiskit' ? "Qiskit Aer's depolarizing_error(p, n) (Pauli error 3p/4 on one qubit, 15p/16 on two)" : "PennyLane's DepolarizingChannel(p) (Pauli error p; two-qubit gates: the 15 Pauli pairs each p/15)";
  lines.push(`Rates: ${convention}. The median, min, interval and B − A columns are ${main} on the ${split} split (the study's); B − A is paired by seed against the noiseless A (${r.statistics.test}; two-sided, 5%).`, '');
  const head = ['p', 'Pauli error (1q / 2q)'];
  if (trained) head.push('B trained under noise: test', 'B trained under noise: train');
  head.push('B evaluated under noise: test', 'B evaluated under noise: train', 'median', 'min', '95% interval', 'B − A (points)', 'p-value', `study (${onTrain ? 'training data' : 'test'})`, 'ours − study (pp)');
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const pt of r.points) {
    const row = [String(pt.p), `${+pt.pauli.p.toFixed(6)} / ${+pt.pauli.p2.toFixed(6)}`];
    if (trained) row.push(pm(pt.trained!.test), pm(pt.trained!.train));
    const m = (pt.trained ?? pt.evaluated)[split];
    const c = pt.versusBaseline;
    row.push(pm(pt.evaluated.test), pm(pt.evaluated.train), pct(m.median), pct(m.min), `${pct(m.interval.low)} to ${pct(m.interval.high)}`, formatPoints(c.meanDifference), `${formatP(c.test.p).slice(4)}${c.significant ? ' (significant)' : ''}`);
    row.push(pt.claimed === null ? '—' : pct(pt.claimed), pt.difference === null ? '—' : (100 * pt.difference).toFixed(2));
    lines.push(`| ${row.join(' | ')} |`);
  }
  const b = r.baseline[split];
  const brow = ['baseline A (linear, noiseless)', '—', pm(r.baseline.test), pm(r.baseline.train)];
  if (trained) brow.push('—', '—');
  brow.push(pct(b.median), pct(b.min), `${pct(b.interval.low)} to ${pct(b.interval.high)}`, '—', '—');
  brow.push(r.baseline.claimed === null ? '—' : pct(r.baseline.claimed));
  brow.push(r.baseline.claimed === null ? '—' : (100 * (b.mean - r.baseline.claimed)).toFixed(2));
  lines.push(`| ${brow.join(' | ')} |`);
  const bb = r.belowBaseline;
  lines.push(
    '',
    bb.firstBelow === null
      ? `B stays above the noiseless A (${pct(b.mean)}%) at every rate up to ${r.rates[r.rates.length - 1]}.`
      : bb.firstBelow === r.rates[0]
        ? `B is below the noiseless A (${pct(b.mean)}%, ${split}) already at p = ${bb.firstBelow}${bb.firstSignificantlyBelow === null ? ', at no rate significantly' : `, significantly from p = ${bb.firstSignificantlyBelow}`}.`
        : `B falls below the noiseless A (${pct(b.mean)}%, ${split}) at p = ${bb.firstBelow} (the means cross at p ≈ ${bb.crossing!.toFixed(4)}, linear between the rates); ` +
          (bb.firstSignificantlyBelow === null ? 'it is significantly below A at none of the rates.' : `significantly below A from p = ${bb.firstSignificantlyBelow}.`),
  );
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

/** Accuracy against p with error bars (95% bootstrap intervals of the mean), the baseline as a horizontal line and the study's claimed points. */
export async function noiseSvg(r: NoiseSweepResult): Promise<string> {
  const { vegaLiteToSvg, BASE_CONFIG } = await import('../plot/render.js');
  const onTrain = r.study.measuredOn === 'training data';
  const split = onTrain ? 'train' : 'test';
  const rows: { series: string; p: number; acc: number; lo: number; hi: number }[] = [];
  const add = (series: string, p: number, s: SampleStats) => rows.push({ series, p, acc: s.mean, lo: s.interval.low, hi: s.interval.high });
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
    title: `Accuracy under depolarizing noise (${r.dataset.name}, ${r.preset}, ${r.convention} rates${r.seeds > 1 ? `, mean and 95% interval of ${r.seeds} seeds` : ''})`,
    width: 480,
    height: 300,
    config: BASE_CONFIG,
    layer: layers,
  } as TopLevelSpec;
  return vegaLiteToSvg(spec);
}
