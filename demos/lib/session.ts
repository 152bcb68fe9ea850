import { QmoeInputError } from '../../src/errors.js';
import { checkSpecLimits, epochWork } from '../../src/moe/limits.js';
import { countParams, initParams } from '../../src/moe/models.js';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import type { ModelSpec } from '../../src/moe/spec.js';
import type { TrainingEngine } from '../../src/train/engine.js';
import { accuracy, efficiency, f1, predictedClasses } from '../../src/train/metrics.js';
import { savedModel, validateModel, type SavedModel } from '../../src/train/model-file.js';
import { shuffleSeed, train, type BatchProgress, type EpochRecord } from '../../src/train/trainer.js';
import { csvData, moonsData, parseCsv, type AppData, type ParsedCsv } from './data.js';
import { gridAround, gridPoints, type PlotGrid } from './draw.js';
import { disposeMapBackends, makeEngine, mapModel, StepTracker, type MadeEngine } from './engine.js';
import type { DataView, EngineChoice, FromWorker, Maps, Scores, Setup } from './protocol.js';
import { checkDataSetup, checkSetup, effectiveNoise, setupFromModel, specOf } from './setup.js';

/**
 * The playground's work, run in its Web Worker (demos/worker.ts): data, training (the trainer of
 * src/train/trainer.ts, as `qmoe train`), scores, the two maps and hover probes, and checking a
 * loaded model file completely before the page changes anything. Between batches it lets the
 * worker's messages in (stop, pause, step, probes), so the page's buttons act within a batch.
 */

/** Points drawn on a map at most (every row when fewer; an even subset of large data sets). */
export const MAX_DRAWN = 4000;
/** Runs whose measured epoch time is longer than this (or whose whole run is longer than MAX_RUN_MS) ask before they start. */
export const CONFIRM_EPOCH_MS = 15_000;
export const MAX_RUN_MS = 10 * 60_000;
/** Map cells: as many as a forward pass of about this much work allows, from 24 x 24 to 64 x 64. */
const MAP_WORK = 2e8;
/** Yield to the worker's message loop at least this often while computing. */
const SLICE_MS = 25;
const PROGRESS_MS = 150;

type Post = (m: FromWorker, transfer?: Transferable[]) => void;

/** A macrotask turn (messages get in), without setTimeout's 4 ms clamp. */
function nextTask(): Promise<void> {
  return new Promise((ok) => {
    const c = new MessageChannel();
    c.port1.onmessage = () => {
      c.port1.close();
      ok();
    };
    c.port2.postMessage(0);
  });
}

/** The data of a setup: Two Moons as `qmoe train` makes it, or the last parsed CSV. */
function prepare(setup: Setup, csv: { parsed: ParsedCsv; name: string } | null): AppData {
  if (setup.source === 'csv') {
    if (!csv) throw new Error('no CSV data yet: paste rows (x1, x2, label) into the box or drop a file');
    return csvData(csv.parsed, setup.preset, csv.name);
  }
  return moonsData(setup.preset, { samples: setup.samples, noise: setup.dataNoise, seed: setup.dataSeed });
}

/** The data as the page draws it (an even subset of at most MAX_DRAWN points). */
export function dataView(data: AppData): DataView {
  const rows = data.labels.length;
  const stride = Math.max(1, Math.ceil(rows / MAX_DRAWN));
  const n = Math.ceil(rows / stride);
  const isTest = new Uint8Array(rows);
  for (const r of data.indices.test) isTest[r] = 1;
  const points = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  const test = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const r = k * stride;
    points[2 * k] = data.scaled[2 * r];
    points[2 * k + 1] = data.scaled[2 * r + 1];
    labels[k] = data.labels[r];
    test[k] = isTest[r];
  }
  return { title: data.title, classNames: data.classNames, rows, points, labels, test, grid: gridAround(data.scaled, 64), scaler: data.scaler, range: [data.range[0], data.range[1]] };
}

/** Map resolution for a model: one map pass costs about MAP_WORK units at most. */
export function mapCells(spec: ModelSpec, noise: number): number {
  const perRow = epochWork(spec, 0, 1, { p: noise, trajectories: 0 });
  return Math.max(24, Math.min(64, Math.floor(Math.sqrt(MAP_WORK / perRow))));
}

interface Current {
  spec: ModelSpec;
  model: CpuModel;
  made: MadeEngine;
  params: Float64Array;
  grid: PlotGrid;
  epoch: number;
}

