import type { TopLevelSpec } from 'vega-lite';
import { QmoeInputError } from '../errors.js';
import { defaultLayers, makeSpec, presetDefaults } from '../moe/models.js';
import type { ModelSpec, Preset, Readout } from '../moe/spec.js';
import { collapseRule, compare, describeTest, formatP, formatPoints as pts, sampleStats, type Comparison, type SampleStats } from '../stats/summary.js';
import { prepareData, type DatasetSettings } from '../train/dataset.js';
import type { EngineChoice } from '../train/select-engine.js';
import { makeRunSpec } from '../jobs/spec.js';
import { runStudy, type StudyPlan } from '../jobs/study.js';
import { meanStd, type Budget, type RunRecord, type StudyOptions } from './runner.js';

/**
 * The study's Fig. 2: test accuracy against the number of trainable router parameters, for the
 * quantum router over a grid of qubits x layers and for classical routers: the linear router
 * and one-hidden-layer MLP routers of several widths (the code preset's sweep: h in
 * {2, 4, 8, 16, 32, 64}) and MLPs of several hidden layers (`deep`, e.g. [8, 4]: 128 router
 * parameters on 8 features, the text's MNIST "classical" router). Every point has the same
 * experts, data and budget; K seeds each, the same seeds at every point, so that the study's
 * quantum router is compared with each classical point pair by pair.
 * Resumable like the ablation (DIR/runs/<point>-seed<k>-<hash>.json).
 */
export interface SweepOptions extends StudyOptions {
  seeds: number;
  backend: EngineChoice;
  qubits: number[];
  layers: number[];
  widths: number[];
  /** MLP routers of several hidden layers (each a list of widths). */
  deep?: number[][];
  /** The quantum points' readout and re-uploading (preset defaults otherwise). */
  readout?: Readout;
  reupload?: boolean;
}

export interface SweepPoint {
  id: string;
  family: 'quantum' | 'linear' | 'mlp';
  /** Series name in the figure, e.g. "quantum, 2 qubits". */
  series: string;
  spec: ModelSpec;
  params: { router: number; experts: number; total: number };
  /** Test accuracy over the seeds: mean ± sd, median, min, bootstrap interval, collapse rate. */
  accuracy: SampleStats;
  f1: ReturnType<typeof meanStd>;
  trainAccuracy: ReturnType<typeof meanStd>;
}

export interface SweepResult {
  format: 'qmoe-sweep';
  version: 1;
  command?: string;
  dataset: DatasetSettings;
  preset: Preset;
  budget: Budget;
  seeds: number;
  /** The quantum router at the study's size for this data set (qubits = features, the preset's layers), if swept. */
  studyPoint: string | null;
  points: SweepPoint[];
  /** studyPoint - each classical point, paired by seed. */
  comparisons: Comparison[];
  statistics: { collapse: string; bootstrap: string; test: string };
}

