import { acquireForBackend } from '../gpu/acquire.js';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { QmoeInputError } from '../errors.js';
import { MAX_SEED } from '../data/rng.js';
import { countParams, INITS, initParams, makeSpec, PRESETS, ROUTERS, type InitKind } from '../moe/models.js';
import type { ModelSpec, Preset, RouterKind } from '../moe/spec.js';
import { writeFileAtomic } from '../train/atomic.js';
import { modelJson } from '../train/checkpoint.js';
import { savedModel } from '../train/model-file.js';
import { DATASETS, DEFAULT_MOONS, DEFAULT_SPLIT, prepareData, type DatasetName, type DatasetSettings, type PreparedData } from '../train/dataset.js';
import type { TrainingEngine } from '../train/engine.js';
import { accuracy, efficiency, f1 } from '../train/metrics.js';
import { ENGINE_CHOICES, createEngine, type EngineChoice } from '../train/select-engine.js';
import { presetTraining, shuffleSeed, train, type EpochRecord } from '../train/trainer.js';
import { UsageError, parseOptions } from './args.js';
import { IMAGE_HELP, IMAGE_OPTIONS, defaultLayers, withImageOptions } from '../experiments/data-options.js';
import { createNoisyCpuEngine, parseGateNoise } from '../noise/training.js';

export const TRAIN_USAGE =
  'usage: qmoe train --router linear|quantum|mlp --out DIR [--dataset moons|mnist|fashion] [--preset paper|code] [--qubits N] [--layers N] [--experts N] [--hidden 16,8] [--epochs N] [--batch N] [--lr X] [--seed N] [--patience N] [--samples N] [--noise X] [--data-seed N] [--init uniform|small] [--backend cpu|cpu64|webgpu|auto] [--gate-noise P [--trajectories T] [--shots S]] [--json]';

export const TRAIN_HELP = `${TRAIN_USAGE}

Trains a mixture-of-experts model (linear experts, one router) on a data set and writes, into DIR:
metrics.json, model.json (for qmoe eval), boundary.svg/png (decision boundary over the scaled
data) and history.svg/png (loss and accuracy per epoch). Every file is written atomically.

Models (--router): linear (A: softmax(Vx + c)), mlp (C: ReLU layers --hidden, then softmax),
quantum (B: a circuit router; --preset paper: RY embedding, RY + CZ layers, basis-state
probabilities; --preset code: RX embedding, StronglyEntanglingLayers, <Z> and a linear adapter).

  --dataset NAME     moons (scikit-learn's make_moons; the default), mnist (digits 0 vs 1) or
                     fashion (Fashion-MNIST T-shirt/top vs Trouser); the image sets are standard
                     scaled and reduced by PCA (fitted on the training rows), then angle scaled
${IMAGE_HELP}  --samples N        rows to generate (default 1000)     --noise X   gaussian noise (default 0.1)
  --data-seed N      seed of the data and of the stratified 70/15/15 train/validation/test split (42)
  --preset P         paper (the study's text; default) or code (its published notebooks)
  --qubits N         router qubits (default: one per feature)    --layers N  circuit layers
                     (defaults 12 for paper: 24 angles as Table I; 3 for code: 18 angles + 6 adapter)
  --experts N        experts (defaults 4 for paper = 2^qubits, 2 for code); paper: at most 2^qubits
  --hidden LIST      MLP hidden widths (defaults 16,8,4 for paper: 240 router parameters; 16 for code)
  --epochs N --batch N --lr X --patience N
                     paper defaults 100, 32, 0.01, 10; code defaults 50, 32, 0.1, 0 (0: no early
                     stopping). The parameters of the epoch with the lowest validation loss are kept.
  --seed N           seed of the initial parameters and the shuffles (default 0)
  --init NAME        circuit angles: uniform in [0, 2 pi) (default) or small (normal, sd 0.1)
  --backend NAME     cpu (the fast CPU engine: float32 circuits, every core), cpu64 (the float64
                     reference engine), webgpu, or auto (webgpu on a hardware adapter, else cpu;
                     the default)
  --gate-noise P     noise-aware training of the quantum router: depolarizing channels of rate P
                     (paper: after every gate; code: on every qubit after the embedding and after
                     the last layer); losses from exact density matrices, gradients by the adjoint
                     method over --trajectories T Monte-Carlo trajectories per row (default 32).
                     (the flag is not --noise: that is the data set's gaussian noise). The model's
                     classical parts train on the CPU engine; --backend webgpu runs the noisy
                     circuit and its gradient on the GPU (the same Pauli draws, f32).
  --shots S          with --gate-noise: forward outputs from S sampled measurement shots per row
                     (finite-shot noise, fresh seeded shots on every pass; --gate-noise 0 for shot
                     noise alone); gradients stay those of the exact noisy outputs
  --out DIR          output directory (created when missing)
  --json             print metrics.json (without the history) on stdout

Features are min-max scaled to angles [0, pi] on the training split. Accuracy and F1 are on the
test split. efficiency = accuracy / ln(1 + total parameters) (metrics.json also has the router-only
count, the study's count, as routerEfficiency).
`;

