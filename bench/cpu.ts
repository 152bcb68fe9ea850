/**
 * The CPU section (`npm run bench -- --only cpu`): the study's router on the CPU engines beside
 * PyTorch on the CPU, in the same run, and the study's moons training.
 *
 * 1. routerCircuit(n, 4) (RY(x_i) embedding, 4 layers of RY(theta) + CZ) for a batch of B inputs,
 *    all 2^n basis-state probabilities (what the peers compute). forward = evaluate(); forward +
 *    gradient = evaluate() then gradient() with dL/dp = w for every row (the peers' loss
 *    sum(p @ w)). Variants: the fast CPU engine (float32, WebAssembly SIMD kernels) on 1 thread
 *    and on every thread, the same with the plain typed-array JavaScript kernels on 1 thread, and
 *    the float64 reference (CpuBackend). PyTorch: bench/peers/torch_router.py with
 *    PEER_DEVICE=cpu (float32 and complex64 states, one einsum per gate, autograd).
 * 2. `qmoe train --dataset moons --router quantum` (paper preset, study settings): the training
 *    loop in this process on the fast engine and on the float64 engine, then the command itself.
 */
import { cpus } from 'node:os';
import { routerCircuit } from '../src/circuit/builders.js';
import type { Circuit } from '../src/circuit/types.js';
import { FastCpuBackend } from '../src/cpu/backend.js';
import { createFastCpuEngine } from '../src/cpu/engine.js';
import { createPool } from '../src/cpu/threads.js';
import { initParams, makeSpec } from '../src/moe/models.js';
import type { Backend, BatchInput } from '../src/sim/backend.js';
import { CpuBackend } from '../src/sim/backend-cpu.js';
import { createCpuEngine } from '../src/train/cpu-engine.js';
import { DEFAULT_MOONS, DEFAULT_SPLIT, prepareData } from '../src/train/dataset.js';
import type { TrainingEngine } from '../src/train/engine.js';
import { presetTraining, shuffleSeed, train } from '../src/train/trainer.js';
import { runPeer, type PeerRun } from './peers.js';
import { sig, table } from './table.js';
import { median, mulberry32 } from './timing.js';
import { benchTrainRuns, type TrainRunRow } from './training.js';

export const CPU_CASES = [
  { n: 2, B: 65536 },
  { n: 8, B: 4096 },
  { n: 12, B: 256 },
];
export const CPU_LAYERS = 4;

export interface VariantTiming {
  /** Median ms for the whole batch, and every sample. */
  fwdMs: number;
  gradMs: number;
  fwdSamples: number[];
  gradSamples: number[];
}

export interface CpuCaseRow {
  n: number;
  B: number;
  gates: number;
  fast1: VariantTiming;
  fastAll: VariantTiming;
  js1: VariantTiming;
  reference: VariantTiming;
  /** Largest |fast - reference| over the probabilities; over the gradient, relative to its largest entry. */
  maxProbErr: number;
  maxGradErr: number;
}

export interface CpuSection {
  threads: number;
  repeats: number;
  cases: CpuCaseRow[];
  torch: PeerRun;
  moons: { inProcess: { engine: string; seconds: number; epochs: number; accuracy: number }[]; commands: TrainRunRow[] };
}

interface Variant {
  name: 'fast1' | 'fastAll' | 'js1' | 'reference';
  backend: Backend;
  repeats: number;
}

