import { fileGatePlacement } from '../noise/file-gates.js';
import { checkInt } from '../errors.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import type { Backend, RealArray } from '../sim/backend.js';
import { BACKEND_CHOICES, cpuBackendFor, describeCpu, hardwareOnly } from '../cpu/select.js';
import { expertBounds } from '../sim/experts.js';
import { choice, flag, int, defineCommand, text } from './args.js';
import { required } from './common-options.js';
import { NOISE_HELP, NOISE_OPTIONS, parseNoiseOptions, simulateNoisy } from './noise-simulate.js';
import { simulateProgram } from './program-shots.js';
import { namingFile, readQasmProgramOption } from './read-file.js';
import { TABLE_TOP, fmt, writeJsonRecord, writeStateTable } from './state-output.js';
import { SIMULATE_USAGE } from './usages.js';

export const SIMULATE_HELP = `${SIMULATE_USAGE}

Runs an OpenQASM 2.0 circuit once (one input row) from |0...0> and prints the probability of
every basis state. Qubit 0 is the most significant bit of the basis index (leftmost in the
bitstrings). A circuit that measures, resets or branches (if) in the middle runs per shot on the
CPU with --shots S (the collapse sampled per shot); it prints shot frequencies and the counts of
the classical bits.

  --qasm FILE      the OpenQASM 2.0 program: every gate of qelib1.inc, gate definitions, measure,
                   reset, if; or the common subset of OpenQASM 3 (qubit[n], stdgates.inc, gphase)
  --backend NAME   cpu (the fast CPU engine, here in float64), cpu64 (the float64 reference),
                   webgpu (float32 kernels; an error without an adapter) or auto (webgpu on a
                   hardware adapter, else cpu; the default)
  --experts N      also print the probabilities of N experts: contiguous blocks of basis states
  --json           one JSON object: {qubits, probabilities, backend, adapter[, experts]}, written
                   as it is produced (2^n probabilities: 25 qubits make about 700 MB of JSON)
  --all            list every state with p >= 1e-12 (default: the ${TABLE_TOP} most probable, with a note)
${NOISE_HELP}`;

const SIMULATE_OPTIONS = {
  qasm: text(),
  backend: choice(BACKEND_CHOICES),
  experts: int(1, 2 ** 30),
  json: flag(),
  all: flag(),
  ...NOISE_OPTIONS, // noise and shots: src/cli/noise-simulate.ts
} as const;

export const SIMULATE = defineCommand({
  usage: SIMULATE_USAGE, help: SIMULATE_HELP, options: SIMULATE_OPTIONS,
  async run(values, { command: cmd }) {
    const path = required(cmd, 'qasm', 'FILE', values.qasm, SIMULATE_USAGE);
    const choice = values.backend ?? 'auto';
    const program = readQasmProgramOption('--qasm', path);
    const circuit = program.circuit;
    const experts = values.experts;
    if (experts !== undefined) checkInt('--experts', experts, 1, 2 ** circuit.qubits);
    const all = values.all === true;
    // Noise and shots (src/cli/noise-simulate.ts); measurements in the middle (src/cli/program-shots.ts).
    const noise = parseNoiseOptions(values, SIMULATE_USAGE);
    // Noisy and per-shot runs have one CPU path, the float64 one.
    const opts = { backend: choice === 'cpu64' ? ('cpu' as const) : choice, experts, json: values.json === true, all };
    if (program.dynamic) return await namingFile(path, () => simulateProgram(program, noise, opts, SIMULATE_USAGE));
    if (noise) {
      // One channel per gate of the file, however many ops it was lowered to.
      if (noise.model) noise.model.placement = fileGatePlacement(program);
      return simulateNoisy(circuit, noise, opts);
    }

    let gpu: GpuContext | null = null;
    let backend: Backend | undefined;
    try {
      if (choice !== 'cpu' && choice !== 'cpu64') {
        const { acquireForBackend } = await import('../gpu/acquire.js');
        gpu = hardwareOnly(choice, await acquireForBackend(choice));
      }
      if (gpu) {
        const { WebGpuBackend } = await import('../sim/backend-gpu.js');
        backend = new WebGpuBackend(gpu);
      } else {
        // One circuit: float64 costs nothing here, and the printed digits are exact.
        backend = await cpuBackendFor(choice, 'f64', 1);
      }
      const input = { rows: 1 };
      const probs: RealArray = await backend.probabilities(circuit, input);
      const expertProbs = experts !== undefined ? await backend.expertProbabilities(circuit, input, experts) : undefined;
      if (gpu) checkDevice(gpu);
      const adapter = gpu ? gpu.adapterName : null;

      if (values.json) {
        await writeJsonRecord(process.stdout, { qubits: circuit.qubits, probabilities: probs, backend: backend.kind, adapter, experts: expertProbs && Array.from(expertProbs) });
        return 0;
      }
      const n = circuit.qubits;
      process.stdout.write(`backend  ${backend.kind} (${adapter ?? describeCpu(backend)})\nqubits   ${n}\n\n`);
      await writeStateTable(process.stdout, probs, n, { all });
      if (expertProbs && experts !== undefined) {
        const bounds = expertBounds(probs.length, experts);
        const label = (k: number) => k.toString(2).padStart(n, '0');
        const rows = Array.from(expertProbs, (p, e) => [`${e} (${label(bounds[e])}..${label(bounds[e + 1] - 1)})`, fmt(p)]);
        const w = Math.max('expert (states)'.length, ...rows.map((r) => r[0].length)) + 2;
        process.stdout.write(`\n${'expert (states)'.padEnd(w)}probability\n${rows.map(([a, b]) => `${a.padEnd(w)}${b}\n`).join('')}`);
      }
      return 0;
    } finally {
      backend?.dispose();
      gpu?.destroy();
    }
  },
});
