/**
 * 4. Noise (issue 4): Monte-Carlo trajectories per second and the exact density-matrix path on
 * the router circuit (routerCircuit(n, 4), depolarizing p = 0.01 after every gate). Each figure is
 * a whole call (upload, kernels, readback), median of 3 after a warm-up.
 */
import { routerCircuit } from '../src/circuit/builders.js';
import { QmoeInputError } from '../src/errors.js';
import type { GpuContext } from '../src/gpu/context.js';
import { noiseSchedule } from '../src/noise/model.js';
import { compileNoise } from '../src/noise/compile.js';
import { densityProbabilitiesGpu, densityShape } from '../src/noise/density-gpu.js';
import { chooseTrajectoryPath, trajectoryProbabilitiesGpu } from '../src/noise/trajectories-gpu.js';
import { sig, si, table } from './table.js';

const LAYERS = 4;
const P = 0.01;

export interface NoiseSizes {
  trajectories: { n: number[]; T: number; B: number };
  density: [number, number][];
}

export const NOISE_FULL: NoiseSizes = { trajectories: { n: [2, 8, 12, 16, 20], T: 100, B: 1000 }, density: [[2, 1000], [4, 1000], [6, 1000], [8, 100], [10, 100]] };
// n = 14 trajectories and n = 10 density matrices: the global-memory paths (beyond SwiftShader's 32 KiB of workgroup memory).
export const NOISE_QUICK: NoiseSizes = { trajectories: { n: [2, 4, 14], T: 10, B: 16 }, density: [[2, 16], [4, 8], [10, 2]] };

export interface NoiseRow {
  what: 'trajectories' | 'density';
  n: number;
  B: number;
  T?: number;
  path?: string;
  ms?: number;
  perSecond?: number;
  status: 'ok' | 'skipped';
  note?: string;
}

function batch(n: number, B: number) {
  const features = new Float64Array(B * n);
  for (let i = 0; i < features.length; i++) features[i] = ((i * 0.6180339) % 1) * Math.PI;
  return { rows: B, features, params: Array.from({ length: n * LAYERS }, (_, i) => 0.1 * i - 0.5) };
}

async function median3(f: () => Promise<unknown>): Promise<number> {
  await f();
  const ts: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[1];
}

async function measure(row: Omit<NoiseRow, 'status'>, units: number, f: () => Promise<unknown>): Promise<NoiseRow> {
  try {
    const ms = await median3(f);
    return { ...row, ms, perSecond: units / (ms / 1000), status: 'ok' };
  } catch (e) {
    if (!(e instanceof QmoeInputError)) throw e;
    return { ...row, status: 'skipped', note: e.message };
  }
}

export async function benchNoise(gpu: GpuContext, sizes: NoiseSizes, log: (s: string) => void, rows: NoiseRow[]): Promise<void> {
  const { T, B } = sizes.trajectories;
  for (const n of sizes.trajectories.n) {
    log(`gpu  noise trajectories n=${n} T=${T} B=${B} ...`);
    const schedule = noiseSchedule(routerCircuit(n, LAYERS), { p: P });
    const input = batch(n, B);
    let path = '-';
    try {
      path = chooseTrajectoryPath(gpu, n, compileNoise(schedule, 'threshold', true).real);
    } catch {
      // measure() reports the limit
    }
    rows.push(await measure({ what: 'trajectories', n, B, T, path }, B * T, () => trajectoryProbabilitiesGpu(gpu, schedule, input, { trajectories: T, seed: 1 })));
  }
  for (const [n, b] of sizes.density) {
    const schedule = noiseSchedule(routerCircuit(n, LAYERS), { p: P });
    const input = batch(n, b);
    // Beyond workgroup memory both global paths: one workgroup per sample (the old one) and spread over many ('auto').
    for (const path of densityShape(gpu, n).fused ? (['fused'] as const) : (['global', 'spread'] as const)) {
      log(`gpu  noise density matrix n=${n} B=${b} path=${path} ...`);
      rows.push(await measure({ what: 'density', n, B: b, path }, b, () => densityProbabilitiesGpu(gpu, schedule, input, { path })));
    }
  }
}

export function noiseTable(rows: NoiseRow[]): string {
  return table(
    ['kind', 'n', 'B', 'T', 'path', 'ms/call', 'per s', 'note'],
    rows.map((r) => [r.what, String(r.n), String(r.B), r.T ? String(r.T) : '', r.path ?? '', r.ms === undefined ? '' : sig(r.ms), r.perSecond === undefined ? '' : si(r.perSecond), r.note ?? '']),
  );
}

export const NOISE_TEXT =
  `\n4. Noise: routerCircuit(n, ${LAYERS}) with depolarizing p = ${P} after every gate. trajectories: B samples x T trajectories` +
  ' (state vectors with Paulis from the counter-based RNG; path workgroup while a state fits workgroup memory, else global), per s =' +
  ' trajectories per second; density: the exact density matrix of each sample (fused in workgroup memory while 4^n fits; beyond, global' +
  ' = one workgroup per sample, spread = each op one dispatch over many workgroups, what auto takes), per s = samples per second. One call = upload, kernels and' +
  ' readback, median of 3 after a warm-up.';
