/**
 * qmoe benchmark (`npm run bench [-- options]`).
 *
 *   --quick            small sizes (default when the adapter is SwiftShader)
 *   --full             full sizes even on SwiftShader
 *   --only SECTION     one of forward|states|training|noise|data|cpu|jobs|adjoint|measure (cpu: the CPU engines beside
 *                      PyTorch on the CPU, bench/cpu.ts; needs no GPU; --quick takes 3 samples
 *                      instead of 5; jobs: local worker processes and the queue, bench/jobs.ts, no GPU)
 *   --peers            the peers section only (same as --only peers): qmoe's router forward and
 *                      forward + gradient beside the PyTorch and JAX peers of bench/peers/, run in
 *                      the same call (bench/peers-section.ts); not part of the default run
 *   --real-only        single states: skip the complex variant
 *   --out FILE         JSON file (default bench/out/bench-<ISO time>.json)
 *
 * 1. forward: routerCircuit(n, 4) to 4 expert probabilities for a batch of B inputs, timed as
 *    the wall time of k dispatches plus one queue.onSubmittedWorkDone(); CPU float64 reference
 *    at B = 1000 for context.
 * 2. states: one n-qubit state, 2n RY + (n-1) CZ on the global path (one dispatch per gate);
 *    per gate = (circuit - empty circuit) / gates; against a plain copy kernel.
 * 3. training: model B (quantum router, paper preset, n qubits = n features, 4 layers) full
 *    training steps (forward + loss + adjoint backward + Adam) on the WebGPU engine and on the
 *    CPU float64 engine, k steps then one epochStats() readback; and the wall time of
 *    `qmoe train --dataset moons --router quantum` (study settings) per backend, as a child process.
 * 4. noise: bench/noise.ts.
 * 5. data: PCA fit time on 60,000 x 784 images and one training epoch over the 60,000 MNIST
 *    training images (10 classes, 8 qubits x 4 layers, 16 experts), rows per second (bench/data.ts).
 * 7. adjoint (only with --only adjoint; bench/adjoint.ts): forward + adjoint gradient of
 *    routerCircuit(n, 4) per sample on the path the backend picks (the global-memory adjoint
 *    from 12 qubits), beside the copy kernel, with the passes per layer.
 * 6. jobs (bench/jobs.ts; needs no GPU): the moons ablation on 1 and 2 local worker processes,
 *    and the queue's own overhead per job on a local redis-server.
 * 8. measure (only with --only measure; bench/measure.ts): the measurement of states in global
 *    memory per form of its stage 1 (one invocation per output, or chunk sums first).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { acquireGpu } from '../src/gpu/acquire.js';
import { isSoftwareAdapter } from '../src/gpu/software-adapter.js';
import { benchForward, CPU_BATCH, EXPERTS, LAYERS, type CpuRow, type ForwardRow } from './forward.js';
import { benchStates, type StateRow } from './states.js';
import { bytes, sig, si, table } from './table.js';
import { StallError, type TimingOptions } from './timing.js';
import {
  benchTrainingSteps,
  benchTrainRuns,
  CPU_TRAIN_BATCH,
  TRAIN_LAYERS,
  TRAIN_LR,
  TRAIN_ROWS,
  type StepRow,
  type TrainingSizes,
  type TrainRunRow,
} from './training.js';
import { NOISE_FULL, NOISE_QUICK, NOISE_TEXT, benchNoise, noiseTable, type NoiseRow } from './noise.js';
import { DATA_FULL, DATA_QUICK, DATA_SPEC_TEXT, DATA_TEXT, benchData, epochTable, pcaTable, type EpochRow, type PcaRow } from './data.js';
import { benchCpu, cpuMachine, cpuTables } from './cpu.js';
import { PEERS_FULL, PEERS_QUICK, benchPeers, peersReport, type PeersSection } from './peers-section.js';
import { ADJOINT_FULL, ADJOINT_QUICK, adjointTable, benchAdjoint } from './adjoint.js';
import { MEASURE_FULL, MEASURE_QUICK, benchMeasure, measureTable } from './measure.js';
import { JOBS_FULL, JOBS_QUICK, benchAblationWorkers, benchQueueOverhead, jobsJson, jobsReport, type AblationRow, type QueueRow } from './jobs.js';

/** The sections `--only` picks. */
const SECTIONS = ['forward', 'states', 'training', 'noise', 'data', 'cpu', 'jobs', 'peers', 'adjoint', 'measure'] as const;
type Section = (typeof SECTIONS)[number];

