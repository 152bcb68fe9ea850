/** Section 1: forward throughput of the quantum router (angle embedding + RY/CZ layers -> 4 experts). */
import { routerCircuit } from '../src/circuit/builders.js';
import { QmoeInputError } from '../src/errors.js';
import { readFloats } from '../src/gpu/buffers.js';
import type { GpuContext } from '../src/gpu/context.js';
import { CpuBackend } from '../src/sim/backend-cpu.js';
import type { CircuitRunner } from '../src/sim/statevector-gpu.js';
import { WebGpuBackend } from '../src/sim/backend-gpu.js';
import { median, mulberry32, scoped, StallError, timeOne, withTimeout, type TimingOptions } from './timing.js';

export const EXPERTS = 4;
export const LAYERS = 4;
/** Batch of the CPU reference timing and of the GPU-vs-CPU accuracy check. */
export const CPU_BATCH = 1000;

export interface ForwardRow {
  n: number;
  batch: number;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  gates: number;
  path?: string;
  real?: boolean;
  /** Median ms per forward pass (angles kernel + circuit + expert sums). */
  ms?: number;
  minMs?: number;
  samplesPerSec?: number;
  /** Forward passes per timed sample, and the per-pass ms of every sample. */
  k?: number;
  samples?: number[];
  /** Largest |GPU - CPU float64| over the expert probabilities of the first min(B, CPU_BATCH) rows. */
  maxAbsErrVsCpu?: number;
  uncapturedErrors?: string[];
}

export interface CpuRow {
  n: number;
  batch: number;
  /** Median ms per call of CpuBackend.expertProbabilities (after a first, JIT-warming call). */
  ms: number;
  samplesPerSec: number;
  runs: number;
}

export function features(n: number, rows: number): Float32Array {
  // Same seed per n: the first CPU_BATCH rows are the same whatever the batch.
  const rng = mulberry32(1000 + n);
  const f = new Float32Array(rows * n);
  for (let i = 0; i < f.length; i++) f[i] = (rng() * 2 - 1) * Math.PI;
  return f;
}

export function params(count: number): Float64Array {
  const rng = mulberry32(7);
  return Float64Array.from({ length: count }, () => (rng() * 2 - 1) * Math.PI);
}

async function cpuReference(n: number, feats: Float32Array, p: Float64Array): Promise<{ row: CpuRow; probs: Float64Array }> {
  const circuit = routerCircuit(n, LAYERS);
  const cpu = new CpuBackend();
  const input = { rows: CPU_BATCH, features: feats.subarray(0, CPU_BATCH * n), params: p };
  const times: number[] = [];
  let probs: Float64Array | undefined;
  let total = 0;
  while (times.length < 4 && (times.length < 2 || total < 1500)) {
    const t0 = performance.now();
    probs = await cpu.expertProbabilities(circuit, input, EXPERTS);
    const dt = performance.now() - t0;
    times.push(dt);
    total += dt;
  }
  const ms = median(times.length > 1 ? times.slice(1) : times);
  return { row: { n, batch: CPU_BATCH, ms, samplesPerSec: (CPU_BATCH / ms) * 1000, runs: times.length }, probs: probs! };
}

/** Appends to `rows` and `cpuRows` as it goes, so a StallError leaves what was measured. */
export async function benchForward(
  gpu: GpuContext,
  sizes: { n: number; batches: number[] }[],
  timing: TimingOptions,
  limitMs: number,
  log: (line: string) => void,
  rows: ForwardRow[],
  cpuRows: CpuRow[],
): Promise<void> {
  const backend = new WebGpuBackend(gpu);
  for (const { n, batches } of sizes) {
    const circuit = routerCircuit(n, LAYERS);
    const p = params(circuit.params);
    const maxBatch = Math.max(...batches, CPU_BATCH);
    const allFeatures = features(n, maxBatch);
    log(`cpu  n=${n} B=${CPU_BATCH} ...`);
    const cpu = await cpuReference(n, allFeatures, p);
    cpuRows.push(cpu.row);
    for (const batch of batches) {
      const row: ForwardRow = { n, batch, status: 'ok', gates: circuit.ops.length };
      rows.push(row);
      log(`gpu  forward n=${n} B=${batch} ...`);
      const errorsBefore = gpu.uncapturedErrors.length;
      let runner: CircuitRunner | undefined;
      let stage = 'prepare';
      try {
        await withTimeout(limitMs, () => `forward n=${n} B=${batch}, ${stage}`, async () => {
          runner = await scoped(gpu.device, () => backend.prepare(circuit, batch, { kind: 'experts', experts: EXPERTS }), (r) => r.destroy());
          row.path = runner.path;
          row.real = runner.compiled.real;
          runner.setFeatures(allFeatures.subarray(0, batch * n), batch);
          runner.setParams(p);
          const r = runner;
          stage = 'timing';
          const t = await timeOne(gpu.device, { submit: (k) => { for (let i = 0; i < k; i++) r.dispatch(); } }, timing);
          Object.assign(row, { ms: t.ms, minMs: t.minMs, samplesPerSec: (batch / t.ms) * 1000, k: t.k, samples: t.samples });
          stage = 'readback';
          const checked = Math.min(batch, CPU_BATCH);
          const got = await readFloats(gpu.device, runner.output, checked * EXPERTS * 4);
          let err = 0;
          for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - cpu.probs[i]));
          row.maxAbsErrVsCpu = err;
        });
      } catch (e) {
        if (e instanceof StallError) {
          row.status = 'error';
          row.reason = e.message;
          throw e;
        }
        row.status = e instanceof QmoeInputError || /out of GPU memory/.test((e as Error).message) ? 'skipped' : 'error';
        row.reason = (e as Error).message;
      } finally {
        runner?.destroy();
        if (gpu.uncapturedErrors.length > errorsBefore) row.uncapturedErrors = gpu.uncapturedErrors.slice(errorsBefore);
      }
      if (gpu.lostReason) throw new StallError(`GPU device lost: ${gpu.lostReason}`);
    }
  }
}
