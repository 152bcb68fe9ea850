/**
 * Section 3: training.
 *
 * a. Throughput of full training steps of model B (quantum router, paper preset: RY angle
 *    embedding, `layers` layers of RY + CZ, experts = blocks of basis states, linear experts) on
 *    the WebGPU engine (forward + loss + adjoint backward + Adam, one command buffer per step)
 *    and on the CPU float64 engine: engine.step(rows) k times, then `await engine.epochStats()`
 *    (its readback of three scalars forces the queued steps to finish).
 * b. Wall time of a study-settings training run, `qmoe train` spawned as a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QmoeInputError } from '../src/errors.js';
import type { GpuContext } from '../src/gpu/context.js';
import { countParams, initParams, makeSpec } from '../src/moe/models.js';
import type { ModelSpec } from '../src/moe/spec.js';
import { createCpuEngine } from '../src/train/cpu-engine.js';
import type { TrainingData, TrainingEngine } from '../src/train/engine.js';
import { createWebGpuEngine } from '../src/train/gpu-engine.js';
import { median, mulberry32, scoped, StallError, withTimeout } from './timing.js';

export const TRAIN_LAYERS = 4;
export const TRAIN_ROWS = 8192;
export const TRAIN_LR = 0.01;

export interface StepTimingOptions {
  /** Wall time one sample aims at (k is chosen from a calibration sample of one step). */
  targetMs: number;
  /** Samples per size. */
  repeats: number;
  /** Fewest and most steps per sample. */
  minK: number;
  maxK: number;
  /** Untimed steps (each followed by epochStats) before the calibration. */
  warmup: number;
}

export interface TrainingSizes {
  /** Qubits = features of model B, and the batches the GPU engine is timed at. */
  gpu: { n: number; batches: number[] }[];
  /** Qubits the CPU float64 engine is timed at (batch CPU_TRAIN_BATCH). */
  cpu: number[];
  gpuTiming: StepTimingOptions;
  cpuTiming: StepTimingOptions;
  /** `qmoe train` runs: backend and --epochs (null: the command's default). */
  runs: { backend: 'cpu' | 'cpu64' | 'webgpu'; epochs: number | null }[];
  /** Longest one `qmoe train` child may run. */
  runLimitMs: number;
}

export const CPU_TRAIN_BATCH = 32;

export interface StepRow {
  engine: 'webgpu' | 'cpu';
  n: number;
  batch: number;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  spec?: ModelSpec;
  params?: number;
  /** WebGPU: most steps per command buffer (the engine's stepsPerSubmit; 1 = one submission per step). */
  stepsPerSubmit?: number;
  /** Median ms per training step (k steps + one epochStats() readback, divided by k). */
  ms?: number;
  minMs?: number;
  samplesPerSec?: number;
  /** Steps per sample and the per-step ms of every sample. */
  k?: number;
  samples?: number[];
  /**
   * Train loss of the first step (its batch's mean loss before the update): the same batch and
   * initial parameters on both engines at the same n and B, so the GPU's f32 value can be checked
   * against the CPU's float64 one.
   */
  firstLoss?: number;
  /** Mean train loss over the steps of the last sample (sanity: finite, near ln 2 for random labels). */
  loss?: number;
  uncapturedErrors?: string[];
}

export interface TrainRunRow {
  backend: 'cpu' | 'cpu64' | 'webgpu';
  /** --epochs given (null: the command's default, i.e. study settings). */
  epochsArg: number | null;
  argv: string[];
  status: 'ok' | 'error';
  reason?: string;
  /** Wall time of the child process (node start, data, training, evaluation, plots, files). */
  wallSeconds?: number;
  /** metrics.json `seconds`: the training loop only. */
  trainSeconds?: number;
  /** metrics.json: engine used, epochs run, best epoch, early stop, test accuracy. */
  engine?: string;
  epochs?: number;
  bestEpoch?: number;
  stoppedEarly?: boolean;
  accuracy?: number;
  stderrTail?: string;
}

export function modelB(n: number): ModelSpec {
  return makeSpec({ router: 'quantum', preset: 'paper', features: n, qubits: n, layers: TRAIN_LAYERS, experts: Math.min(4, 2 ** n), classes: 2 });
}