/** A bad command line: printed without a stack. */
class UsageError extends Error {}

interface Args {
  quick: boolean;
  full: boolean;
  only: Section | null;
  realOnly: boolean;
  out: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, full: false, only: null, realOnly: false, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--full') args.full = true;
    else if (a === '--real-only') args.realOnly = true;
    else if (a === '--peers') {
      if (args.only !== null && args.only !== 'peers') throw new UsageError(`--peers is its own section: drop --only ${args.only}`);
      args.only = 'peers';
    }
    else if (a.startsWith('--only')) {
      const v = value();
      if (!(SECTIONS as readonly string[]).includes(v)) throw new UsageError(`--only takes ${SECTIONS.join(', ')}, not ${v}`);
      if (args.only === 'peers' && v !== 'peers') throw new UsageError(`--peers is its own section: drop --only ${v}`);
      args.only = v as Section;
    } else if (a.startsWith('--out')) args.out = value();
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [--quick | --full] [--only ${SECTIONS.join('|')}] [--peers] [--real-only] [--out FILE]`);
      process.exit(0);
    } else throw new UsageError(`unknown option ${a} (try --help)`);
  }
  if (args.quick && args.full) throw new UsageError('--quick and --full exclude each other');
  return args;
}

const FULL = {
  forward: [2, 4, 8, 12].map((n) => ({ n, batches: [1e3, 1e4, 1e5, 1e6] })),
  states: [20, 22, 24, 26],
  timing: { targetMs: 100, repeats: 7, maxK: 200 } satisfies TimingOptions,
  training: {
    gpu: [2, 8, 12].map((n) => ({ n, batches: [32, 4096] })),
    cpu: [2, 8, 12],
    gpuTiming: { targetMs: 300, repeats: 5, minK: 1, maxK: 2000, warmup: 3 },
    cpuTiming: { targetMs: 1000, repeats: 3, minK: 2, maxK: 200, warmup: 1 },
    runs: [
      { backend: 'cpu', epochs: null },
      { backend: 'webgpu', epochs: null },
    ],
    runLimitMs: 1_800_000,
  } satisfies TrainingSizes,
  /** Longest one size may take before the run is given up as stalled. */
  limitMs: 120_000,
};
const QUICK = {
  forward: [
    { n: 2, batches: [1e3, 1e4] },
    { n: 4, batches: [1e3, 1e4] },
    { n: 8, batches: [1e3] },
    // SwiftShader needs ~19 s for one n=12 forward at B=1e3 (2 cores): too slow for a quick run.
    { n: 12, batches: [1e2] },
  ],
  states: [16, 18, 20],
  timing: { targetMs: 40, repeats: 3, maxK: 50 } satisfies TimingOptions,
  training: {
    gpu: [
      { n: 2, batches: [32] },
      { n: 8, batches: [32] },
    ],
    cpu: [2, 8],
    gpuTiming: { targetMs: 200, repeats: 3, minK: 1, maxK: 200, warmup: 2 },
    cpuTiming: { targetMs: 300, repeats: 3, minK: 2, maxK: 50, warmup: 1 },
    runs: [
      { backend: 'cpu', epochs: null },
      { backend: 'webgpu', epochs: 3 },
    ],
    runLimitMs: 600_000,
  } satisfies TrainingSizes,
  limitMs: 120_000,
};

const log = (line: string) => process.stderr.write(`${line}\n`);

function forwardTable(rows: ForwardRow[], cpu: CpuRow[]): string {
  return table(
    ['n', 'B', 'gates', 'path', 'real', 'ms/forward', 'samples/s', 'k', 'vs CPU', 'max|gpu-cpu|', 'note'],
    rows.map((r) => {
      const c = cpu.find((x) => x.n === r.n);
      const speed = r.ms !== undefined && c ? (c.ms / CPU_BATCH) / (r.ms / r.batch) : undefined;
      return [
        String(r.n),
        si(r.batch),
        String(r.gates),
        r.path ?? '-',
        r.real === undefined ? '-' : r.real ? 'yes' : 'no',
        sig(r.ms),
        si(r.samplesPerSec),
        r.k === undefined ? '-' : String(r.k),
        speed === undefined ? '-' : `${sig(speed)}x`,
        r.maxAbsErrVsCpu === undefined ? '' : r.maxAbsErrVsCpu.toExponential(1),
        r.status === 'ok' ? (r.uncapturedErrors ? `GPU errors: ${r.uncapturedErrors[0]}` : '') : `${r.status}: ${r.reason}`,
      ];
    }),
  );
}

function cpuTable(cpu: CpuRow[]): string {
  return table(
    ['n', 'B', 'ms/forward', 'samples/s', 'runs'],
    cpu.map((c) => [String(c.n), si(c.batch), sig(c.ms), si(c.samplesPerSec), String(c.runs)]),
  );
}

function statesTable(rows: StateRow[]): string {
  return table(
    ['n', 'variant', 'state', 'gates', 'ms/circuit', 'ms/gate', 'gate GB/s', 'RY ms', 'CZ ms', 'copy ms', 'copy GB/s', 'ratio', 'rel.err', 'note'],
    rows.map((r) => [
      String(r.n),
      r.variant + (r.real === undefined ? '' : r.real ? ' (real kernels)' : ' (complex kernels)'),
      bytes(r.stateBytes),
      String(r.gates),
      sig(r.circuitMs),
      sig(r.msPerGate),
      sig(r.gateGBps),
      sig(r.ryMsPerGate),
      sig(r.czMsPerGate),
      sig(r.copyMs),
      sig(r.copyGBps),
      sig(r.ratio, 2),
      r.maxRelErr === undefined ? '' : r.maxRelErr.toExponential(1),
      r.status === 'ok' ? (r.uncapturedErrors ? `GPU errors: ${r.uncapturedErrors[0]}` : '') : `${r.status}: ${r.reason}`,
    ]),
  );
}

function stepsTable(rows: StepRow[]): string {
  return table(
    ['engine', 'n', 'B', 'params', 'ms/step', 'samples/s', 'k', 'vs CPU', 'loss@1', '|d loss@1|', 'loss', 'note'],
    rows.map((r) => {
      const c = r.engine === 'webgpu' ? rows.find((x) => x.engine === 'cpu' && x.n === r.n && x.samplesPerSec !== undefined) : undefined;
      const speed = r.samplesPerSec !== undefined && c?.samplesPerSec ? r.samplesPerSec / c.samplesPerSec : undefined;
      const same = r.engine === 'webgpu' ? rows.find((x) => x.engine === 'cpu' && x.n === r.n && x.batch === r.batch && x.firstLoss !== undefined) : undefined;
      const dLoss = same && r.firstLoss !== undefined ? Math.abs(r.firstLoss - same.firstLoss!) : undefined;
      return [
        r.engine === 'cpu' ? 'cpu f64' : `webgpu ${r.stepsPerSubmit ?? 64}/submit`,
        String(r.n),
        String(r.batch),
        r.params === undefined ? '-' : String(r.params),
        sig(r.ms),
        si(r.samplesPerSec),
        r.k === undefined ? '-' : String(r.k),
        speed === undefined ? '-' : `${sig(speed)}x`,
        r.firstLoss === undefined ? '-' : r.firstLoss.toFixed(4),
        dLoss === undefined ? '' : dLoss.toExponential(1),
        r.loss === undefined ? '-' : r.loss.toFixed(3),
        r.status === 'ok' ? (r.uncapturedErrors ? `GPU errors: ${r.uncapturedErrors[0]}` : '') : `${r.status}: ${r.reason}`,
      ];
    }),
  );
}

function runsTable(rows: TrainRunRow[]): string {
  return table(
    ['backend', '--epochs', 'wall s', 'train s', 'epochs run', 'best', 'early stop', 'test acc', 'note'],
    rows.map((r) => [
      r.backend,
      r.epochsArg === null ? 'default' : String(r.epochsArg),
      sig(r.wallSeconds),
      sig(r.trainSeconds),
      r.epochs === undefined ? '-' : String(r.epochs),
      r.bestEpoch === undefined ? '-' : String(r.bestEpoch),
      r.stoppedEarly === undefined ? '-' : r.stoppedEarly ? 'yes' : 'no',
      r.accuracy === undefined ? '-' : `${(100 * r.accuracy).toFixed(2)}%`,
      r.status === 'ok' ? '' : `${r.status}: ${r.reason}`,
    ]),
  );
}

/** `--only cpu`: the CPU engines beside PyTorch on the CPU (bench/cpu.ts); needs no GPU. */
async function mainCpu(args: Args): Promise<number> {
  const date = new Date();
  const started = performance.now();
  console.log(`qmoe bench --only cpu: ${cpuMachine()}, node ${process.version}, ${date.toISOString()}`);
  const section = await benchCpu(log, { repeats: args.quick ? 3 : 5, moonsCommands: true });
  console.log(cpuTables(section));
  const out = resolve(args.out ?? `bench/out/bench-cpu-${date.toISOString().replace(/:/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ machine: cpuMachine(), node: process.version, date: date.toISOString(), argv: process.argv.slice(2), cpu: section, wallSeconds: (performance.now() - started) / 1000 }, null, 2) + '\n');
  console.log(`\nwall time ${((performance.now() - started) / 1000).toFixed(1)} s\nJSON: ${out}`);
  return section.moons.commands.some((r) => r.status === 'error') || section.torch.status === 'error' ? 1 : 0;
}

