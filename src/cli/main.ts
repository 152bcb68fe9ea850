import { readFileSync } from 'node:fs';
import { QmoeGpuError, QmoeInputError, QmoeJobsError, QmoeNumericError } from '../errors.js';
import { UsageError, runCommand, type Command } from './args.js';
import { DOCTOR_USAGE, EVAL_USAGE, GRAD_USAGE, JOBS_USAGE, SIMULATE_USAGE, WORKER_USAGE } from './usages.js';

export const USAGE = `usage: qmoe <command> [options]

commands:
  doctor     find a WebGPU device and show the adapter, its limits and each step tried
             ${DOCTOR_USAGE.replace('usage: ', '')}
  simulate   run an OpenQASM 2.0 circuit and print its basis-state probabilities
             ${SIMULATE_USAGE.replace('usage: ', '')}
  grad       gradient of sum_k w_k p_k over a circuit's rotation angles (adjoint method)
             ${GRAD_USAGE.replace('usage: ', '')}
  train      train a mixture-of-experts model (linear, mlp or quantum router) and write its files
             qmoe train --router linear|quantum|mlp --out DIR [options; 'qmoe help train']
  eval       reload a trained model and score it on its data set's test split
             ${EVAL_USAGE.replace('usage: ', '')}
  ablation   the study's Table I: models A, B, C over seeds, resumable (qmoe help ablation)
  sweep      the study's Fig. 2: accuracy vs router parameters, resumable (qmoe help sweep)
  quantum-kernel  the quantum kernel |<psi(x)|psi(x')>|^2 of the embedding as a heat map
             (qmoe help quantum-kernel)
  noise-sweep  the study's Table II: accuracy under depolarizing noise, resumable (qmoe help noise-sweep)
             (the studies train in local worker processes with --workers N, or through a Redis
             queue with --queue URL)
  jobs       a study's runs for schedulers (Slurm arrays): list them, train one by index
             ${JOBS_USAGE.replace('usage: ', '')}
  worker     train the runs of studies submitted with --queue URL, on any machine
             ${WORKER_USAGE.replace('usage: ', '')}
  report     one offline HTML page of result folders (qmoe report DIR... --out FILE)
  help       this text; 'qmoe help <command>' for one command

backends (--backend of every command that runs circuits):
  cpu        the fast CPU engine: float32 states (simulate, grad, kernel: float64), compiled and fused
             circuits, WebAssembly SIMD, every core
  cpu64      the float64 reference: one state at a time, one thread (the tests' oracle)
  webgpu     WebGPU kernels (an error without an adapter)
  auto       webgpu on a hardware GPU, else cpu (SwiftShader counts as none); the default

options:
  --help, -h     this text
  --version      the qmoe version

Exit codes: 0 ok, 1 failure (no GPU, device lost, runs that failed on their workers, Redis
unreachable, internal error), 2 bad command line or input
(an option or file that is invalid, cannot be read or written, or an output directory in use).
`;

const HINT = "Run 'qmoe help' for usage.";

/** Each command's module loads when it runs (or prints its help): a command starts without the others'. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  doctor: async () => (await import('./doctor.js')).DOCTOR,
  simulate: async () => (await import('./simulate.js')).SIMULATE,
  train: async () => (await import('./train.js')).TRAIN,
  eval: async () => (await import('./eval.js')).EVAL,
  grad: async () => (await import('./grad.js')).GRAD,
  ablation: async () => (await import('./ablation.js')).ABLATION,
  sweep: async () => (await import('./sweep.js')).SWEEP,
  report: async () => (await import('./report.js')).REPORT,
  'quantum-kernel': async () => (await import('./quantum-kernel.js')).QUANTUM_KERNEL,
  'noise-sweep': async () => (await import('./noise-sweep.js')).NOISE_SWEEP,
  worker: async () => (await import('./worker.js')).WORKER,
};

const commandOf = (name: string) => (Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined);

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs one qmoe command line (without `node` and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (first === '--help' || first === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (first === 'help') {
    if (rest.length === 0) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (rest[0] === 'jobs' && rest.length === 1) {
      process.stdout.write((await import('./jobs.js')).JOBS_HELP);
      return 0;
    }
    const load = commandOf(rest[0]);
    if (!load || rest.length > 1) throw new UsageError(`qmoe help: unknown command '${rest.join(' ')}'`);
    process.stdout.write((await load()).help);
    return 0;
  }
  if (first === '--version') {
    if (rest.length > 0) throw new UsageError(`qmoe --version: unexpected argument '${rest[0]}'`);
    process.stdout.write(`qmoe ${version()}\n`);
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`qmoe: unknown option '${first}' (options go after the command)`);
  if (first === 'jobs') return (await import('./jobs.js')).runJobs(rest);
  const load = commandOf(first);
  if (!load) throw new UsageError(`qmoe: unknown command '${first}' (commands: ${Object.keys(COMMANDS).join(', ')}, jobs, help)`);
  return runCommand(first, await load(), rest);
}

/** Maps an error to its message and exit code: 2 for bad input, 1 for everything else. */
export function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`${e.message}\n${e.usage ? `${e.usage}\n` : ''}${HINT}\n`);
    return 2;
  }
  if (e instanceof QmoeInputError) {
    process.stderr.write(`qmoe: ${e.message}\n`);
    return 2;
  }
  if (e instanceof QmoeJobsError) {
    process.stderr.write(`qmoe: ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof QmoeGpuError) {
    process.stderr.write(`qmoe: GPU error: ${e.message}\n`);
    return 1;
  }
  if (e instanceof QmoeNumericError) {
    process.stderr.write(`qmoe: numeric error: ${e.message}\n`);
    return 1;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const detail = process.env.QMOE_DEBUG ? `\n${err.stack}` : ' (set QMOE_DEBUG=1 for a stack trace)';
  process.stderr.write(`qmoe: internal error: ${err.message}${detail}\n`);
  return 1;
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}

/**
 * Entry point of bin/qmoe.mjs: runs the command, waits for stdout and stderr to drain, then exits
 * with the code (Dawn's instances are kept for the life of the process and may hold it open).
 */
export async function runCli(argv: string[]): Promise<never> {
  // `qmoe simulate ... | head`: the reader went away, which is not an error of qmoe.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
  process.stderr.on('error', () => {});
  let code: number;
  try {
    code = await main(argv);
  } catch (e) {
    code = reportError(e);
  }
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
