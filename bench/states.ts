/**
 * Section 2: one large state on the global path (one dispatch per gate), against a plain copy
 * kernel over buffers of the same size.
 */
import type { Circuit, Op } from '../src/circuit/types.js';
import { QmoeInputError } from '../src/errors.js';
import { BufferSet } from '../src/gpu/buffer-set.js';
import { readFloats } from '../src/gpu/buffers.js';
import type { GpuContext } from '../src/gpu/context.js';
import { getKernel, grid, kernelStep } from '../src/gpu/kernel.js';
import type { CircuitRunner } from '../src/sim/statevector-gpu.js';
import { WebGpuBackend } from '../src/sim/backend-gpu.js';
import { bytes } from './table.js';
import { mulberry32, scoped, StallError, timeInterleaved, withTimeout, type Timing, type TimingOptions, type Variant } from './timing.js';

export type StateVariant = 'real' | 'complex';

export interface StateRow {
  n: number;
  variant: StateVariant;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  stateBytes: number;
  /** 2n RY + (n-1) CZ. */
  gates: number;
  path?: string;
  real?: boolean;
  /** Median ms of one whole circuit run (init + every gate), and of the empty circuit (init only). */
  circuitMs?: number;
  emptyMs?: number;
  /** (circuit - empty) / gates, and 2 * stateBytes over it. */
  msPerGate?: number;
  gateGBps?: number;
  /** (RY-only circuit - empty) / 2n, and (circuit - RY-only circuit) / (n - 1). */
  ryMsPerGate?: number;
  czMsPerGate?: number;
  /** Copy kernel: (pass of gates + 1 copies - pass of 1 copy) / gates, and 2 * stateBytes over it. */
  copyMs?: number;
  copyGBps?: number;
  /** gateGBps / copyGBps. */
  ratio?: number;
  /** Largest relative error of 4096 sampled amplitudes against the exact state. */
  maxRelErr?: number;
  timings?: Record<string, Timing>;
  uncapturedErrors?: string[];
}

/** Angles of the two RY layers; every qubit ends in cos(t_i)|0> + sin(t_i)|1>, t_i = (a_i + b_i) / 2. */
function angles(n: number): { a: number[]; b: number[] } {
  const rng = mulberry32(99 + n);
  const a = Array.from({ length: n }, () => 0.2 + rng());
  const b = Array.from({ length: n }, () => 0.2 + rng());
  return { a, b };
}

function stateCircuit(n: number, withCz: boolean, gates: boolean): Circuit {
  const { a, b } = angles(n);
  const ops: Op[] = [];
  if (gates) {
    for (const layer of [a, b]) layer.forEach((value, i) => ops.push({ gate: 'ry', wires: [i], angle: { kind: 'const', value } }));
    if (withCz) for (let i = 0; i + 1 < n; i++) ops.push({ gate: 'cz', wires: [i, i + 1] });
  }
  return { qubits: n, features: 0, params: 0, ops };
}

/** Exact amplitude k of the RY + CZ circuit: a product state with CZ signs. Qubit 0 is the top bit. */
function exactAmplitude(n: number, k: number, c: number[], s: number[]): number {
  let amp = 1;
  let prev = 0;
  let sign = 1;
  for (let i = 0; i < n; i++) {
    const bit = Math.floor(k / 2 ** (n - 1 - i)) % 2;
    amp *= bit ? s[i] : c[i];
    if (bit && prev) sign = -sign;
    prev = bit;
  }
  return sign * amp;
}

async function checkState(gpu: GpuContext, runner: CircuitRunner, n: number, complex: boolean): Promise<number> {
  const dim = 2 ** n;
  const data = await readFloats(gpu.device, runner.output, dim * (complex ? 8 : 4));
  const { a, b } = angles(n);
  const c = a.map((x, i) => Math.cos((x + b[i]) / 2));
  const s = a.map((x, i) => Math.sin((x + b[i]) / 2));
  const rng = mulberry32(5);
  let worst = 0;
  for (let t = 0; t < 4096; t++) {
    const k = t === 0 ? 0 : t === 1 ? dim - 1 : Math.floor(rng() * dim);
    const want = exactAmplitude(n, k, c, s);
    const re = complex ? data[2 * k] : data[k];
    const im = complex ? data[2 * k + 1] : 0;
    worst = Math.max(worst, Math.hypot(re - want, im) / Math.abs(want));
  }
  return worst;
}