export class Session {
  private csv: { parsed: ParsedCsv; name: string } | null = null;
  private running = false;
  private stopRequested = false;
  private paused = false;
  private pauseAfterEpoch: number | null = null;
  private completedEpochs = 0;
  private wake: (() => void) | null = null;
  /** The model the maps and probes show (the last trained or loaded one). */
  private current: Current | null = null;

  constructor(private readonly post: Post) {}

  // ------------------------------------------------------------------ data

  csvText(text: string, name: string, token: number): void {
    try {
      const parsed = parseCsv(text);
      this.csv = { parsed, name };
      const counts = parsed.classNames.map(() => 0);
      for (const l of parsed.labels) counts[l]++;
      this.post({ type: 'csv', token, ok: true, rows: parsed.rows, classNames: parsed.classNames, counts, header: parsed.header });
    } catch (e) {
      this.csv = null;
      this.post({ type: 'csv', token, ok: false, message: (e as Error).message });
    }
  }

  data(setup: Setup, token: number): void {
    try {
      checkDataSetup(setup);
      const view = dataView(prepare(setup, this.csv));
      this.post({ type: 'data', token, view }, [view.points.buffer, view.labels.buffer, view.test.buffer]);
    } catch (e) {
      this.post({ type: 'data-error', token, message: (e as Error).message });
    }
  }

  // ------------------------------------------------------------------ controls

  control(action: 'stop' | 'pause' | 'resume' | 'step'): void {
    if (action === 'stop') {
      this.stopRequested = true;
      if (this.running) this.post({ type: 'stopping' });
    }
    else if (action === 'pause') this.paused = true;
    else if (action === 'resume') {
      this.paused = false;
      this.pauseAfterEpoch = null;
    } else if (action === 'step') {
      this.pauseAfterEpoch = this.completedEpochs + 1;
      this.paused = false;
    }
    this.wake?.();
  }

  /** While paused: show the current parameters' maps once, then wait for resume, step or stop. */
  private async pauseGate(engine: TrainingEngine, epoch: number, midEpoch: boolean): Promise<void> {
    if (!this.paused || this.stopRequested) return;
    this.post({ type: 'paused', epoch, midEpoch });
    if (this.current) {
      this.current.params = await engine.getParams();
      this.current.epoch = midEpoch ? epoch - 1 : epoch;
      await this.sendMaps();
    }
    while (this.paused && !this.stopRequested) await new Promise<void>((ok) => (this.wake = ok));
    this.wake = null;
    this.post({ type: 'resumed' });
  }

  // ------------------------------------------------------------------ maps and probes

  /** Class probabilities and P(expert | x) over the map grid, in slices (returns false when stopped midway). */
  private async sendMaps(abortable = true): Promise<boolean> {
    const c = this.current;
    if (!c) return true;
    const g = c.grid;
    const cells = g.nx * g.ny;
    const pts = gridPoints(g);
    const probs = new Float32Array(cells * c.spec.classes);
    const route = new Float32Array(cells * c.spec.experts);
    const chunk = Math.max(16, Math.floor(cells / 16));
    for (let at = 0; at < cells; at += chunk) {
      const n = Math.min(chunk, cells - at);
      const r = await c.model.forward(c.params, pts.subarray(2 * at, 2 * (at + n)), n);
      probs.set(r.probs, at * c.spec.classes);
      route.set(r.route, at * c.spec.experts);
      await nextTask();
      if (abortable && this.stopRequested) return false;
    }
    const maps: Maps = { grid: g, classes: c.spec.classes, experts: c.spec.experts, probs, route, epoch: c.epoch };
    this.post({ type: 'maps', maps }, [probs.buffer, route.buffer]);
    return true;
  }

  async probe(x: number, y: number, token: number): Promise<void> {
    const c = this.current;
    // Always an answer (empty without a model), so the page's one probe in flight comes back.
    if (!c || !Number.isFinite(x) || !Number.isFinite(y)) return this.post({ type: 'probe', token, x, y, probs: [], route: [] });
    try {
      const r = await c.model.forward(c.params, Float64Array.of(x, y), 1);
      this.post({ type: 'probe', token, x, y, probs: Array.from(r.probs), route: Array.from(r.route) });
    } catch {
      // the model was replaced under the probe: nothing to show
      this.post({ type: 'probe', token, x, y, probs: [], route: [] });
    }
  }

