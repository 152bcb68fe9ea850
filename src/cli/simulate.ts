import { readFileSync } from 'node:fs';
import { parseQasm } from '../circuit/qasm.js';
import type { Circuit } from '../circuit/types.js';
import { QmoeInputError, checkInt } from '../errors.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import type { Backend, RealArray } from '../sim/backend.js';
import { CpuBackend } from '../sim/backend-cpu.js';
import { expertBounds } from '../sim/experts.js';
import { UsageError, parseOptions } from './args.js';
import { NOISE_HELP, NOISE_OPTIONS, parseNoiseOptions, simulateNoisy } from './noise-simulate.js';

export const SIMULATE_USAGE = 'usage: qmoe simulate --qasm FILE [--backend cpu|webgpu|auto] [--experts N] [--noise P [--p2 P] [--readout R] [--trajectories T] [--seed N]] [--shots S] [--json]';

export const SIMULATE_HELP = `${SIMULATE_USAGE}

Runs an OpenQASM 2.0 circuit once (one input row) from |0...0> and prints the probability of
every basis state. Qubit 0 is the most significant bit of the basis index (leftmost in the
bitstrings).

  --qasm FILE      the OpenQASM 2.0 program (qelib1 gates h x y z s t rx ry rz cx cz swap crx cry crz)
  --backend NAME   cpu (float64 reference), webgpu (float32 kernels; an error without an adapter)
                   or auto (webgpu when a WebGPU adapter is found, else cpu; the default)
  --experts N      also print the probabilities of N experts: contiguous blocks of basis states
  --json           one JSON object: {qubits, probabilities, backend, adapter[, experts]}
${NOISE_HELP}`;

const BACKENDS = ['cpu', 'webgpu', 'auto'] as const;
type BackendChoice = (typeof BACKENDS)[number];

/** Probabilities below this are left out of the human table. */
const SHOW_MIN = 1e-12;

function readQasm(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new UsageError(`qmoe simulate: --qasm ${JSON.stringify(path)}: cannot read the file (${why})`);
  }
}

function fmt(p: number): string {
  return String(Number(p.toPrecision(10)));
}

function table(header: [string, string], rows: [string, string][]): string {
  // A loop, not Math.max(...rows): a 20-qubit state has a million rows.
  let w = header[0].length;
  for (const r of rows) w = Math.max(w, r[0].length);
  w += 2;
  const lines = [`${header[0].padEnd(w)}${header[1]}`];
  for (const [a, b] of rows) lines.push(`${a.padEnd(w)}${b}`);
  return lines.join('\n') + '\n';
}

export async function simulate(args: string[]): Promise<number> {
  const values = parseOptions(
    'qmoe simulate',
    args,
    {
      qasm: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      experts: { type: 'string' },
      json: { type: 'boolean' },
      ...NOISE_OPTIONS, // noise and shots: src/cli/noise-simulate.ts
      help: { type: 'boolean', short: 'h' },
    },
    SIMULATE_USAGE,
  );
  if (values.help) {
    process.stdout.write(SIMULATE_HELP);
    return 0;
  }
  if (values.qasm === undefined) throw new UsageError('qmoe simulate: --qasm FILE is required', SIMULATE_USAGE);
  const choice = values.backend as BackendChoice;
  if (!(BACKENDS as readonly string[]).includes(choice)) {
    throw new UsageError(`qmoe simulate: --backend ${JSON.stringify(choice)}: must be cpu, webgpu or auto`, SIMULATE_USAGE);
  }
  let experts: number | undefined;
  if (values.experts !== undefined) {
    if (!/^\d+$/.test(values.experts)) throw new UsageError(`qmoe simulate: --experts ${JSON.stringify(values.experts)}: must be a positive integer`, SIMULATE_USAGE);
    experts = Number(values.experts);
  }

  const path = values.qasm;
  let circuit: Circuit;
  try {
    circuit = parseQasm(readQasm(path));
  } catch (e) {
    // Name the file in front of "qasm line N: ...".
    if (e instanceof QmoeInputError) e.message = `${path}: ${e.message}`;
    throw e;
  }
  if (experts !== undefined) checkInt('--experts', experts, 1, 2 ** circuit.qubits);
  // Noise and shots (src/cli/noise-simulate.ts).
  const noise = parseNoiseOptions(values, SIMULATE_USAGE);
  if (noise) return simulateNoisy(circuit, noise, { backend: choice as BackendChoice, experts, json: values.json === true });

  let gpu: GpuContext | null = null;
  let backend: Backend | undefined;
  try {
    const { acquireForBackend } = await import('../gpu/acquire.js');
    gpu = await acquireForBackend(choice);
    if (gpu) {
      const { WebGpuBackend } = await import('../sim/backend-gpu.js');
      backend = new WebGpuBackend(gpu);
    } else {
      backend = new CpuBackend();
    }
    const input = { rows: 1 };
    const probs: RealArray = await backend.probabilities(circuit, input);
    const expertProbs = experts !== undefined ? await backend.expertProbabilities(circuit, input, experts) : undefined;
    if (gpu) checkDevice(gpu);
    const adapter = gpu ? gpu.adapterName : null;

    if (values.json) {
      const out: Record<string, unknown> = { qubits: circuit.qubits, probabilities: Array.from(probs), backend: backend.kind, adapter };
      if (expertProbs) out.experts = Array.from(expertProbs);
      process.stdout.write(JSON.stringify(out) + '\n');
      return 0;
    }
    const n = circuit.qubits;
    let text = `backend  ${backend.kind}${adapter ? ` (${adapter})` : ' (float64 reference)'}\nqubits   ${n}\n\n`;
    const rows: [string, string][] = [];
    for (let k = 0; k < probs.length; k++) {
      if (probs[k] >= SHOW_MIN) rows.push([k.toString(2).padStart(n, '0'), fmt(probs[k])]);
    }
    text += table(['state', 'probability'], rows);
    const hidden = probs.length - rows.length;
    if (hidden > 0) text += `(${hidden} of ${probs.length} states below ${SHOW_MIN} not shown)\n`;
    if (expertProbs && experts !== undefined) {
      const bounds = expertBounds(probs.length, experts);
      const label = (k: number) => k.toString(2).padStart(n, '0');
      const erows: [string, string][] = Array.from(expertProbs, (p, e) => [
        `${e} (${label(bounds[e])}..${label(bounds[e + 1] - 1)})`,
        fmt(p),
      ]);
      text += '\n' + table(['expert (states)', 'probability'], erows);
    }
    process.stdout.write(text);
    return 0;
  } finally {
    backend?.dispose();
    gpu?.destroy();
  }
}