async function timeVariant(v: Variant, circuit: Circuit, input: BatchInput, w: Float64Array): Promise<{ fwd: number; grad: number }> {
  const out = { kind: 'probabilities' } as const;
  let t0 = performance.now();
  await v.backend.evaluate(circuit, input, out);
  const fwd = performance.now() - t0;
  t0 = performance.now();
  await v.backend.evaluate(circuit, input, out);
  await v.backend.gradient(circuit, input, out, w);
  return { fwd, grad: performance.now() - t0 };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

export async function benchCpu(log: (line: string) => void, options: { repeats: number; moonsCommands: boolean }): Promise<CpuSection> {
  const pool = await createPool();
  const threads = 1 + (pool?.size ?? 0);
  const variants: Variant[] = [
    { name: 'fast1', backend: new FastCpuBackend(), repeats: options.repeats },
    { name: 'fastAll', backend: new FastCpuBackend({ pool }), repeats: options.repeats },
    { name: 'js1', backend: new FastCpuBackend({ kernels: 'js' }), repeats: options.repeats },
    { name: 'reference', backend: new CpuBackend(), repeats: Math.max(1, Math.min(3, options.repeats)) },
  ];
  const cases: CpuCaseRow[] = [];
  try {
    for (const { n, B } of CPU_CASES) {
      const circuit = routerCircuit(n, CPU_LAYERS);
      const rng = mulberry32(900 + n);
      const input = {
        rows: B,
        features: Float64Array.from({ length: B * n }, () => rng() * Math.PI),
        params: Float64Array.from({ length: circuit.params }, () => rng() * 2 * Math.PI),
      };
      const weights = Float64Array.from({ length: 2 ** n }, () => rng());
      const w = new Float64Array(B * 2 ** n);
      for (let r = 0; r < B; r++) w.set(weights, r * 2 ** n);
      log(`cpu: n=${n} B=${B}: warm-up and correctness ...`);
      const probs = await variants[1].backend.evaluate(circuit, input, { kind: 'probabilities' });
      const want = await variants[3].backend.evaluate(circuit, input, { kind: 'probabilities' });
      const g = await variants[1].backend.gradient(circuit, input, { kind: 'probabilities' }, w);
      const gw = await variants[3].backend.gradient(circuit, input, { kind: 'probabilities' }, w);
      for (const v of variants.slice(0, 3)) await timeVariant(v, circuit, input, w);
      const samples = new Map(variants.map((v) => [v.name, { fwd: [] as number[], grad: [] as number[] }]));
      for (let r = 0; r < options.repeats; r++) {
        for (const v of variants) {
          if (r >= v.repeats) continue;
          log(`cpu: n=${n} B=${B}: ${v.name} ${r + 1}/${v.repeats}`);
          const t = await timeVariant(v, circuit, input, w);
          samples.get(v.name)!.fwd.push(t.fwd);
          samples.get(v.name)!.grad.push(t.grad);
        }
      }
      const timing = (name: Variant['name']): VariantTiming => {
        const s = samples.get(name)!;
        return { fwdMs: median(s.fwd), gradMs: median(s.grad), fwdSamples: s.fwd, gradSamples: s.grad };
      };
      cases.push({
        n,
        B,
        gates: circuit.ops.length,
        fast1: timing('fast1'),
        fastAll: timing('fastAll'),
        js1: timing('js1'),
        reference: timing('reference'),
        maxProbErr: maxDiff(probs, want),
        maxGradErr: maxDiff(g.params, gw.params) / Math.max(...Array.from(gw.params, Math.abs)),
      });
    }
  } finally {
    for (const v of variants) v.backend.dispose();
    pool?.dispose();
  }
  log('cpu: PyTorch on the CPU (bench/peers/torch_router.py, PEER_DEVICE=cpu) ...');
  const torch = await runPeer('torch', { device: 'cpu', cases: CPU_CASES });
  if (torch.status !== 'ok') log(`cpu: PyTorch ${torch.status}: ${torch.reason}`);
  const moons = { inProcess: await moonsInProcess(log), commands: [] as TrainRunRow[] };
  if (options.moonsCommands) {
    await benchTrainRuns({ gpu: [], cpu: [], gpuTiming: TIMING, cpuTiming: TIMING, runs: [{ backend: 'cpu', epochs: null }, { backend: 'cpu64', epochs: null }], runLimitMs: 600_000 }, log, moons.commands);
  }
  return { threads, repeats: options.repeats, cases, torch, moons };
}

const TIMING = { targetMs: 0, repeats: 0, minK: 0, maxK: 0, warmup: 0 };

/** The study's moons training (quantum router, paper preset), the trainer loop timed as `qmoe train` times it. */
async function moonsInProcess(log: (line: string) => void): Promise<CpuSection['moons']['inProcess']> {
  const data = prepareData({ ...DEFAULT_MOONS, split: DEFAULT_SPLIT }, 'paper');
  const spec = makeSpec({ router: 'quantum', preset: 'paper', features: data.features, classes: data.classes });
  const settings = presetTraining('paper');
  const out: CpuSection['moons']['inProcess'] = [];
  const engines: [string, () => Promise<TrainingEngine>][] = [
    ['fast CPU engine (cpu)', async () => createFastCpuEngine(spec, { lr: settings.lr, pool: await createPool(), ownPool: true })],
    ['float64 engine (cpu64)', async () => createCpuEngine(spec, { lr: settings.lr })],
  ];
  for (const [name, make] of engines) {
    log(`cpu: moons training in-process, ${name} ...`);
    const engine = await make();
    try {
      await engine.setParams(initParams(spec, { seed: 0 }));
      const t0 = performance.now();
      const r = await train(engine, { train: data.splits.train, validation: data.splits.validation }, { ...settings, seed: shuffleSeed(0) });
      const seconds = (performance.now() - t0) / 1000;
      await engine.load('test', data.splits.test);
      const test = await engine.evaluate('test');
      out.push({ engine: name, seconds, epochs: r.epochsRun, accuracy: test.accuracy });
    } finally {
      engine.dispose();
    }
  }
  return out;
}

const ms = (x: number) => sig(x);

/** The section's printed tables. */
export function cpuTables(s: CpuSection): string {
  const torch = (n: number, dtype: string) => s.torch.results.find((r) => r.n === n && r.dtype === dtype && !r.compiled);
  const pair = (f: number | undefined, g: number | undefined) => (f === undefined || g === undefined ? '-' : `${ms(f)} / ${ms(g)}`);
  const ratio = (peer: number | undefined, ours: number) => (peer === undefined ? '-' : `${sig(peer / ours)}x`);
  const rows = s.cases.map((c) => {
    const t = torch(c.n, 'float32');
    return [
      `n=${c.n} B=${c.B}`,
      pair(c.fast1.fwdMs, c.fast1.gradMs),
      pair(c.fastAll.fwdMs, c.fastAll.gradMs),
      pair(c.js1.fwdMs, c.js1.gradMs),
      pair(c.reference.fwdMs, c.reference.gradMs),
      pair(t?.fwdMs, t?.gradMs),
      `${ratio(t?.fwdMs, c.fast1.fwdMs)} / ${ratio(t?.gradMs, c.fast1.gradMs)}`,
      `${ratio(t?.fwdMs, c.fastAll.fwdMs)} / ${ratio(t?.gradMs, c.fastAll.gradMs)}`,
      `${c.maxProbErr.toExponential(1)} / ${c.maxGradErr.toExponential(1)}`,
    ];
  });
  const main = table(
    ['case', 'fast 1 thread', `fast ${s.threads} threads`, 'fast JS 1 thread', 'float64 reference', 'PyTorch f32', 'PyTorch / fast 1', `PyTorch / fast ${s.threads}`, 'err p / rel. grad'],
    rows,
  );
  const c64 = s.cases.map((c) => {
    const t = torch(c.n, 'complex64');
    return [`n=${c.n} B=${c.B}`, pair(t?.fwdMs, t?.gradMs), `${ratio(c.js1.fwdMs, c.fast1.fwdMs)} / ${ratio(c.js1.gradMs, c.fast1.gradMs)}`];
  });
  const side = table(['case', 'PyTorch complex64', 'wasm SIMD vs JS kernels (1 thread)'], c64);
  const moons = table(
    ['moons training (quantum, paper)', 'train s', 'epochs', 'test acc'],
    s.moons.inProcess.map((m) => [`in-process, ${m.engine}`, sig(m.seconds), String(m.epochs), `${(100 * m.accuracy).toFixed(1)}%`]),
  );
  const commands = table(
    ['command', 'wall s', 'train s', 'epochs', 'test acc', 'note'],
    s.moons.commands.map((r) => [
      `qmoe train --dataset moons --router quantum --backend ${r.backend}`,
      sig(r.wallSeconds),
      sig(r.trainSeconds),
      r.epochs === undefined ? '-' : String(r.epochs),
      r.accuracy === undefined ? '-' : `${(100 * r.accuracy).toFixed(1)}%`,
      r.status === 'ok' ? '' : `${r.status}: ${r.reason}`,
    ]),
  );
  const peer = s.torch.status === 'ok' ? `PyTorch: ${s.torch.banner} (${s.torch.python})` : `PyTorch ${s.torch.status}: ${s.torch.reason}; its columns are empty`;
  return [
    `\nCPU engines: routerCircuit(n, ${CPU_LAYERS}), all 2^n probabilities, ms for the whole batch, forward / forward + gradient`,
    '(median of the samples; forward + gradient = evaluate() + gradient(); PyTorch: one einsum per gate + autograd, median of 10).',
    `fast = the fast CPU engine, float32, WebAssembly SIMD kernels (JS: typed-array kernels); ${s.threads} threads = the calling thread + ${s.threads - 1} worker(s).`,
    peer,
    '',
    main,
    '',
    side,
    '',
    moons,
    ...(s.moons.commands.length ? ['', commands] : []),
  ].join('\n');
}

export function cpuMachine(): string {
  return `${cpus()[0]?.model?.trim() ?? 'unknown CPU'}, ${cpus().length} cores`;
}