/** The copy kernel over `bytes`: submit(k) submits k passes of `copies` dispatches each. */
async function copyBench(gpu: GpuContext, bytes: number, track: (owner: { destroy(): void }) => void): Promise<(copies: number) => Variant> {
  const { device } = gpu;
  const set = new BufferSet(gpu, 'the copy benchmark');
  track(set);
  const step = kernelStep(set, await getKernel(gpu, 'copy'), { src: set.storage('copy src', bytes), dst: set.storage('copy dst', bytes) });
  await set.ready();
  const count = bytes / 16;
  const [x, y] = grid(Math.ceil(count / 256), gpu.limits.maxComputeWorkgroupsPerDimension);
  return (copies) => ({
    submit: (k) => {
      for (let i = 0; i < k; i++) {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass({ label: `copy x${copies}` });
        // The first dispatch binds the kernel and writes its Meta; the others repeat it.
        step.encodeGrid(pass, [x, y], { count, groups_x: x });
        for (let c = 1; c < copies; c++) pass.dispatchWorkgroups(x, y);
        pass.end();
        device.queue.submit([encoder.finish()]);
      }
    },
  });
}

const gbps = (bytes: number, ms: number) => (2 * bytes) / ms / 1e6;

export async function benchStates(
  gpu: GpuContext,
  sizes: number[],
  variants: StateVariant[],
  timing: TimingOptions,
  limitMs: number,
  log: (line: string) => void,
  rows: StateRow[],
): Promise<void> {
  for (const n of sizes) {
    for (const variant of variants) {
      const complex = variant === 'complex';
      const stateBytes = 2 ** n * (complex ? 8 : 4);
      const gates = 3 * n - 1;
      const row: StateRow = { n, variant, status: 'ok', stateBytes, gates };
      rows.push(row);
      log(`gpu  state n=${n} ${variant} (${bytes(stateBytes)}) ...`);
      const errorsBefore = gpu.uncapturedErrors.length;
      const backend = new WebGpuBackend(gpu, { real: complex ? 'never' : 'auto' });
      const runners: CircuitRunner[] = [];
      const buffers: { destroy(): void }[] = [];
      let stage = 'prepare';
      try {
        await withTimeout(limitMs, () => `state n=${n} ${variant}, ${stage}`, async () => {
          const prepare = (c: Circuit) =>
            scoped(gpu.device, () => backend.prepare(c, 1, { kind: 'states' }), (r) => r.destroy()).then((r) => {
              runners.push(r);
              r.setFeatures(new Float32Array(0), 1);
              r.setParams(undefined);
              return r;
            });
          const full = await prepare(stateCircuit(n, true, true));
          const ryOnly = await prepare(stateCircuit(n, false, true));
          const empty = await prepare(stateCircuit(n, false, false));
          row.path = full.path;
          row.real = full.compiled.real;
          const copy = await scoped(gpu.device, () => copyBench(gpu, stateBytes, (b) => buffers.push(b)), () => {});
          stage = 'timing';
          const runs = (r: CircuitRunner): Variant => ({ submit: (k) => { for (let i = 0; i < k; i++) r.dispatch(); } });
          const [tFull, tRy, tEmpty, tCopy1, tCopyG] = await timeInterleaved(
            gpu.device,
            [runs(full), runs(ryOnly), runs(empty), copy(1), copy(gates + 1)],
            timing,
          );
          row.timings = { full: tFull, ryOnly: tRy, empty: tEmpty, copy1: tCopy1, [`copy${gates + 1}`]: tCopyG };
          row.circuitMs = tFull.ms;
          row.emptyMs = tEmpty.ms;
          row.msPerGate = (tFull.ms - tEmpty.ms) / gates;
          row.ryMsPerGate = (tRy.ms - tEmpty.ms) / (2 * n);
          row.czMsPerGate = (tFull.ms - tRy.ms) / (n - 1);
          row.copyMs = (tCopyG.ms - tCopy1.ms) / gates;
          if (row.msPerGate > 0) row.gateGBps = gbps(stateBytes, row.msPerGate);
          if (row.copyMs > 0) row.copyGBps = gbps(stateBytes, row.copyMs);
          if (row.gateGBps && row.copyGBps) row.ratio = row.gateGBps / row.copyGBps;
          stage = 'readback';
          full.dispatch();
          row.maxRelErr = await checkState(gpu, full, n, complex);
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
        for (const r of runners) r.destroy();
        for (const b of buffers) b.destroy();
        if (gpu.uncapturedErrors.length > errorsBefore) row.uncapturedErrors = gpu.uncapturedErrors.slice(errorsBefore);
      }
      if (gpu.lostReason) throw new StallError(`GPU device lost: ${gpu.lostReason}`);
    }
  }
}
