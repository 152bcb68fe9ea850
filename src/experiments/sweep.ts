import type { TopLevelSpec } from 'vega-lite';
import { QmoeInputError } from '../errors.js';
import { makeSpec } from '../moe/models.js';
import type { ModelSpec, Preset } from '../moe/spec.js';
import { prepareData, type DatasetSettings } from '../train/dataset.js';
import type { EngineChoice } from '../train/select-engine.js';
import { makeRunSpec } from '../jobs/spec.js';
import { runStudy, type StudyPlan } from '../jobs/study.js';
import { meanStd, type Budget, type RunRecord, type StudyOptions } from './runner.js';

/**
 * The study's Fig. 2: test accuracy against the number of trainable router parameters, for the
 * quantum router over a grid of qubits x layers and for classical routers: the linear router
 * and one-hidden-layer MLP routers of several widths (the code preset's sweep: h in
 * {2, 4, 8, 16, 32, 64}). Every point has the same experts, data and budget; K seeds each.
 * Resumable like the ablation (DIR/runs/<point>-seed<k>-<hash>.json).
 */
export interface SweepOptions extends StudyOptions {
  seeds: number;
  backend: EngineChoice;
  qubits: number[];
  layers: number[];
  widths: number[];
}

export interface SweepPoint {
  id: string;
  family: 'quantum' | 'linear' | 'mlp';
  /** Series name in the figure, e.g. "quantum, 2 qubits". */
  series: string;
  spec: ModelSpec;
  params: { router: number; experts: number; total: number };
  accuracy: ReturnType<typeof meanStd>;
  f1: ReturnType<typeof meanStd>;
  trainAccuracy: ReturnType<typeof meanStd>;
}

/** The sweep as a plan (src/jobs/study.ts): one run spec per point and seed, and the figure and tables from their records. */
export function planSweep(o: SweepOptions): StudyPlan<RunRecord, { points: SweepPoint[]; figure: string }> {
  const data = prepareData(o.dataset, o.preset);
  const base = { preset: o.preset, features: data.features, classes: data.classes };
  const grid: { id: string; family: SweepPoint['family']; series: string; spec: ModelSpec }[] = [];
  for (const q of o.qubits) {
    if (q < data.features) throw new QmoeInputError('--qubits-list', q, `each must be at least the ${data.features} features`);
    for (const l of o.layers) grid.push({ id: `quantum-q${q}-l${l}`, family: 'quantum', series: `quantum, ${q} qubits`, spec: makeSpec({ ...base, router: 'quantum', qubits: q, layers: l }) });
  }
  grid.push({ id: 'linear', family: 'linear', series: 'linear', spec: makeSpec({ ...base, router: 'linear' }) });
  for (const h of o.widths) grid.push({ id: `mlp-h${h}`, family: 'mlp', series: 'MLP (one hidden layer)', spec: makeSpec({ ...base, router: 'mlp', hidden: [h] }) });
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
    finish: async (runs) => {
      const points: SweepPoint[] = grid.map((g) => {
        const rs = specs.filter((s) => s.point === g.id).map((s) => runs.get(s.spec.id)!);
        return {
          id: g.id,
          family: g.family,
          series: g.series,
          spec: g.spec,
          params: rs[0].params,
          accuracy: meanStd(rs.map((r) => r.test.accuracy)),
          f1: meanStd(rs.map((r) => r.test.f1)),
          trainAccuracy: meanStd(rs.map((r) => r.train.accuracy)),
        };
      });
      const svg = await sweepSvg(points, `Accuracy vs router parameters (${data.settings.name}, ${o.preset}${o.seeds > 1 ? `, mean of ${o.seeds} seeds` : ''})`);
      const { svgToPng } = await import('../plot/render.js');
      const result = { format: 'qmoe-sweep', version: 1, command: o.command, dataset: data.settings, preset: o.preset, budget: o.budget, seeds: o.seeds, points };
      const files: [string, string | Uint8Array][] = [
        ['sweep.json', JSON.stringify(result, null, 2) + '\n'],
        ['sweep.md', sweepMarkdown(result)],
        ['sweep.svg', svg],
        ['sweep.png', svgToPng(svg)],
      ];
      return { result: { points, figure: 'sweep' }, files };
    },
  };
}

/** Runs (or resumes) a sweep (planSweep) where `o.execution` says (DIR/runs/<point>-seed<k>-<hash>.json). */
export function runSweep(o: SweepOptions): Promise<{ points: SweepPoint[]; figure: string }> {
  return runStudy(o, planSweep(o));
}

export function sweepMarkdown(r: { command?: string; dataset: DatasetSettings; preset: Preset; budget: Budget; seeds: number; points: SweepPoint[] }): string {
  const pm = (s: { mean: number; std: number | null }) => (s.std === null ? (100 * s.mean).toFixed(2) : `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}`);
  const lines = [`# Parameter sweep: ${r.dataset.name}, preset \`${r.preset}\``, ''];
  if (r.command) lines.push('```', r.command, '```', '');
  lines.push(
    `Budget: Adam lr ${r.budget.lr}, batch ${r.budget.batch}, at most ${r.budget.epochs} epochs, patience ${r.budget.patience}; ${r.seeds} seed(s); test accuracy (mean ± sample std).`,
    '',
    '| Router | Size | Router params | Total params | Test accuracy (%) | Train accuracy (%) |',
    '|---|---|---|---|---|---|',
  );
  for (const p of [...r.points].sort((a, b) => a.family.localeCompare(b.family) || a.params.router - b.params.router)) {
    const size = p.family === 'quantum' ? `${p.spec.qubits} qubits x ${p.spec.layers} layers` : p.family === 'mlp' ? `hidden ${p.spec.hidden.join('-')}` : '-';
    lines.push(`| ${p.family} | ${size} | ${p.params.router} | ${p.params.total} | ${pm(p.accuracy)} | ${pm(p.trainAccuracy)} |`);
  }
  lines.push('', '![sweep](sweep.png)', '');
  return lines.join('\n');
}

/** Accuracy against router parameters (log x), a line per series, error bars of one std. */
export async function sweepSvg(points: SweepPoint[], title: string): Promise<string> {
  const { vegaLiteToSvg, BASE_CONFIG } = await import('../plot/render.js');
  const rows = points.map((p) => ({ series: p.series, params: p.params.router, acc: p.accuracy.mean, lo: p.accuracy.mean - (p.accuracy.std ?? 0), hi: p.accuracy.mean + (p.accuracy.std ?? 0), label: p.id }));
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