  private replaceCurrent(next: Current | null): void {
    if (this.current && this.current.made !== next?.made) {
      this.current.model.dispose();
      disposeMapBackends(this.current.made);
    }
    this.current = next;
  }

  // ------------------------------------------------------------------ training

  /** Runs and loads one after the other: a run asked for while the last one finishes its maps waits for it. */
  private tail: Promise<void> = Promise.resolve();
  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => {});
    return next;
  }

  train(setup: Setup, confirmed: boolean): Promise<void> {
    return this.enqueue(() => this.runTraining(setup, confirmed));
  }

  load(text: string, name: string, engineChoice: EngineChoice): Promise<void> {
    return this.enqueue(() => this.loadNow(text, name, engineChoice));
  }

  private async runTraining(setup: Setup, confirmed: boolean): Promise<void> {
    this.running = true;
    this.stopRequested = false;
    this.paused = false;
    this.pauseAfterEpoch = null;
    this.completedEpochs = 0;
    let made: MadeEngine | null = null;
    let kept = false;
    try {
      checkSetup(setup);
      this.post({ type: 'phase', text: 'Preparing the data…' });
      const data = prepare(setup, this.csv);
      const spec = specOf(setup, data.classes);
      const p = effectiveNoise(setup);
      checkSpecLimits(spec, p);
      this.post({ type: 'phase', text: 'Starting the engine…' });
      made = await makeEngine(spec, setup.engine, setup.lr, { p, seed: setup.seed });
      const engine = made.engine;
      const tracker = new StepTracker(engine, made.gpu);
      const init = initParams(spec, { seed: setup.seed, init: setup.init });
      await engine.setParams(init);
      await engine.load('train', data.splits.train);
      await engine.load('validation', data.splits.validation);

      // The estimate: time a real batch (twice: the first one also compiles) and one validation pass.
      this.post({ type: 'phase', text: `Measuring the time per batch on the ${made.info.label}…` });
      const rows = data.splits.train.rows;
      const batch = Math.min(setup.batch, rows);
      const probeRows = Int32Array.from({ length: batch }, (_, i) => i);
      let stepMs = 0;
      for (let k = 0; k < 2 && !this.stopRequested; k++) {
        const t = performance.now();
        engine.step(probeRows);
        await tracker.afterStep();
        await tracker.drain();
        stepMs = performance.now() - t;
        await nextTask();
      }
      const tv = performance.now();
      await engine.evaluate('validation');
      const valMs = performance.now() - tv;
      const batches = Math.ceil(rows / batch);
      const msPerEpoch = stepMs * batches + valMs;
      const work = epochWork(spec, rows, data.splits.validation.rows, { p, trajectories: made.gateNoise?.trajectories ?? 0 });
      const needsConfirm = msPerEpoch > CONFIRM_EPOCH_MS || msPerEpoch * setup.epochs > MAX_RUN_MS;
      this.post({ type: 'estimate', msPerEpoch, epochs: setup.epochs, engine: made.info, needsConfirm: needsConfirm && !confirmed, msPerWork: msPerEpoch / work });
      if (this.stopRequested) return this.post({ type: 'cancelled', text: 'Stopped before training started.' });
      if (needsConfirm && !confirmed) return;
      await engine.setParams(init);
      await engine.epochStats(); // drop the probe steps' statistics

      const view = dataView(data);
      this.post({ type: 'started', spec, engine: made.info, view, setup });
      this.replaceCurrent({ spec, model: mapModel(spec, made), made, params: init, grid: { ...view.grid, nx: mapCells(spec, p), ny: mapCells(spec, p) }, epoch: 0 });
      kept = true;
      await this.sendMaps();

      const t0 = performance.now();
      let epochStart = t0;
      let lastYield = t0;
      let lastProgress = 0;
      let lastMaps = t0;
      let mapMs = 0;
      let msPerBatch = stepMs;
      const onBatch = async (at: BatchProgress) => {
        await tracker.afterStep();
        const now = performance.now();
        msPerBatch = (now - epochStart) / at.batch;
        if (now - lastProgress > PROGRESS_MS || at.batch === at.batches) {
          this.post({ type: 'progress', epoch: at.epoch, epochs: setup.epochs, batch: at.batch, batches: at.batches, epochMs: now - epochStart, msPerBatch, elapsedMs: now - t0 });
          lastProgress = now;
        }
        if (now - lastYield > SLICE_MS) {
          await nextTask();
          lastYield = performance.now();
        }
        if (this.paused) await this.pauseGate(engine, at.epoch, true);
      };
      const onEpoch = async (r: EpochRecord, best: { bestEpoch: number }) => {
        const now = performance.now();
        const epochMs = now - epochStart;
        this.completedEpochs = r.epoch;
        this.post({ type: 'epoch', record: r, bestEpoch: best.bestEpoch, elapsedMs: now - t0, msPerEpoch: epochMs, msPerWork: epochMs / work });
        if (this.pauseAfterEpoch !== null && r.epoch >= this.pauseAfterEpoch) {
          this.paused = true;
          this.pauseAfterEpoch = null;
        }
        if (this.paused) {
          await this.pauseGate(engine, r.epoch, false);
        } else if (r.epoch === 1 || now - lastMaps > Math.max(1000, 3 * mapMs)) {
          const tm = performance.now();
          this.current!.params = await engine.getParams();
          this.current!.epoch = r.epoch;
          await this.sendMaps();
          mapMs = performance.now() - tm;
          lastMaps = performance.now();
        }
        await nextTask();
        epochStart = lastYield = performance.now();
      };
      const result = await train(engine, { train: data.splits.train, validation: data.splits.validation }, {
        epochs: setup.epochs,
        batch: setup.batch,
        patience: setup.patience,
        // As `qmoe train`: the shuffles' generator is derived from the seed, apart from the init draws.
        seed: shuffleSeed(setup.seed),
        stopRequested: () => this.stopRequested,
        onBatch,
        onEpoch,
      });
      const seconds = (performance.now() - t0) / 1000;
      if (result.stoppedByRequest) this.post({ type: 'halted', epochsRun: result.epochsRun, bestEpoch: result.bestEpoch });
      else this.post({ type: 'phase', text: 'Scoring the test split…' });
      // The kept epoch's validation figures are those of evaluate('validation') at these very
      // parameters (the trainer's record). A stopped run is not re-scored on the train split (the
      // slow pass): its train row shows the kept epoch's figures as seen during training.
      const best = result.history[result.bestEpoch - 1];
      const scores = await score(engine, data, {
        validation: best ? { loss: best.valLoss, accuracy: best.valAccuracy } : undefined,
        train: result.stoppedByRequest && best ? { loss: best.trainLoss, accuracy: best.trainAccuracy } : undefined,
      });
      const mapsStale = this.current!.epoch !== result.bestEpoch || this.current!.params.some((v, i) => v !== result.params[i]);
      this.current!.params = result.params;
      this.current!.epoch = result.bestEpoch;
      const c = countParams(spec);
      const metrics = {
        dataset: data.source === 'moons' ? 'moons' : 'csv',
        router: spec.router,
        preset: spec.preset,
        backend: engine.kind,
        engine: made.info.label,
        ...scores,
        params: c,
        paramsCounted: 'total',
        efficiency: efficiency(scores.accuracy, c.total),
        routerEfficiency: efficiency(scores.accuracy, Math.max(1, c.router)),
        epochs: result.epochsRun,
        bestEpoch: result.bestEpoch,
        stoppedEarly: result.stoppedEarly,
        seconds,
        gateNoise: made.gateNoise,
      };
      const model =
        data.source === 'moons' && data.settings
          ? savedModel({ spec, result, data: { ...data, settings: data.settings }, training: { backend: engine.kind, lr: setup.lr, epochs: setup.epochs, batch: setup.batch, seed: setup.seed, patience: setup.patience, init: setup.init, gateNoise: made.gateNoise }, metrics })
          : null;
      const downloadNote = model ? '' : 'model.json (format version 1) records how to regenerate its data set, which only Two Moons can be for now: models trained on a CSV cannot be downloaded yet.';
      const how = result.stoppedByRequest ? 'stopped' : result.stoppedEarly ? 'early' : 'finished';
      this.post({ type: 'done', how, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch, seconds, scores, params: result.params, model, downloadNote });
      // The kept parameters' maps after the answer (a new run waits for them in the queue).
      if (mapsStale) await this.sendMaps(false);
    } catch (e) {
      console.error(e);
      this.post({ type: 'error', message: (e as Error).message });
    } finally {
      made?.engine.dispose();
      if (made && !kept) disposeMapBackends(made);
      this.running = false;
    }
  }

  // ------------------------------------------------------------------ model files

  /**
   * Checks a model.json completely before the page changes anything: the file (validateModel
   * against the app's limits), the data set kind, the data it regenerates, then a probe: the
   * parameters must give finite class probabilities and a finite loss on the test rows, under the
   * noise the model was trained with. Only then does the page get 'loaded'.
   */
  private async loadNow(text: string, name: string, engineChoice: EngineChoice): Promise<void> {
    this.running = true;
    let made: MadeEngine | null = null;
    let kept = false;
    try {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new Error(`${name} is not valid JSON (${(e as Error).message}); is it a model.json written by qmoe train?`);
      }
      const kind = (json as { dataset?: { name?: unknown } })?.dataset?.name;
      if (kind === 'mnist' || kind === 'fashion') {
        throw new QmoeInputError(`${name}: dataset.name`, kind, `the playground regenerates Two Moons only (2 features); evaluate a ${kind} model with \`npx qmoe eval --model ${name}\``);
      }
      const model = validateModel(json, name, { scope: 'app' });
      const { setup, notes } = setupFromModel(model, engineChoice);
      checkSetup(setup);
      const spec = model.spec;
      const data = moonsData(spec.preset, { samples: model.dataset.samples, noise: model.dataset.noise, seed: model.dataset.seed }, model.scaler);
      if (data.features !== spec.features || data.classes !== spec.classes) throw new QmoeInputError(`${name}.spec`, `${spec.features} features, ${spec.classes} classes`, 'Two Moons has 2 features and 2 classes');
      const noise = model.training.gateNoise ?? null;
      made = await makeEngine(spec, engineChoice, setup.lr, { p: noise?.p ?? 0, seed: noise?.seed ?? 0, trajectories: noise?.trajectories });
      const params = Float64Array.from(model.params);
      await made.engine.setParams(params);
      for (const split of ['train', 'validation', 'test'] as const) await made.engine.load(split, data.splits[split]);
      const t = data.splits.test;
      const probs = await made.engine.predict(t.x, t.rows);
      const bad = probs.findIndex((v) => !Number.isFinite(v) || v < 0 || v > 1);
      if (bad >= 0) throw new QmoeInputError(`${name}.params`, `class probability ${probs[bad]} on test row ${Math.floor(bad / spec.classes)}`, 'the parameters must give finite probabilities from 0 to 1 on every test row (are they from this model?)');
      const scores = await score(made.engine, data);
      if (!Number.isFinite(scores.testLoss)) throw new QmoeInputError(`${name}.params`, scores.testLoss, 'the parameters give a non-finite test loss');
      const view = dataView(data);
      const p = noise?.p ?? 0;
      const grid = { ...view.grid, nx: mapCells(spec, p), ny: mapCells(spec, p) };
      const next: Current = { spec, model: mapModel(spec, made), made, params, grid, epoch: 0 };
      const r = await next.model.forward(params, gridPoints(grid).subarray(0, 2 * Math.min(64, grid.nx * grid.ny)), Math.min(64, grid.nx * grid.ny));
      if (!r.route.every(Number.isFinite)) throw new QmoeInputError(`${name}.params`, 'non-finite router probabilities', 'the router must give finite P(expert | x)');
      kept = true;
      this.replaceCurrent(next);
      this.post({ type: 'loaded', name, setup, notes, view, spec, engine: made.info, scores, params, model });
      await this.sendMaps(false);
    } catch (e) {
      this.post({ type: 'refused', name, message: (e as Error).message });
    } finally {
      made?.engine.dispose();
      if (made && !kept) disposeMapBackends(made);
      this.running = false;
    }
  }
}

type Stats = { loss: number; accuracy: number };

/** Test-split scores of the engine's current parameters (as `qmoe train` reports them); figures already known are passed in. */
async function score(engine: TrainingEngine, data: AppData, known: { validation?: Stats; train?: Stats } = {}): Promise<Scores> {
  const train = known.train;
  await engine.load('test', data.splits.test);
  const test = await engine.evaluate('test');
  const validation = known.validation ?? (await engine.evaluate('validation'));
  const trainStats = train ?? (await engine.evaluate('train'));
  const t = data.splits.test;
  const pred = predictedClasses(await engine.predict(t.x, t.rows), t.rows, t.classes);
  return { accuracy: accuracy(t.y, pred), f1: f1(t.y, pred, t.classes), testLoss: test.loss, testRows: t.rows, validation, train: trainStats, trainDuringEpoch: train !== undefined };
}

export type { SavedModel };