function trainSplit(n: number): TrainingData {
  const rng = mulberry32(5000 + n);
  const x = Float64Array.from({ length: TRAIN_ROWS * n }, () => rng() * Math.PI);
  const y = Int32Array.from({ length: TRAIN_ROWS }, () => (rng() < 0.5 ? 0 : 1));
  return { x, y, rows: TRAIN_ROWS, features: n, classes: 2 };
}

/** Batches of a shuffled permutation of the train rows, cycled through by the timing loop. */
function batchesOf(batch: number, seed: number): Int32Array[] {
  const rng = mulberry32(seed);
  const perm = Int32Array.from({ length: TRAIN_ROWS }, (_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const out: Int32Array[] = [];
  for (let s = 0; s + batch <= TRAIN_ROWS; s += batch) out.push(perm.slice(s, s + batch));
  return out;
}

/** ms per step of one sample: k steps, then one epochStats(). */
async function sample(engine: TrainingEngine, batches: Int32Array[], at: { i: number }, k: number): Promise<{ ms: number; loss: number }> {
  const t0 = performance.now();
  for (let s = 0; s < k; s++) engine.step(batches[at.i++ % batches.length]);
  const stats = await engine.epochStats();
  return { ms: (performance.now() - t0) / k, loss: stats.loss };
}

async function timeSteps(
  engine: TrainingEngine,
  batches: Int32Array[],
  options: StepTimingOptions,
  stage: (s: string) => void,
): Promise<{ ms: number; minMs: number; samples: number[]; k: number; loss: number; firstLoss: number }> {
  const at = { i: 0 };
  stage('warm-up');
  let firstLoss: number | undefined;
  for (let w = 0; w < options.warmup; w++) {
    const s = await sample(engine, batches, at, 1);
    firstLoss ??= s.loss;
  }
  stage('calibration');
  const one = await sample(engine, batches, at, 1);
  firstLoss ??= one.loss;
  const k = Math.max(options.minK, Math.min(options.maxK, Math.ceil(options.targetMs / Math.max(one.ms, 1e-3))));
  const samples: number[] = [];
  let loss = one.loss;
  for (let r = 0; r < options.repeats; r++) {
    stage(`sample ${r + 1}/${options.repeats} (k=${k})`);
    const s = await sample(engine, batches, at, k);
    samples.push(s.ms);
    loss = s.loss;
  }
  return { ms: median(samples), minMs: Math.min(...samples), samples, k, loss, firstLoss };
}

/**
 * Step throughput of model B. Appends to `rows` as it goes, so a StallError leaves what was
 * measured. GPU rows for every size first, then the CPU rows.
 */
export async function benchTrainingSteps(gpu: GpuContext, sizes: TrainingSizes, limitMs: number, log: (line: string) => void, rows: StepRow[]): Promise<void> {
  const data = new Map<number, TrainingData>();
  const split = (n: number) => {
    if (!data.has(n)) data.set(n, trainSplit(n));
    return data.get(n)!;
  };
  // WebGPU twice: the default (64 steps per command buffer) and one submission per step.
  const jobs: { engine: 'webgpu' | 'cpu'; n: number; batch: number; stepsPerSubmit?: number }[] = [
    ...sizes.gpu.flatMap(({ n, batches }) => batches.flatMap((batch) => [64, 1].map((stepsPerSubmit) => ({ engine: 'webgpu' as const, n, batch, stepsPerSubmit })))),
    ...sizes.cpu.map((n) => ({ engine: 'cpu' as const, n, batch: CPU_TRAIN_BATCH })),
  ];
  for (const { engine: kind, n, batch, stepsPerSubmit } of jobs) {
    let spec: ModelSpec;
    try {
      spec = modelB(n);
    } catch (e) {
      rows.push({ engine: kind, n, batch, status: 'skipped', reason: (e as Error).message });
      continue;
    }
    const row: StepRow = { engine: kind, n, batch, status: 'ok', spec, params: countParams(spec).total, stepsPerSubmit };
    rows.push(row);
    log(`${kind === 'cpu' ? 'cpu ' : 'gpu '} train step n=${n} B=${batch}${stepsPerSubmit ? ` ${stepsPerSubmit} per submit` : ''} ...`);
    const errorsBefore = gpu.uncapturedErrors.length;
    let engine: TrainingEngine | undefined;
    let stage = 'create engine';
    try {
      await withTimeout(limitMs, () => `training ${kind} n=${n} B=${batch}, ${stage}`, async () => {
        engine =
          kind === 'cpu'
            ? createCpuEngine(spec, { lr: TRAIN_LR })
            : await scoped(gpu.device, () => createWebGpuEngine(gpu, spec, { lr: TRAIN_LR, capacity: batch, stepsPerSubmit }), (e) => e.dispose());
        const e = engine;
        stage = 'load';
        await e.load('train', split(n));
        await e.setParams(initParams(spec, { seed: 1 }));
        const t = await timeSteps(e, batchesOf(batch, 77 + n), kind === 'cpu' ? sizes.cpuTiming : sizes.gpuTiming, (s) => (stage = s));
        Object.assign(row, { ms: t.ms, minMs: t.minMs, samplesPerSec: (batch / t.ms) * 1000, k: t.k, samples: t.samples, firstLoss: t.firstLoss, loss: t.loss });
        if (!Number.isFinite(t.loss)) throw new Error(`train loss is ${t.loss}`);
      });
    } catch (e) {
      if (e instanceof StallError) {
        row.status = 'error';
        row.reason = e.message;
        throw e;
      }
      row.status = e instanceof QmoeInputError || /out of GPU memory/.test((e as Error).message) ? 'skipped' : 'error';
      row.reason = (e as Error).message;
      log(`  ${row.status}: ${row.reason}`);
    } finally {
      engine?.dispose();
      if (gpu.uncapturedErrors.length > errorsBefore) row.uncapturedErrors = gpu.uncapturedErrors.slice(errorsBefore);
    }
    if (gpu.lostReason) throw new StallError(`GPU device lost: ${gpu.lostReason}`);
  }
}

const QMOE = fileURLToPath(new URL('../bin/qmoe.mjs', import.meta.url));

function runChild(args: string[], limitMs: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [QMOE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

const tail = (s: string, chars = 1500) => (s.length > chars ? `...${s.slice(-chars)}` : s);

/** `qmoe train --dataset moons --router quantum --backend B [--epochs N] --out TMP`, timed. */
export async function benchTrainRuns(sizes: TrainingSizes, log: (line: string) => void, rows: TrainRunRow[]): Promise<void> {
  for (const { backend, epochs } of sizes.runs) {
    const dir = mkdtempSync(join(tmpdir(), 'qmoe-bench-train-'));
    const argv = ['train', '--dataset', 'moons', '--router', 'quantum', '--backend', backend, ...(epochs === null ? [] : ['--epochs', String(epochs)])];
    const row: TrainRunRow = { backend, epochsArg: epochs, argv: ['qmoe', ...argv, '--out', '<tmpdir>'], status: 'ok' };
    rows.push(row);
    log(`qmoe ${argv.join(' ')} ...`);
    try {
      const r = await runChild([...argv, '--out', dir], sizes.runLimitMs);
      row.wallSeconds = r.ms / 1000;
      if (r.code !== 0) {
        row.status = 'error';
        row.reason = r.signal ? `killed (${r.signal}) after ${(r.ms / 1000).toFixed(0)} s` : `exit code ${r.code}`;
        row.stderrTail = tail(r.stderr);
        log(`  error: ${row.reason}\n${row.stderrTail}`);
        continue;
      }
      const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
      const num = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : undefined);
      Object.assign(row, {
        trainSeconds: num('seconds'),
        engine: typeof m.backend === 'string' ? m.backend : undefined,
        epochs: num('epochs'),
        bestEpoch: num('bestEpoch'),
        stoppedEarly: typeof m.stoppedEarly === 'boolean' ? m.stoppedEarly : undefined,
        accuracy: num('accuracy'),
      });
      // Both CPU engines report kind 'cpu' (cpu64 is the float64 one).
      if (row.engine !== undefined && row.engine !== (backend === 'cpu64' ? 'cpu' : backend)) {
        row.status = 'error';
        row.reason = `asked for --backend ${backend}, metrics.json says ${row.engine}`;
      }
    } catch (e) {
      row.status = 'error';
      row.reason = (e as Error).message;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