/** The sweep as a plan (src/jobs/study.ts): one run spec per point and seed, and the figure and tables from their records. */
export function planSweep(o: SweepOptions): StudyPlan<RunRecord, SweepResult> {
  const data = prepareData(o.dataset, o.preset);
  const base = { preset: o.preset, features: data.features, classes: data.classes };
  const grid: { id: string; family: SweepPoint['family']; series: string; spec: ModelSpec }[] = [];
  const variant = `${o.readout ? `-${o.readout}` : ''}${o.reupload ? '-reupload' : ''}`;
  for (const q of o.qubits) {
    if (q < data.features) throw new QmoeInputError('--qubits-list', q, `each must be at least the ${data.features} features`);
    for (const l of o.layers) {
      const spec = makeSpec({ ...base, router: 'quantum', qubits: q, layers: l, readout: o.readout, reupload: o.reupload });
      grid.push({ id: `quantum${spec.readout || spec.reupload ? variant : ''}-q${q}-l${l}`, family: 'quantum', series: `quantum, ${q} qubits`, spec });
    }
  }
  grid.push({ id: 'linear', family: 'linear', series: 'linear', spec: makeSpec({ ...base, router: 'linear' }) });
  for (const h of o.widths) grid.push({ id: `mlp-h${h}`, family: 'mlp', series: 'MLP (one hidden layer)', spec: makeSpec({ ...base, router: 'mlp', hidden: [h] }) });
  for (const hidden of o.deep ?? []) {
    grid.push({ id: `mlp-h${hidden.join('-')}`, family: 'mlp', series: 'MLP (several hidden layers)', spec: makeSpec({ ...base, router: 'mlp', hidden }) });
  }
  const ids = grid.map((g) => g.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new QmoeInputError('--widths', twice, 'names the same router twice');
  const studyLayers = defaultLayers(data.settings.name, o.preset) ?? presetDefaults(o.preset, data.features).layers;
  const studyPoint = grid.find((g) => g.family === 'quantum' && g.spec.qubits === data.features && g.spec.layers === studyLayers)?.id ?? null;
  const specs = grid.flatMap((g) =>
    Array.from({ length: o.seeds }, (_, seed) => ({
      point: g.id,
      spec: makeRunSpec({ name: `${g.id}-seed${seed}`, study: 'sweep', kind: g.id, label: `${g.id} seed ${seed}`, seed, preset: o.preset, backend: o.backend, config: { dataset: data.settings, spec: g.spec, budget: o.budget } }),
    })),
  );
  return {
    name: 'sweep',
    specs: specs.map((s) => s.spec),
    done: (run) => `${run.params.router} router params, test accuracy ${(100 * run.test.accuracy).toFixed(2)}%`,
    prepare: () => import('../plot/render.js'),
    finish: async (runs) => {
      const rule = collapseRule(data.settings.name);
      const points: SweepPoint[] = grid.map((g) => {
        const rs = specs.filter((s) => s.point === g.id).map((s) => runs.get(s.spec.id)!);
        return {
          id: g.id,
          family: g.family,
          series: g.series,
          spec: g.spec,
          params: rs[0].params,
          accuracy: sampleStats(rs.map((r) => r.test.accuracy), rule),
          f1: meanStd(rs.map((r) => r.test.f1)),
          trainAccuracy: meanStd(rs.map((r) => r.train.accuracy)),
        };
      });
      const study = points.find((p) => p.id === studyPoint);
      const comparisons = study && o.seeds > 0 ? points.filter((p) => p.family !== 'quantum').map((p) => compare(`${study.id} - ${p.id}`, p.accuracy.values, study.accuracy.values)) : [];
      const svg = await sweepSvg(points, `Accuracy vs router parameters (${data.settings.name}, ${o.preset}${o.seeds > 1 ? `, mean of ${o.seeds} seeds` : ''})`);
      const { svgToPng } = await import('../plot/render.js');
      const result: SweepResult = {
        format: 'qmoe-sweep',
        version: 1,
        command: o.command,
        dataset: data.settings,
        preset: o.preset,
        budget: o.budget,
        seeds: o.seeds,
        studyPoint,
        points,
        comparisons,
        statistics: {
          collapse: rule.description,
          bootstrap: `95% percentile bootstrap of the mean over the seeds, ${points[0].accuracy.interval.resamples} resamples, seed ${points[0].accuracy.interval.seed}`,
          test: comparisons[0] ? describeTest(comparisons[0].test) : '',
        },
      };
      const files: [string, string | Uint8Array][] = [
        ['sweep.json', JSON.stringify(result, null, 2) + '\n'],
        ['sweep.md', sweepMarkdown(result)],
        ['sweep.svg', svg],
        ['sweep.png', svgToPng(svg)],
      ];
      return { result, files };
    },
  };
}

/** Runs (or resumes) a sweep (planSweep) where `o.execution` says (DIR/runs/<point>-seed<k>-<hash>.json). */
export function runSweep(o: SweepOptions): Promise<SweepResult> {
  return runStudy(o, planSweep(o));
}

export function sweepMarkdown(r: SweepResult): string {
  const pct = (v: number) => (100 * v).toFixed(2);
  const pm = (s: { mean: number; std: number | null }) => (s.std === null ? pct(s.mean) : `${pct(s.mean)} ± ${pct(s.std)}`);
  const lines = [`# Parameter sweep: ${r.dataset.name}, preset \`${r.preset}\``, ''];
  if (r.command) lines.push('```', r.command, '```', '');
  lines.push(
    `Budget: Adam lr ${r.budget.lr}, batch ${r.budget.batch}, at most ${r.budget.epochs} epochs, patience ${r.budget.patience}; ${r.seeds} seed(s) per point, the same at every point. ` +
      `Test accuracy: mean ± sample std, median, min, ${r.statistics.bootstrap}; collapse rate: ${r.statistics.collapse}.`,
    '',
    '| Router | Size | Router params | Total params | Test accuracy (%) | Median | Min | 95% interval | Collapse rate | Train accuracy (%) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const p of [...r.points].sort((a, b) => a.family.localeCompare(b.family) || a.params.router - b.params.router)) {
    const size = p.family === 'quantum' ? `${p.spec.qubits} qubits x ${p.spec.layers} layers${p.spec.readout ? `, ${p.spec.readout} readout` : ''}${p.spec.reupload ? ', re-uploading' : ''}` : p.family === 'mlp' ? `hidden ${p.spec.hidden.join('-')}` : '-';
    const a = p.accuracy;
    lines.push(`| ${p.family}${p.id === r.studyPoint ? ' (the study\'s size)' : ''} | ${size} | ${p.params.router} | ${p.params.total} | ${pm(a)} | ${pct(a.median)} | ${pct(a.min)} | ${pct(a.interval.low)} to ${pct(a.interval.high)} | ${a.collapse.count}/${a.n} | ${pm(p.trainAccuracy)} |`);
  }
  if (r.comparisons.length > 0) {
    lines.push('', `## The study's quantum router against each classical router (paired by seed)`, '', `${r.statistics.test}; two-sided, significant at the 5% level (per comparison, uncorrected).`, '');
    lines.push('| Difference | Router params | Mean (points) | 95% interval | p | Significant at 5% |', '|---|---|---|---|---|---|');
    for (const c of r.comparisons) {
      const other = r.points.find((p) => c.name.endsWith(` - ${p.id}`))!;
      const q = r.points.find((p) => p.id === r.studyPoint)!;
      lines.push(`| ${c.name} | ${q.params.router} vs ${other.params.router} | ${pts(c.meanDifference)} | ${pts(c.interval.low)} to ${pts(c.interval.high)} | ${formatP(c.test.p).slice(4)} | ${c.significant ? 'yes' : 'no'} |`);
    }
  }
  lines.push('', '![sweep](sweep.png)', '');
  return lines.join('\n');
}

/** Accuracy against router parameters (log x), a line per series, error bars: the 95% bootstrap interval of the mean. */
export async function sweepSvg(points: SweepPoint[], title: string): Promise<string> {
  const { vegaLiteToSvg, BASE_CONFIG } = await import('../plot/render.js');
  const rows = points.map((p) => ({ series: p.series, params: p.params.router, acc: p.accuracy.mean, lo: p.accuracy.interval.low, hi: p.accuracy.interval.high, label: p.id }));
  const x = { field: 'params', type: 'quantitative' as const, title: 'trainable router parameters', scale: { type: 'log' as const } };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 480,
    height: 300,
    config: BASE_CONFIG,
    data: { values: rows },
    layer: [
      { mark: { type: 'line', point: { size: 40 }, strokeWidth: 2 }, encoding: { x, y: { field: 'acc', type: 'quantitative', title: 'test accuracy', scale: { zero: false } }, color: { field: 'series', type: 'nominal', title: null } } },
      { mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'series', type: 'nominal', title: null } } },
    ],
  };
  return vegaLiteToSvg(spec);
}
