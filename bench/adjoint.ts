/**
 * Section `adjoint` (`npm run bench -- --only adjoint`): forward + adjoint gradient of
 * routerCircuit(n, 4) (paper preset: RY embedding of n features, 4 layers of RY + CZ ring, 4
 * expert blocks, real states) per sample, on the path the backend picks (the workgroup adjoint
 * while psi and lambda fit in workgroup memory, else the global-memory one), with the batch
 * filling the adjoint's memory budget (at most `maxRows`), beside a plain copy kernel over a
 * buffer of one chunk's states in the same run. The global path runs once per fusion: 'tiles'
 * (runs of ops through workgroup-memory tiles, src/sim/fuse.ts) and 'diagonal' (runs of diagonal
 * gates only). Dispatches per layer counts the global path's passes over the states (forward and
 * backward passes, the stage-2 sums, init and lambda); forward and backward passes per layer and
 * gates per pass are given apart.
 */
import type { GpuContext } from '../src/gpu/context.js';
import { BufferSet } from '../src/gpu/buffer-set.js';
import { getKernel, grid, kernelStep } from '../src/gpu/kernel.js';
import { makeSpec, modelCircuit, routerOutput } from '../src/moe/models.js';
import { GlobalGradientRunner, chooseAdjointPath, defaultGlobalBudget, globalAdjointChunkRows, stateBytes } from '../src/sim/adjoint-global.js';
import { GradientRunner } from '../src/sim/adjoint-gpu.js';
import type { GlobalFusion } from '../src/sim/tile-passes-gpu.js';
import { bytes, sig, si, table } from './table.js';
import { mulberry32, timeInterleaved, type TimingOptions } from './timing.js';

export interface AdjointRow {
  n: number;
  path: string;
  /** Global path: the fusion of its passes. */
  fusion?: GlobalFusion;
  rows: number;
  status: 'ok' | 'error';
  reason?: string;
  /** Median ms of one forward + adjoint of the whole batch, and per sample. */
  ms?: number;
  msPerSample?: number;
  /** Dispatches over the states per circuit layer (global path). */
  passesPerLayer?: number;
  /** Forward and backward passes over the states per layer, and gates per backward pass (global path). */
  forwardPerLayer?: number;
  backwardPerLayer?: number;
  gatesPerPass?: number;
  /** Bytes of psi and lambda read and written per batch (global path: 2 states x 2 per pass) over the time. */
  stateGBps?: number;
  copyGBps?: number;
}

export const ADJOINT_FULL = { qubits: [12, 14, 16, 20, 24], maxRows: 4096 };
export const ADJOINT_QUICK = { qubits: [12, 13, 14], maxRows: 8 };

const LAYERS = 4;

export async function benchAdjoint(gpu: GpuContext, sizes: { qubits: number[]; maxRows: number }, timing: TimingOptions, log: (s: string) => void): Promise<AdjointRow[]> {
  const out: AdjointRow[] = [];
  for (const n of sizes.qubits) {
    for (const fusion of ['tiles', 'diagonal'] as const) {
      const row = await benchOne(gpu, n, fusion, sizes.maxRows, timing, log);
      out.push(row);
      if (row.path !== 'global') break;
    }
  }
  return out;
}

