/**
 * Section `measure` (`npm run bench -- --only measure`): the measurement of states in global
 * memory, per form of its stage 1. A circuit without gates (its runner: the angles, the |0...0>
 * initialisation, one pass over the states, and the measurement) runs with <Z> outputs (n per
 * row) and 4 expert blocks, for each `measureReduction`: 'single' (one invocation sums a whole
 * output: 2^n terms for <Z>, 2^n / 4 for a block), 'invocation' and 'workgroup' (chunk sums of
 * 1024 basis states first, shaders/measure_chunks.wgsl, then dim / 1024 terms per output).
 */
import type { GpuContext } from '../src/gpu/context.js';
import { compileCircuit } from '../src/sim/compile.js';
import { CircuitRunner } from '../src/sim/statevector-gpu.js';
import { sig, table } from './table.js';
import { timeInterleaved, type TimingOptions } from './timing.js';

export const MEASURE_FULL = { qubits: [16, 20, 24], rows: [1, 32] };
export const MEASURE_QUICK = { qubits: [16, 18], rows: [2] };

const MODES = ['single', 'invocation', 'workgroup'] as const;

export interface MeasureRow {
  n: number;
  rows: number;
  output: 'expectZ' | 'experts';
  status: 'ok' | 'error';
  reason?: string;
  /** Median ms of one run (init + measurement) per stage-1 form. */
  ms?: Record<(typeof MODES)[number], number>;
}

export async function benchMeasure(gpu: GpuContext, sizes: { qubits: number[]; rows: number[] }, timing: TimingOptions, log: (s: string) => void): Promise<MeasureRow[]> {
  const out: MeasureRow[] = [];
  for (const n of sizes.qubits) {
    for (const rows of sizes.rows) {
      for (const output of ['expectZ', 'experts'] as const) {
        log(`measure n=${n} rows=${rows} ${output}`);
        const runners: CircuitRunner[] = [];
        try {
          const compiled = compileCircuit({ qubits: n, features: 0, params: 0, ops: [] });
          const kind = output === 'expectZ' ? { kind: 'expectZ' as const } : { kind: 'experts' as const, experts: 4 };
          for (const mode of MODES) runners.push(await CircuitRunner.create(gpu, compiled, rows, kind, 'global', { measureReduction: mode }));
          for (const r of runners) r.setFeatures(new Float32Array(0), rows);
          const times = await timeInterleaved(gpu.device, runners.map((r) => ({ submit: (k: number) => { for (let i = 0; i < k; i++) r.dispatch(); } })), timing);
          out.push({ n, rows, output, status: 'ok', ms: { single: times[0].ms, invocation: times[1].ms, workgroup: times[2].ms } });
        } catch (e) {
          out.push({ n, rows, output, status: 'error', reason: (e as Error).message });
        } finally {
          for (const r of runners) r.destroy();
        }
      }
    }
  }
  return out;
}

export function measureTable(rows: MeasureRow[]): string {
  return table(
    ['n', 'rows', 'output', 'single ms', 'invocation ms', 'workgroup ms', 'single / best'],
    rows.map((r) =>
      r.status === 'ok' && r.ms
        ? [String(r.n), String(r.rows), r.output, sig(r.ms.single), sig(r.ms.invocation), sig(r.ms.workgroup), sig(r.ms.single / Math.min(r.ms.invocation, r.ms.workgroup))]
        : [String(r.n), String(r.rows), r.output, 'error', r.reason ?? '', '', ''],
    ),
  );
}