/** Parses an integer option; a UsageError naming it otherwise. */
export function intOption(command: string, name: string, value: string | undefined, min: number, max: number, usage: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${command}: --${name} ${JSON.stringify(value)}: must be an integer`, usage);
  const n = Number(value);
  if (n < min || n > max) throw new QmoeInputError(`--${name}`, n, `must be an integer from ${min} to ${max}`);
  return n;
}

/** Parses a finite number option. */
export function numberOption(command: string, name: string, value: string | undefined, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${command}: --${name} ${JSON.stringify(value)}: must be a number`, usage);
  return n;
}

/** Checks a value against a list of names. */
export function choiceOption<T extends string>(command: string, name: string, value: string | undefined, choices: readonly T[], usage: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${command}: --${name} ${JSON.stringify(value)}: must be ${choices.join(', ')}`, usage);
  return value as T;
}

/** Data set options shared by train and eval: --dataset, --samples, --noise, --data-seed. */
export function datasetSettings(command: string, values: Record<string, unknown>, base: DatasetSettings, usage: string): DatasetSettings {
  const name = choiceOption<DatasetName>(command, 'dataset', values.dataset as string | undefined, DATASETS, usage) ?? base.name;
  const samples = intOption(command, 'samples', values.samples as string | undefined, 20, 1 << 24, usage) ?? base.samples;
  const noise = numberOption(command, 'noise', values.noise as string | undefined, usage) ?? base.noise;
  if (noise < 0) throw new QmoeInputError('--noise', noise, 'must be >= 0');
  const seed = intOption(command, 'data-seed', values['data-seed'] as string | undefined, 0, MAX_SEED, usage) ?? base.seed;
  return { name, samples, noise, seed, split: base.split };
}

/** Argmax per row of rows x classes probabilities. */
export function argmaxRows(probs: ArrayLike<number>, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c] > probs[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Accuracy and F1 of the engine's predictions on one split of prepared data. */
export async function scoreSplit(engine: TrainingEngine, data: PreparedData, split: 'train' | 'validation' | 'test'): Promise<{ accuracy: number; f1: number; rows: number }> {
  const d = data.splits[split];
  const probs = await engine.predict(d.x, d.rows);
  const pred = argmaxRows(probs, d.rows, d.classes);
  return { accuracy: accuracy(d.y, pred), f1: f1(d.y, pred, d.classes), rows: d.rows };
}

/** Progress on stderr: a cli-progress bar on a terminal, else a line per epoch (per 10 epochs past 20). */
function progress(epochs: number, label: string): { update: (r: EpochRecord) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] epoch {value}/{total} | loss {loss} acc {acc} | val loss {vloss} acc {vacc}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(epochs, 0, { loss: '-', acc: '-', vloss: '-', vacc: '-' });
    return {
      update: (r) => bar.update(r.epoch, { loss: r.trainLoss.toFixed(4), acc: r.trainAccuracy.toFixed(3), vloss: r.valLoss.toFixed(4), vacc: r.valAccuracy.toFixed(3) }),
      stop: () => bar.stop(),
    };
  }
  const every = epochs <= 20 ? 1 : 10;
  return {
    update: (r) => {
      if (r.epoch % every === 0 || r.epoch === 1 || r.epoch === epochs) {
        process.stderr.write(`${label} epoch ${r.epoch}/${epochs} loss ${r.trainLoss.toFixed(4)} acc ${r.trainAccuracy.toFixed(3)} val loss ${r.valLoss.toFixed(4)} acc ${r.valAccuracy.toFixed(3)}\n`);
      }
    },
    stop: () => {},
  };
}

/** --out must be a directory or not exist yet (it is created when the files are written). */
function checkOutDir(out: string): void {
  try {
    if (!statSync(out).isDirectory()) throw new UsageError(`qmoe train: --out ${JSON.stringify(out)}: exists and is not a directory`, TRAIN_USAGE);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT') throw new UsageError(`qmoe train: --out ${JSON.stringify(out)}: ${err.message}`, TRAIN_USAGE);
  }
}

function makeOutDir(out: string): void {
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new UsageError(`qmoe train: --out ${JSON.stringify(out)}: cannot create the directory (${(e as Error).message})`, TRAIN_USAGE);
  }
}

/** Writes every file atomically; if one fails, removes the ones this call wrote, then rethrows. */
function writeAll(files: [string, string | Uint8Array][]): void {
  const done: string[] = [];
  try {
    for (const [path, data] of files) {
      writeFileAtomic(path, data);
      done.push(path);
    }
  } catch (e) {
    for (const p of done) rmSync(p, { force: true });
    throw e;
  }
}

/** The decision boundary over the scaled data: P(class 1) on a 100 x 100 grid. */
export async function boundaryPicture(engine: TrainingEngine, data: PreparedData, title: string): Promise<string | undefined> {
  if (data.features !== 2 || data.classes !== 2) return undefined;
  const { boundarySvg, gridAround, gridPoints } = await import('../plot/boundary.js');
  const spec = gridAround(data.scaled, { nx: 100, ny: 100 });
  const pts = gridPoints(spec);
  const probs = await engine.predict(pts, spec.nx * spec.ny);
  const values = new Float64Array(spec.nx * spec.ny);
  for (let k = 0; k < values.length; k++) values[k] = Math.min(1, Math.max(0, probs[2 * k + 1]));
  return boundarySvg({ grid: { ...spec, values }, points: { x: data.scaled, y: data.labels }, title, xLabel: 'x1 (scaled)', yLabel: 'x2 (scaled)' });
}

export async function trainCommand(args: string[]): Promise<number> {
  const cmd = 'qmoe train';
  const values = parseOptions(
    cmd,
    args,
    {
      dataset: { type: 'string' },
      router: { type: 'string' },
      preset: { type: 'string' },
      qubits: { type: 'string' },
      layers: { type: 'string' },
      experts: { type: 'string' },
      hidden: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      patience: { type: 'string' },
      samples: { type: 'string' },
      noise: { type: 'string' },
      'data-seed': { type: 'string' },
      init: { type: 'string' },
      backend: { type: 'string' },
      'gate-noise': { type: 'string' },
      shots: { type: 'string' },
      trajectories: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...IMAGE_OPTIONS,
    },
    TRAIN_USAGE,
  );
  if (values.help) {
    process.stdout.write(TRAIN_HELP);
    return 0;
  }
  const router = choiceOption<RouterKind>(cmd, 'router', values.router, ROUTERS, TRAIN_USAGE);
  if (!router) throw new UsageError(`${cmd}: --router linear|quantum|mlp is required`, TRAIN_USAGE);
  if (values.out === undefined || values.out === '') throw new UsageError(`${cmd}: --out DIR is required`, TRAIN_USAGE);
  const preset = choiceOption<Preset>(cmd, 'preset', values.preset, PRESETS, TRAIN_USAGE) ?? 'paper';
  const init = choiceOption<InitKind>(cmd, 'init', values.init, INITS, TRAIN_USAGE) ?? 'uniform';
  const backend = choiceOption<EngineChoice>(cmd, 'backend', values.backend, ENGINE_CHOICES, TRAIN_USAGE) ?? 'auto';
  const dataset = withImageOptions(cmd, values, datasetSettings(cmd, values, { ...DEFAULT_MOONS, split: DEFAULT_SPLIT }, TRAIN_USAGE), TRAIN_USAGE);
  let hidden: number[] | undefined;
  if (values.hidden !== undefined) {
    const parts = values.hidden.split(',');
    hidden = parts.map((p) => {
      if (!/^\s*\d+\s*$/.test(p)) throw new UsageError(`${cmd}: --hidden ${JSON.stringify(values.hidden)}: must be comma-separated positive integers, e.g. 16,8`, TRAIN_USAGE);
      return Number(p);
    });
  }
  const defaults = presetTraining(preset);
  const epochs = intOption(cmd, 'epochs', values.epochs, 1, 1_000_000, TRAIN_USAGE) ?? defaults.epochs;
  const batch = intOption(cmd, 'batch', values.batch, 1, 1 << 24, TRAIN_USAGE) ?? defaults.batch;
  const patience = intOption(cmd, 'patience', values.patience, 0, 1_000_000, TRAIN_USAGE) ?? defaults.patience;
  const seed = intOption(cmd, 'seed', values.seed, 0, MAX_SEED, TRAIN_USAGE) ?? 0;
  const lr = numberOption(cmd, 'lr', values.lr, TRAIN_USAGE) ?? defaults.lr;
  if (!(lr > 0)) throw new QmoeInputError('--lr', lr, 'must be > 0');

  const data = prepareData(dataset, preset);
  const spec: ModelSpec = makeSpec({
    router,
    preset,
    features: data.features,
    classes: data.classes,
    experts: intOption(cmd, 'experts', values.experts, 1, 1 << 16, TRAIN_USAGE),
    qubits: intOption(cmd, 'qubits', values.qubits, 1, 64, TRAIN_USAGE),
    layers: intOption(cmd, 'layers', values.layers, 0, 10000, TRAIN_USAGE) ?? defaultLayers(dataset.name, preset),
    hidden,
  });
  const out = values.out;
  checkOutDir(out);

  // Noise-aware training (--gate-noise): the CPU engine with the router circuit under noise.
  const gate = parseGateNoise(cmd, values, router, backend, seed, TRAIN_USAGE);
  const noiseGpu = gate && backend === 'webgpu' ? await acquireForBackend('webgpu') : null;
  const noisy = gate ? createNoisyCpuEngine(spec, { lr, ...gate.options, gpu: noiseGpu }) : undefined;
  const { engine, note } = noisy ? { engine: noisy.engine, note: gate?.note } : await createEngine(spec, backend, { lr });
  try {
    if (note) process.stderr.write(`qmoe train: ${note}\n`);
    await engine.setParams(initParams(spec, { seed, init }));
    const label = `${router}/${preset}`;
    const bar = progress(epochs, label);
    const t0 = performance.now();
    let result;
    try {
      // Shuffles use a generator of their own, derived from --seed (independent of the init draws).
      result = await train(engine, { train: data.splits.train, validation: data.splits.validation }, {
        epochs,
        batch,
        patience,
        seed: shuffleSeed(seed),
        onEpoch: (r) => bar.update(r),
      });
    } finally {
      bar.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    await engine.load('test', data.splits.test);
    const testLoss = await engine.evaluate('test');
    const valStats = await engine.evaluate('validation');
    const trainStats = await engine.evaluate('train');
    const test = await scoreSplit(engine, data, 'test');
    const params = countParams(spec);
    const metrics = {
      dataset: dataset.name,
      router,
      preset,
      backend: engine.kind,
      accuracy: test.accuracy,
      f1: test.f1,
      testLoss: testLoss.loss,
      testRows: test.rows,
      validation: valStats,
      train: trainStats,
      params,
      paramsCounted: 'total',
      efficiency: efficiency(test.accuracy, params.total),
      routerEfficiency: efficiency(test.accuracy, Math.max(1, params.router)),
      epochs: result.epochsRun,
      bestEpoch: result.bestEpoch,
      stoppedEarly: result.stoppedEarly,
      seconds,
      gateNoise: noisy?.noise ?? null,
    };
    const model = savedModel({ spec, result, data, training: { backend: engine.kind, lr, epochs, batch, seed, patience, init }, metrics });
    const files: [string, string | Uint8Array][] = [['metrics.json', JSON.stringify({ ...metrics, history: result.history }, null, 2) + '\n']];
    const title = `${router} router (${preset}), test accuracy ${(100 * test.accuracy).toFixed(1)}%`;
    const boundary = await boundaryPicture(engine, data, title);
    // The plotting stack (vega, resvg) loads only when a picture is drawn.
    const { lineChartSvg, svgToPng } = await import('../plot/boundary.js');
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
      title: `${router} router (${preset}): training history`,
    });
    if (boundary) files.push(['boundary.svg', boundary], ['boundary.png', svgToPng(boundary)]);
    files.push(['history.svg', history], ['history.png', svgToPng(history)]);
    files.push(['model.json', modelJson(model)]);
    makeOutDir(out);
    writeAll(files.map(([name, d]) => [join(out, name), d]));

    if (values.json) {
      process.stdout.write(JSON.stringify(metrics) + '\n');
    } else {
      const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
      process.stdout.write(
        `${label} on ${dataset.name} (${data.settings.samples} samples${dataset.name === 'moons' ? `, noise ${dataset.noise}` : `, ${data.features} PCA features`}), ${engine.label ?? `${engine.kind} engine`}\n` +
          `epochs      ${result.epochsRun} (best ${result.bestEpoch}${result.stoppedEarly ? ', stopped early' : ''}), ${seconds.toFixed(1)} s\n` +
          `test        accuracy ${pct(test.accuracy)}, F1 ${test.f1.toFixed(4)}, loss ${testLoss.loss.toFixed(4)} (${test.rows} rows)\n` +
          `params      router ${params.router}, experts ${params.experts}, total ${params.total}\n` +
          `efficiency  ${metrics.efficiency.toFixed(4)} (accuracy / ln(1 + total)); router only ${metrics.routerEfficiency.toFixed(4)}\n` +
          `wrote       ${out}/{metrics.json, model.json, ${boundary ? 'boundary.svg, boundary.png, ' : ''}history.svg, history.png}\n`,
      );
    }
    return 0;
  } finally {
    engine.dispose();
    noiseGpu?.destroy();
  }
}