/** The jobs section (bench/jobs.ts): local workers and the queue; no GPU needed. */
async function jobsSection(quick: boolean): Promise<{ text: string; json: unknown; failed: boolean }> {
  const sizes = quick ? JOBS_QUICK : JOBS_FULL;
  const ablation: AblationRow[] = [];
  const queue: QueueRow[] = [];
  await benchAblationWorkers(sizes, log, ablation);
  await benchQueueOverhead(sizes, log, queue);
  return { text: jobsReport(ablation, queue, table), json: jobsJson(sizes, ablation, queue), failed: [...ablation, ...queue].some((r) => r.status === 'error') };
}

/** `--only jobs`: without a GPU. */
async function jobsOnly(args: Args, started: number, date: Date): Promise<number> {
  console.log(`qmoe bench --only jobs: node ${process.version}, ${cpus().length} CPU cores (${cpus()[0]?.model ?? '?'}), ${date.toISOString()}, mode ${args.quick ? 'quick' : 'full'}`);
  const jobs = await jobsSection(args.quick);
  console.log(jobs.text);
  const wallSeconds = (performance.now() - started) / 1000;
  const out = resolve(args.out ?? `bench/out/bench-jobs-${date.toISOString().replace(/:/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ node: process.version, cpuCores: cpus().length, cpuModel: cpus()[0]?.model, date: date.toISOString(), argv: process.argv.slice(2), jobs: jobs.json, wallSeconds }, null, 2) + '\n');
  console.log(`\nwall time ${wallSeconds.toFixed(1)} s`);
  console.log(`JSON: ${out}`);
  return jobs.failed ? 1 : 0;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only === 'cpu') return mainCpu(args);
  const started = performance.now();
  const date = new Date();
  if (args.only === 'jobs') return jobsOnly(args, started, date);
  const acquisition = await acquireGpu();
  const gpu = acquisition.gpu;
  if (!gpu) {
    console.error(`no WebGPU adapter; the benchmark needs one:\n${acquisition.steps.map((s) => `  ${s.step}: ${s.detail}`).join('\n')}`);
    return 1;
  }
  try {
    const quick = args.quick || (isSoftwareAdapter(gpu) && !args.full);
    const sizes = quick ? QUICK : FULL;
    const info = gpu.adapter.info;
    console.log(`qmoe bench: ${gpu.adapterName} (source ${gpu.source}; vendor ${info.vendor || '-'}, architecture ${info.architecture || '-'}, device ${info.device || '-'})`);
    console.log(`node ${process.version}, ${cpus().length} CPU cores, ${date.toISOString()}`);
    console.log(
      `mode: ${quick ? `quick${args.quick ? '' : ' (SwiftShader; --full for full sizes)'}` : 'full'}; ` +
        `timing: median of ${sizes.timing.repeats} samples, each the wall time of k runs (k chosen for ~${sizes.timing.targetMs} ms) ` +
        'then one queue.onSubmittedWorkDone(), divided by k; one warm-up run first',
    );
    // Sections that run alone: their table, their JSON, exit 1 when a size failed.
    const alone = (name: 'adjoint' | 'measure', title: string, text: string, rows: { status: string }[]): number => {
      console.log(`\n${title}`);
      console.log(text);
      const out = resolve(args.out ?? `bench/out/bench-${name}-${date.toISOString().replace(/:/g, '-')}.json`);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify({ adapter: gpu.adapterName, node: process.version, date: date.toISOString(), argv: process.argv.slice(2), [name]: rows }, null, 2) + '\n');
      console.log(`JSON: ${out}`);
      return rows.some((r) => r.status === 'error') ? 1 : 0;
    };
    if (args.only === 'adjoint') {
      const rows = await benchAdjoint(gpu, quick ? ADJOINT_QUICK : ADJOINT_FULL, sizes.timing, log);
      return alone('adjoint', 'forward + adjoint of routerCircuit(n, 4), real states, 4 expert blocks (bench/adjoint.ts)', adjointTable(rows), rows);
    }
    if (args.only === 'measure') {
      const rows = await benchMeasure(gpu, quick ? MEASURE_QUICK : MEASURE_FULL, sizes.timing, log);
      return alone('measure', 'measurement of states in global memory, a circuit without gates: ms of init + measurement per stage-1 form (bench/measure.ts)', measureTable(rows), rows);
    }

    // The peers section runs only when asked for (--peers): it needs minutes of Python at full sizes.
    const run = (section: Exclude<NonNullable<Args['only']>, 'cpu'>) => (args.only === null && section !== 'peers') || args.only === section;
    const forward: { rows: ForwardRow[]; cpu: CpuRow[] } | null = run('forward') ? { rows: [], cpu: [] } : null;
    const states: StateRow[] | null = run('states') ? [] : null;
    const training: { steps: StepRow[]; runs: TrainRunRow[] } | null = run('training') ? { steps: [], runs: [] } : null;
    const noise: NoiseRow[] | null = run('noise') ? [] : null;
    const data: { pca: PcaRow[]; epochs: EpochRow[] } | null = run('data') ? { pca: [], epochs: [] } : null;
    const peers: PeersSection | null = run('peers') ? { device: 'cpu', cases: [], qmoe: [], peers: [] } : null;
    let stall: string | null = null;
    let jobs: Awaited<ReturnType<typeof jobsSection>> | null = null;
    try {
      if (forward) await benchForward(gpu, sizes.forward, sizes.timing, sizes.limitMs, log, forward.rows, forward.cpu);
      if (states) await benchStates(gpu, sizes.states, args.realOnly ? ['real'] : ['real', 'complex'], sizes.timing, sizes.limitMs, log, states);
      if (training) {
        await benchTrainingSteps(gpu, sizes.training, sizes.limitMs, log, training.steps);
        await benchTrainRuns(sizes.training, log, training.runs);
      }
      if (noise) await benchNoise(gpu, quick ? NOISE_QUICK : NOISE_FULL, log, noise);
      if (data) await benchData(gpu, quick ? DATA_QUICK : DATA_FULL, log, data);
      if (peers) await benchPeers(gpu, quick ? PEERS_QUICK : PEERS_FULL, sizes.timing, sizes.limitMs, log, peers);
      if (args.only === null) jobs = await jobsSection(quick);
    } catch (e) {
      if (!(e instanceof StallError)) throw e;
      stall = e.message;
      console.log(`\nSTOPPED: ${stall}; the sizes after it were not run.`);
    }
    if (forward) {
      console.log(
        `\n1. Router forward: routerCircuit(n, ${LAYERS}) = RY(x_i) angle embedding + ${LAYERS} layers of RY(theta) on every qubit and CZ on` +
          ` adjacent pairs, for a batch of B inputs; output ${EXPERTS} expert probabilities per input (|amplitude|^2 summed over` +
          ` ${EXPERTS} contiguous blocks of basis states, i.e. the distribution of the first 2 qubits). One forward = angles kernel +` +
          ' circuit kernel(s) + expert sums, inputs already on the GPU, no readback.',
      );
      console.log('   path: fused = one kernel, states in workgroup memory; global = one dispatch per gate. real: real-only kernels.');
      console.log('   vs CPU: GPU samples/s over the CPU float64 reference\'s samples/s (at B=1e3); max|gpu-cpu|: largest error of the');
      console.log('   expert probabilities over the first min(B, 1e3) rows.\n');
      console.log(forwardTable(forward.rows, forward.cpu));
      console.log(`\n   CPU float64 reference (CpuBackend.expertProbabilities, single-threaded JS), B=${CPU_BATCH}:\n`);
      console.log(cpuTable(forward.cpu));
    }
    if (states) {
      console.log(
        '\n2. Single large state: 2n RY (constant angles) + (n-1) CZ on one n-qubit state, global path (one dispatch per gate).' +
          ' ms/gate = (circuit - empty circuit) / gates; gate GB/s = 2 x state bytes / ms/gate (read + write of the whole state;' +
          ' a CZ reads and writes only the half of it where its control is 1). RY ms = (RY-only circuit - empty) / 2n, CZ ms = (circuit - RY-only) / (n-1).' +
          ' real: 4 bytes/amplitude (real-only kernels); complex: 8 bytes (WebGpuBackend real: \'never\').' +
          ' copy: shaders/copy.wgsl over two buffers of the state size, (pass of gates+1 copies - pass of 1 copy) / gates;' +
          ' copy GB/s = 2 x bytes / copy ms. ratio = gate GB/s / copy GB/s. rel.err: 4096 amplitudes vs the exact state.\n',
      );
      console.log(statesTable(states));
    }
    if (training) {
      const t = sizes.training;
      console.log(
        `\n3. Training steps of model B: quantum router, paper preset, n features = n qubits, ${TRAIN_LAYERS} layers of RY + CZ,` +
          ` min(4, 2^n) experts, 2 classes, linear experts; Adam lr ${TRAIN_LR}. A train split of ${TRAIN_ROWS} random rows` +
          ' (features uniform in [0, pi], random labels), parameters from initParams(seed 1). One step = engine.step(rows):' +
          ' batch upload, forward, loss, backward (adjoint for the circuit), Adam update; on the WebGPU engine all on the GPU,' +
          ' up to N steps of one batch size per command buffer (webgpu N/submit: the engine\'s stepsPerSubmit; 64 is the default, 1 one submission per step). ms/step = median over samples of (k steps + one await engine.epochStats()) / k, after warm-up' +
          ` steps. cpu f64: the float64 CPU engine (single-threaded JS), batch ${CPU_TRAIN_BATCH} only. vs CPU: samples/s over the` +
          ` CPU engine's samples/s at the same n (B=${CPU_TRAIN_BATCH}). Timing: median of ${t.gpuTiming.repeats} samples (GPU;` +
          ` k for ~${t.gpuTiming.targetMs} ms, at most ${t.gpuTiming.maxK}) and ${t.cpuTiming.repeats} (CPU; k for ~${t.cpuTiming.targetMs} ms,` +
          ` ${t.cpuTiming.minK} to ${t.cpuTiming.maxK}). loss@1: the first step's batch loss (same batch and initial parameters on` +
          ' both engines); |d loss@1|: |GPU - CPU| of it at the same n and B. loss: mean train loss over the last sample\'s steps' +
          ' (about ln 2 = 0.693 expected for random labels).\n',
      );
      console.log(stepsTable(training.steps));
      const shortRuns = t.runs.filter((r) => r.epochs !== null);
      console.log(
        '\n   qmoe train --dataset moons --router quantum --backend B --out <tmpdir>, study settings (the command\'s defaults:' +
          ' 1000 samples, paper preset with 12 layers, Adam lr 0.01, batch 32, up to 100 epochs, early stopping with patience 10),' +
          ' spawned as a child process. wall s: the whole process (node + tsx start, data, training, evaluation, plots, files);' +
          ' train s: the training loop only (metrics.json seconds); epochs run and test accuracy from metrics.json.' +
          (shortRuns.length
            ? ` QUICK MODE: ${shortRuns.map((r) => `--backend ${r.backend} ran with --epochs ${r.epochs}`).join(', ')}, not the study's 100.`
            : '') +
          '\n',
      );
      console.log(runsTable(training.runs));
    }
    if (noise) {
      console.log(NOISE_TEXT + '\n');
      console.log(noiseTable(noise));
    }
    if (data) {
      console.log(DATA_TEXT + (quick ? ' QUICK MODE (SwiftShader): the WebGPU engine ran the first rows only.' : '') + '\n');
      console.log(pcaTable(data.pca) + '\n');
      console.log(epochTable(data.epochs));
    }
    if (peers) console.log(peersReport(peers, gpu));
    if (jobs) console.log(jobs.text);
    const wallSeconds = (performance.now() - started) / 1000;
    const out = resolve(args.out ?? `bench/out/bench-${date.toISOString().replace(/:/g, '-')}.json`);
    const json = {
      device: {
        adapterName: gpu.adapterName,
        source: gpu.source,
        info: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
        limits: gpu.limits,
        acquireSteps: acquisition.steps,
      },
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpuCores: cpus().length,
      cpuModel: cpus()[0]?.model,
      date: date.toISOString(),
      mode: quick ? 'quick' : 'full',
      argv: process.argv.slice(2),
      timing: sizes.timing,
      forward: forward && { circuit: `routerCircuit(n, ${LAYERS})`, experts: EXPERTS, rows: forward.rows, cpuReference: forward.cpu },
      states: states && { circuit: '2n RY (const) + (n-1) CZ', rows: states },
      training: training && {
        model: `makeSpec({ router: 'quantum', preset: 'paper', features: n, qubits: n, layers: ${TRAIN_LAYERS}, experts: min(4, 2^n), classes: 2 })`,
        lr: TRAIN_LR,
        trainRows: TRAIN_ROWS,
        timing: { gpu: sizes.training.gpuTiming, cpu: sizes.training.cpuTiming },
        steps: training.steps,
        runs: training.runs,
      },
      noise: noise && { p: 0.01, layers: 4, rows: noise },
      data: data && { model: DATA_SPEC_TEXT, pca: data.pca, epochs: data.epochs },
      jobs: jobs?.json ?? null,
      peers,
      uncapturedErrors: gpu.uncapturedErrors,
      stall,
      wallSeconds,
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
    console.log(`\nwall time ${wallSeconds.toFixed(1)} s`);
    console.log(`JSON: ${out}`);
    const failed = [...(forward?.rows ?? []), ...(peers?.qmoe ?? []), ...(peers?.peers ?? []), ...(states ?? []), ...(training?.steps ?? []), ...(training?.runs ?? []), ...(data?.epochs ?? [])].some((r) => r.status === 'error');
    return failed || stall || jobs?.failed ? 1 : 0;
  } finally {
    gpu.destroy();
  }
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(e instanceof UsageError ? `bench: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : e);
}
process.exit(code);
