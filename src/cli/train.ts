import { join } from 'node:path';
import { QmoeInputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import { SKLEARN_VERSION } from '../data/moons-sklearn.js';
import { MAX_SEED } from '../data/rng.js';
import { countParams, defaultLayers, initParams, makeSpec, MAX_ROUTER_QUBITS, ROUTERS } from '../moe/models.js';
import type { ModelSpec, Preset, RouterKind } from '../moe/spec.js';
import { createNoisyCpuEngine, type GateNoiseRecord } from '../noise/training.js';
import type { Budget } from '../experiments/runner.js';
import { modelJson } from '../train/checkpoint.js';
import { prepareData, type DatasetSettings, type PreparedData } from '../train/dataset.js';
import type { TrainingEngine } from '../train/engine.js';
import { efficiency } from '../train/metrics.js';
import { type SavedModel, savedModel } from '../train/model-file.js';
import { openResultDir } from '../train/result-set.js';
import { scoreSplit } from '../train/score.js';
import { createEngine, type EngineChoice } from '../train/select-engine.js';
import { shuffleSeed, train, type TrainResult } from '../train/trainer.js';
import { UsageError, choice, defineCommand, flag, int, text, type OptionValues } from './args.js';
import { BUDGET_OPTIONS, DATA_OPTIONS, ENGINE_OPTION, PRESET_OPTION, READOUT_HELP, READOUT_OPTIONS, SIZE_OPTIONS, budgetFrom, dataFrom, readoutFrom, required, sizesFrom } from './common-options.js';
import { GATE_NOISE_OPTIONS, gateNoiseFrom, gateNoiseSummary } from './gate-noise-options.js';
import { MIXTURE_HELP, MIXTURE_OPTIONS, mixtureFrom } from './mixture-options.js';
import { expertUsage } from '../train/expert-usage.js';
import { IMAGE_HELP, IMAGE_OPTIONS } from './image-options.js';
import { trainProgress } from './train-progress.js';

export const TRAIN_USAGE =
  'usage: qmoe train --router linear|quantum|mlp --out DIR [--dataset moons|mnist|fashion | --data-file F.csv [--label-column NAME]] [--classes 0,1|LIST|all] [--train-size N|all] [--test-size N|all] [--preset paper|code] [--qubits N] [--pca K] [--layers N] [--experts N] [--hidden 16,8] [--readout blocks|z|parity] [--reupload] [--experts-kind linear|quantum [--expert-qubits N] [--expert-layers N] [--expert-reupload]] [--top-k K | --route-shots S] [--balance W] [--epochs N] [--batch N] [--lr X] [--seed N] [--patience N] [--samples N] [--noise X] [--data-seed N] [--init uniform|small] [--backend cpu|cpu64|webgpu|auto] [--gate-noise P [--trajectories T] [--shots S]] [--json]';

export const TRAIN_HELP = `${TRAIN_USAGE}

Trains a mixture-of-experts model (linear or quantum experts, one router) on a data set and
writes, into DIR: metrics.json, model.json (for qmoe eval), boundary.svg/png (decision boundary
over the scaled data), history.svg/png (loss and accuracy per epoch) and experts.svg/png (expert
utilisation on the test split), as one set: a second run into the same DIR replaces all of them
or, when it fails or is killed, none (see README, "Result sets").

Models (--router): linear (A: softmax(Vx + c)), mlp (C: ReLU layers --hidden, then softmax),
quantum (B: a circuit router; --preset paper: RY embedding, RY + CZ layers, basis-state
probabilities; --preset code: RX embedding, StronglyEntanglingLayers, <Z> and a linear adapter).

  --dataset NAME     moons (Two Moons; the default), mnist (digits 0 vs 1: the official MNIST
                     files) or fashion (Fashion-MNIST T-shirt/top vs Trouser); the image sets are
                     standard scaled and reduced by PCA (fitted on the training rows), then angle
                     scaled
${IMAGE_HELP}  --samples N        rows to generate (default 1000)     --noise X   gaussian noise (default 0.1)
  --data-seed N      seed of the data and of the stratified 70/15/15 train/validation/test split (42)
  Which Two Moons:   the defaults (--samples 1000 --noise 0.1 --data-seed 42) and --samples 500
                     are scikit-learn's make_moons(n_samples, noise=0.1, random_state=42) point for
                     point (a fixture made with scikit-learn ${SKLEARN_VERSION}); any other --samples,
                     --noise or --data-seed: qmoe's own generator (the same distribution, other
                     numbers). The run's output and metrics.json's "data" say which one it used.
  --data-file F.csv  your own data: a header row, then one row per sample; the label column
                     (any text) is --label-column NAME (default the last), every other column a
                     number; split 70/15/15 and scaled like moons. A bad row (a missing or extra
                     cell, NaN, text in a numeric column, a single class) exits 2 naming the line
                     and the column
  --preset P         paper (the study's text; default) or code (its published notebooks)
  --qubits N         router qubits (default: one per feature)    --layers N  circuit layers
  --pca K            image data: PCA features (the same as --components; default: --qubits of a
                     quantum router, else 8); a quantum router takes up to 24 qubits on --backend
                     webgpu (the global-memory adjoint above 11 or 12)
                     (defaults 12 for paper: 24 angles as Table I; 3 for code: 18 angles + 6 adapter)
  --experts N        experts (defaults 4 for paper = 2^qubits, 2 for code); paper: at most 2^qubits
  --hidden LIST      MLP hidden widths (defaults 16,8,4 for paper: 240 router parameters; 16 for code)
${READOUT_HELP}${MIXTURE_HELP}  --epochs N --batch N --lr X --patience N
                     paper defaults 100, 32, 0.01, 10; code defaults 50, 32, 0.1, 0 (0: no early
                     stopping). The parameters of the epoch with the lowest validation loss are kept.
  --seed N           seed of the initial parameters and the shuffles (default 0)
  --init NAME        circuit angles: uniform in [0, 2 pi) (default) or small (normal, sd 0.1)
  --backend NAME     cpu (the fast CPU engine: float32 circuits, every core), cpu64 (the float64
                     reference engine), webgpu, or auto (webgpu on a hardware adapter, else cpu;
                     the default)
  --gate-noise P     noise-aware training of the quantum circuits (the quantum router, and quantum
                     experts with channels of their own): depolarizing channels of rate P
                     (paper: after every gate; code: on every qubit after the embedding and after
                     the last layer); losses from exact density matrices, gradients by the adjoint
                     method over --trajectories T Monte-Carlo trajectories per row (default 32).
                     (the flag is not --noise: that is the data set's gaussian noise). The model's
                     classical parts train on the CPU engine; --backend webgpu runs the noisy
                     circuits and their gradients on the GPU (the same Pauli draws, f32).
  --shots S          with --gate-noise: forward outputs from S sampled measurement shots per row
                     (finite-shot noise, fresh seeded shots on every pass; --gate-noise 0 for shot
                     noise alone); gradients stay those of the exact noisy outputs
  --out DIR          output directory (created when missing; checked, locked and its free space
                     measured before training: one writer at a time)
  --json             print metrics.json (without the history) on stdout

Features are min-max scaled to angles [0, pi] on the training split. Accuracy, F1 (binary F1 of
class 1 for two classes, else macro F1), macroF1 and the confusion matrix (confusion[true][predicted])
are on the test split. efficiency = accuracy / ln(1 + total parameters) (metrics.json also has the router-only
count, the study's count, as routerEfficiency). Slow epochs report their batches on stderr (time
per batch and what is left), every second on a terminal, else every 10 s (QMOE_PROGRESS_SECONDS).
`;

const TRAIN_OPTIONS = {
  router: choice(ROUTERS),
  ...PRESET_OPTION,
  ...DATA_OPTIONS,
  ...IMAGE_OPTIONS,
  pca: int(1, MAX_ROUTER_QUBITS),
  ...SIZE_OPTIONS,
  ...READOUT_OPTIONS,
  ...MIXTURE_OPTIONS,
  ...BUDGET_OPTIONS,
  seed: int(0, MAX_SEED),
  ...ENGINE_OPTION,
  ...GATE_NOISE_OPTIONS,
  out: text(),
  json: flag(),
} as const;

/** The files of a training run's result set (boundary.* only for two-feature, two-class data). */
export const TRAIN_FILES = ['metrics.json', 'model.json', 'boundary.svg', 'boundary.png', 'history.svg', 'history.png', 'experts.svg', 'experts.png'] as const;

/** What `qmoe train` was asked to do: the command line, checked. */
export interface TrainRequest {
  router: RouterKind;
  preset: Preset;
  dataset: DatasetSettings;
  sizes: ReturnType<typeof sizesFrom> & ReturnType<typeof readoutFrom> & ReturnType<typeof mixtureFrom>;
  budget: Budget;
  seed: number;
  backend: EngineChoice;
  gateNoise: ReturnType<typeof gateNoiseFrom>;
  out: string;
  json: boolean;
  command: string;
}

/** What a finished training gives: the engine's result, metrics and scores. */
interface TrainOutcome {
  result: TrainResult;
  metrics: Awaited<ReturnType<typeof trainMetrics>>;
}

const cmd = 'qmoe train';

/** Parse: the command line's values, checked and completed with the defaults. */
export function trainRequest(values: OptionValues<typeof TRAIN_OPTIONS>, args: string[]): TrainRequest {
  const router = required(cmd, 'router', 'linear|quantum|mlp', values.router, TRAIN_USAGE);
  const out = required(cmd, 'out', 'DIR', values.out, TRAIN_USAGE);
  const preset = values.preset ?? 'paper';
  const backend = values.backend ?? 'auto';
  const seed = values.seed ?? 0;
  const dataset = pcaFor(router, values, dataFrom(cmd, values, TRAIN_USAGE));
  const sizes = { ...sizesFrom(values), ...readoutFrom(values), ...mixtureFrom(values) };
  return {
    router,
    preset,
    dataset,
    sizes: { ...sizes, layers: sizes.layers ?? defaultLayers(dataset.name, preset) },
    budget: budgetFrom(values, preset),
    seed,
    backend,
    gateNoise: gateNoiseFrom(cmd, values, router, sizes.expertsKind, backend, seed, TRAIN_USAGE),
    out,
    json: values.json === true,
    command: ['qmoe train', ...args].join(' '),
  };
}

/** About how many bytes the result set takes: the pictures (up to 100000 points), the history, the parameters. */
function trainBytes(rows: number, epochs: number, params: number): number {
  return 1_048_576 + 600 * Math.min(rows, 100_000) + 800 * epochs + 60 * params;
}

/** The engine of the request: the noisy CPU engine with --gate-noise, else the --backend one. */
async function trainingEngine(req: TrainRequest, spec: ModelSpec): Promise<{ engine: TrainingEngine; noise: GateNoiseRecord | null; note?: string; gpu: GpuContext | null }> {
  const lr = req.budget.lr;
  if (req.gateNoise) {
    const gpu = req.backend === 'webgpu' ? await (await import('../gpu/acquire.js')).acquireForBackend('webgpu') : null;
    const noisy = createNoisyCpuEngine(spec, { lr, ...req.gateNoise.options, gpu });
    return { engine: noisy.engine, noise: noisy.noise, note: req.gateNoise.note, gpu };
  }
  const { engine, note } = await createEngine(spec, req.backend, { lr, routeSeed: req.seed });
  return { engine, noise: null, note, gpu: null };
}

/** metrics.json without the history: test scores of the kept parameters, counts, efficiency, how training went. */
async function trainMetrics(req: TrainRequest, spec: ModelSpec, data: PreparedData, engine: TrainingEngine, result: TrainResult, seconds: number, noise: GateNoiseRecord | null) {
  await engine.load('test', data.splits.test);
  const testLoss = await engine.evaluate('test');
  const validation = await engine.evaluate('validation');
  const trainStats = await engine.evaluate('train');
  const test = await scoreSplit(engine, data, 'test');
  const params = countParams(spec);
  const experts = await expertUsage(spec, await engine.getParams(), data.splits.test);
  return {
    dataset: req.dataset.name,
    router: req.router,
    preset: req.preset,
    backend: engine.kind,
    engine: engine.label ?? `${engine.kind} engine`,
    accuracy: test.accuracy,
    f1: test.f1,
    macroF1: test.macroF1,
    classes: data.classNames,
    confusion: test.confusion,
    data: data.source,
    testLoss: testLoss.loss,
    testRows: test.rows,
    validation,
    train: trainStats,
    params,
    paramsCounted: 'total',
    efficiency: efficiency(test.accuracy, params.total),
    routerEfficiency: efficiency(test.accuracy, Math.max(1, params.router)),
    experts,
    epochs: result.epochsRun,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    seconds,
    gateNoise: noise,
  };
}

/** Run: trains on the engine with progress on stderr, then scores the kept parameters. */
async function runTraining(req: TrainRequest, spec: ModelSpec, data: PreparedData, engine: TrainingEngine, noise: GateNoiseRecord | null): Promise<TrainOutcome> {
  const init = initParams(spec, { seed: req.seed, init: req.budget.init });
  // The model file's checks run now on the initial parameters: a record they refuse must not
  // cost a whole training (a 24-qubit run once lost 34 minutes so).
  modelJson(modelRecord(req, spec, data, engine, { params: init, epochsRun: 0, bestEpoch: 0, stoppedEarly: false }, { gateNoise: noise }));
  await engine.setParams(init);
  const bar = trainProgress(req.budget.epochs, `${req.router}/${req.preset}`);
  const t0 = performance.now();
  let result: TrainResult;
  try {
    // Shuffles use a generator of their own, derived from --seed (independent of the init draws).
    result = await train(engine, { train: data.splits.train, validation: data.splits.validation }, {
      epochs: req.budget.epochs,
      batch: req.budget.batch,
      patience: req.budget.patience,
      seed: shuffleSeed(req.seed),
      onEpoch: (r) => bar.epoch(r),
      onProgress: (p) => bar.batch(p),
      progressSeconds: bar.batchSeconds,
    });
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const metrics = await trainMetrics(req, spec, data, engine, result, seconds, noise);
  return { result, metrics };
}

/** What model.json holds for these parameters and metrics. */
function modelRecord(req: TrainRequest, spec: ModelSpec, data: PreparedData, engine: TrainingEngine, result: Parameters<typeof savedModel>[0]['result'], metrics: Record<string, unknown>): SavedModel {
  const b = req.budget;
  return savedModel({ spec, result, data, training: { backend: engine.kind, lr: b.lr, epochs: b.epochs, batch: b.batch, seed: req.seed, patience: b.patience, init: b.init }, metrics });
}

/** Write, part 1: the result set's files (the pictures need the engine's predictions). */
async function trainFiles(req: TrainRequest, spec: ModelSpec, data: PreparedData, engine: TrainingEngine, run: TrainOutcome): Promise<[string, string | Uint8Array][]> {
  const { result, metrics } = run;
  const model = modelRecord(req, spec, data, engine, result, metrics);
  const files: [string, string | Uint8Array][] = [['metrics.json', JSON.stringify({ ...metrics, history: result.history }, null, 2) + '\n']];
  // The plotting stack (vega, resvg) loads only when a picture is drawn.
  const { boundaryPicture, lineChartSvg, svgToPng } = await import('../plot/boundary.js');
  const boundary = await boundaryPicture(engine, data, `${req.router} router (${req.preset}), test accuracy ${(100 * metrics.accuracy).toFixed(1)}%`);
  const h = result.history;
  const epochsAxis = h.map((r) => r.epoch);
  const history = await lineChartSvg({
    series: [
      { name: 'train loss', x: epochsAxis, y: h.map((r) => r.trainLoss) },
      { name: 'val loss', x: epochsAxis, y: h.map((r) => r.valLoss) },
      { name: 'train accuracy', x: epochsAxis, y: h.map((r) => r.trainAccuracy) },
      { name: 'val accuracy', x: epochsAxis, y: h.map((r) => r.valAccuracy) },
    ],
    xLabel: 'epoch',
    yLabel: 'loss / accuracy',
    title: `${req.router} router (${req.preset}): training history`,
  });
  if (boundary) files.push(['boundary.svg', boundary], ['boundary.png', svgToPng(boundary)]);
  files.push(['history.svg', history], ['history.png', svgToPng(history)]);
  const { expertsChart } = await import('../plot/experts.js');
  const usage = await expertsChart(metrics.experts, `${req.router} router (${req.preset}): expert utilisation on the test split`);
  files.push(['experts.svg', usage], ['experts.png', svgToPng(usage)]);
  files.push(['model.json', modelJson(model)]);
  return files;
}

/** Write, part 2: the summary on stdout. */
function printSummary(req: TrainRequest, spec: ModelSpec, data: PreparedData, run: TrainOutcome, written: string[]): void {
  const { metrics: m, result } = run;
  if (req.json) {
    process.stdout.write(JSON.stringify(m) + '\n');
    return;
  }
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const d = req.dataset;
  process.stdout.write(
    `${req.router}/${req.preset}${req.router === 'quantum' && req.sizes.readout ? `, ${req.sizes.readout} readout` : ''}${req.router === 'quantum' && req.sizes.reupload ? ', re-uploading' : ''} on ${d.name} (${data.settings.samples} samples${d.name === 'moons' ? `, noise ${d.noise}` : d.name === 'csv' ? `, ${data.features} features` : `, ${data.features} PCA features`}, ${data.classes} classes), ${m.engine}\n` +
      `data        ${m.data}\n` +
      `epochs      ${result.epochsRun} (best ${result.bestEpoch}${result.stoppedEarly ? ', stopped early' : ''}), ${m.seconds.toFixed(1)} s\n` +
      `test        accuracy ${pct(m.accuracy)}, F1 ${m.f1.toFixed(4)}, loss ${m.testLoss.toFixed(4)} (${m.testRows} rows)\n` +
      `params      router ${m.params.router}, experts ${m.params.experts}, total ${m.params.total}\n` +
      `experts     ${mixtureSummary(spec)}; routed ${m.experts.samples.map(pct).join(' ')}, mean P ${m.experts.mass.map(pct).join(' ')}\n` +
      (m.gateNoise ? `gate noise  ${gateNoiseSummary(m.gateNoise)}\n` : '') +
      `efficiency  ${m.efficiency.toFixed(4)} (accuracy / ln(1 + total)); router only ${m.routerEfficiency.toFixed(4)}\n` +
      `wrote       ${req.out}/{${written.join(', ')}}\n`,
  );
}

export const TRAIN = defineCommand({ usage: TRAIN_USAGE, help: TRAIN_HELP, options: TRAIN_OPTIONS, run: (values, { args }) => trainCommand(trainRequest(values, args)) });

/** Parse (trainRequest), run (runTraining), write (trainFiles, the commit, printSummary). */
async function trainCommand(req: TrainRequest): Promise<number> {
  const data = prepareData(req.dataset, req.preset);
  const spec = makeSpec({ router: req.router, preset: req.preset, features: data.features, classes: data.classes, ...req.sizes });
  // The output directory is checked, locked and measured before any training.
  const dir = openResultDir(req.out, { argument: '--out', bytes: trainBytes(data.raw.length / data.features, req.budget.epochs, countParams(spec).total), command: req.command });
  try {
    if (dir.finishedInterruptedWrite) process.stderr.write(`${cmd}: finished the interrupted write of a previous run in ${req.out} first\n`);
    const { engine, noise, note, gpu } = await trainingEngine(req, spec);
    try {
      if (note) process.stderr.write(`${cmd}: ${note}\n`);
      const run = await runTraining(req, spec, data, engine, noise);
      const files = await trainFiles(req, spec, data, engine, run);
      dir.commit(files, TRAIN_FILES);
      printSummary(req, spec, data, run, files.map(([name]) => name).sort(byTrainOrder));
      return 0;
    } finally {
      engine.dispose();
      gpu?.destroy();
    }
  } finally {
    dir.release();
  }
}

/** The experts' form, routing and balance, in words. */
function mixtureSummary(spec: ModelSpec): string {
  const kind = spec.expertsKind === 'quantum' ? `${spec.experts} quantum (${spec.expertQubits} qubits, ${spec.expertLayers} layers${spec.expertReupload ? ', re-uploading' : ''})` : `${spec.experts} linear`;
  const routing = spec.routeShots !== undefined ? `${spec.routeShots} route shots` : spec.topK !== undefined && spec.topK < spec.experts ? `top-${spec.topK}` : 'dense';
  return `${kind}, ${routing}${spec.balance !== undefined ? `, balance ${spec.balance}` : ''}`;
}

/** The order the summary lists the files in. */
function byTrainOrder(a: string, b: string): number {
  return TRAIN_FILES.indexOf(a as (typeof TRAIN_FILES)[number]) - TRAIN_FILES.indexOf(b as (typeof TRAIN_FILES)[number]);
}

/**
 * Image data: the PCA features are --pca K (the same as --components K), else, for a quantum
 * router with --qubits Q, Q (one feature per qubit), else the data set's default.
 */
function pcaFor(router: string, values: OptionValues<typeof TRAIN_OPTIONS>, dataset: DatasetSettings): DatasetSettings {
  const { pca, components, qubits } = values;
  if (!dataset.image) {
    if (pca !== undefined) throw new UsageError(`${cmd}: --pca applies to --dataset mnist or fashion only`, TRAIN_USAGE);
    return dataset;
  }
  if (pca !== undefined && components !== undefined && pca !== components) throw new UsageError(`${cmd}: --pca ${pca} and --components ${components} disagree: give one`, TRAIN_USAGE);
  const k = pca ?? components ?? (router === 'quantum' ? qubits : undefined);
  return k === undefined ? dataset : { ...dataset, image: { ...dataset.image, components: k } };
}