async function benchOne(gpu: GpuContext, n: number, fusion: GlobalFusion, maxRows: number, timing: TimingOptions, log: (s: string) => void): Promise<AdjointRow> {
  const spec = makeSpec({ router: 'quantum', preset: 'paper', features: n, qubits: n, layers: LAYERS, experts: 4 });
  const circuit = modelCircuit(spec);
  const output = routerOutput(spec);
  let path = 'workgroup';
  let rows = maxRows;
  const set = new BufferSet(gpu, 'the adjoint bench');
  try {
    path = chooseAdjointPath(gpu, n, true);
    if (path === 'global') rows = Math.min(rows, globalAdjointChunkRows(gpu, n, true, defaultGlobalBudget(gpu)));
    log(`adjoint n=${n} ${path}${path === 'global' ? ` ${fusion}` : ''} rows=${rows}`);
    const runner = path === 'global' ? await GlobalGradientRunner.create(gpu, circuit, rows, output, { fuse: fusion }) : await GradientRunner.create(gpu, circuit, rows, output);
    const rng = mulberry32(n);
    runner.setParams(Array.from({ length: circuit.params }, () => rng() * 6));
    runner.setFeatures(Float32Array.from({ length: rows * n }, () => rng() * 3), rows);
    runner.setUpstream(Float32Array.from({ length: rows * 4 }, () => rng() - 0.5));
    // The copy kernel over one chunk's states: the bandwidth the global passes compare with.
    const copyBytes = Math.min(rows * stateBytes(n, true), gpu.limits.maxStorageBufferBindingSize);
    const src = set.storage('copy source', copyBytes);
    const dst = set.storage('copy target', copyBytes);
    await set.ready();
    const copy = kernelStep(set, await getKernel(gpu, 'copy'), { src, dst });
    const count = Math.floor(copyBytes / 16);
    const copyVariant = {
      submit: (k: number) => {
        const encoder = gpu.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        for (let i = 0; i < k; i++) copy.encode(pass, Math.ceil(count / 256), { count });
        pass.end();
        gpu.device.queue.submit([encoder.finish()]);
      },
    };
    const gradVariant = { submit: (k: number) => { for (let i = 0; i < k; i++) runner.dispatch(); } };
    const [t, c] = await timeInterleaved(gpu.device, [gradVariant, copyVariant], timing);
    // Passes: forward and backward passes (a tile pass, a fused diagonal run or one op), the stage-2 sums, init and lambda.
    const counts = runner instanceof GlobalGradientRunner ? runner.passCounts() : undefined;
    runner.destroy();
    const passes = counts === undefined ? undefined : counts.forward + counts.backward + counts.sums + 2;
    const state = rows * stateBytes(n, true);
    return {
      n,
      path,
      fusion: path === 'global' ? fusion : undefined,
      rows,
      status: 'ok',
      ms: t.ms,
      msPerSample: t.ms / rows,
      passesPerLayer: passes === undefined ? undefined : passes / LAYERS,
      forwardPerLayer: counts && counts.forward / LAYERS,
      backwardPerLayer: counts && counts.backward / LAYERS,
      gatesPerPass: counts && circuit.ops.length / counts.backward,
      // Forward: psi read + written per pass; backward: psi and lambda read + written per pass.
      stateGBps: counts ? (counts.forward * 2 * state + counts.backward * 4 * state) / (t.ms * 1e6) : undefined,
      copyGBps: (2 * copyBytes) / (c.ms * 1e6),
    };
  } catch (e) {
    return { n, path, fusion: path === 'global' ? fusion : undefined, rows, status: 'error', reason: (e as Error).message };
  } finally {
    set.destroy();
  }
}

export function adjointTable(rows: AdjointRow[]): string {
  return table(
    ['n', 'path', 'B', 'ms/batch', 'ms/sample', 'samples/s', 'passes/layer', 'fwd/layer', 'bwd/layer', 'gates/pass', 'state GB/s', 'copy GB/s', 'note'],
    rows.map((r) => [
      String(r.n),
      r.fusion ? `${r.path} ${r.fusion}` : r.path,
      String(r.rows),
      sig(r.ms),
      sig(r.msPerSample),
      si(r.msPerSample === undefined ? undefined : 1000 / r.msPerSample),
      sig(r.passesPerLayer),
      sig(r.forwardPerLayer),
      sig(r.backwardPerLayer),
      sig(r.gatesPerPass),
      sig(r.stateGBps),
      sig(r.copyGBps),
      r.status === 'ok' ? '' : `${r.status}: ${r.reason}`,
    ]),
  );
}

export { bytes };
