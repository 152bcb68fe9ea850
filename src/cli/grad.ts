import type { QasmParameter, QasmProgram } from '../circuit/qasm.js';
import { QmoeInputError, checkFiniteResult, checkFloat32Range } from '../errors.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import type { Backend } from '../sim/backend.js';
import { BACKEND_CHOICES, cpuBackendFor, describeCpu, hardwareOnly } from '../cpu/select.js';
import { fileAngleGradient } from '../sim/file-gradient.js';
import { choice, flag, defineCommand, text } from './args.js';
import { required } from './common-options.js';
import { namingFile, readQasmProgramOption, readTextOption } from './read-file.js';
import { fmt } from './state-output.js';
import { GRAD_USAGE } from './usages.js';
import { GRAD_NOISE_HELP, GRAD_NOISE_OPTIONS, type NoisyFileGradient, noisyFileGradient, parseGradNoise } from './grad-noise.js';
import { noiseModelJson, noiseModelLine } from './noise-rate-options.js';

export const GRAD_HELP = `${GRAD_USAGE}

Differentiates L = sum_k w_k p_k, the weighted basis-state probabilities of an OpenQASM 2.0
circuit run once from |0...0>, with respect to every angle argument of the file (rx, u3's theta,
phi and lambda, p, cu1, rzz, the arguments of user gates, ...), by the adjoint method and the
chain rule through the angle expressions. The gradient lists one entry per angle argument of each
gate application (a broadcast repeats it), in file order. Qubit 0 is the most significant bit of
the basis index k.

  --qasm FILE      the OpenQASM 2.0 program
  --weights FILE   a JSON array of 2^n numbers w_k
  --backend NAME   cpu (the fast CPU engine, here in float64), cpu64 (the float64 reference),
                   webgpu (float32 kernels; an error without an adapter or when two states do not
                   fit the adjoint kernel's workgroup memory) or auto (webgpu on a hardware
                   adapter when the circuit fits, else cpu; the default)
  --json           one JSON object: {loss, gradient, parameters, backend, adapter}; parameters[i]
                   names gradient[i]: {gate, qubits, name, line, value}
${GRAD_NOISE_HELP}`;

const GRAD_OPTIONS = { qasm: text(), weights: text(), backend: choice(BACKEND_CHOICES), ...GRAD_NOISE_OPTIONS, json: flag() } as const;

/** Reads the weights file: a JSON array of exactly `dim` finite numbers. */
export function readWeights(path: string, dim: number, qubits: number): number[] {
  const text = readTextOption('--weights', path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new QmoeInputError(`--weights ${path}`, text.length > 40 ? `${text.slice(0, 37)}...` : text, `must be JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(value)) throw new QmoeInputError(`--weights ${path}`, value, `must be a JSON array of 2^${qubits} = ${dim} numbers`);
  if (value.length !== dim) {
    throw new QmoeInputError(`--weights ${path}: length`, value.length, `the circuit has ${qubits} qubits: the array must hold 2^${qubits} = ${dim} numbers`);
  }
  value.forEach((w, k) => {
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new QmoeInputError(`--weights ${path}: entry ${k}`, w, 'must be a finite number');
  });
  return value as number[];
}

/** `u3 q[0] theta`: a file parameter as the table shows it. */
function parameterLabel(program: QasmProgram, p: QasmParameter, many: boolean): string {
  const name = (w: number) => {
    const r = program.qregs.find((r) => w >= r.offset && w < r.offset + r.size)!;
    return `${r.name}[${w - r.offset}]`;
  };
  return `${p.gate} ${p.qubits.map(name).join(', ')}${many ? ` ${p.name}` : ''}`;
}

export const GRAD = defineCommand({
  usage: GRAD_USAGE, help: GRAD_HELP, options: GRAD_OPTIONS,
  async run(values, { command: cmd }) {
    const path = required(cmd, 'qasm', 'FILE', values.qasm, GRAD_USAGE);
    const weightsPath = required(cmd, 'weights', 'FILE', values.weights, GRAD_USAGE);
    const choice = values.backend ?? 'auto';
    const program = readQasmProgramOption('--qasm', path);
    const parsed = program.circuit;
    const dim = 2 ** parsed.qubits;
    const weights = readWeights(weightsPath, dim, parsed.qubits);
    const output = { kind: 'probabilities' as const };
    const noise = parseGradNoise(values, GRAD_USAGE);

    let gpu: GpuContext | null = null;
    let backend: Backend | undefined;
    try {
      if (choice !== 'cpu' && choice !== 'cpu64') {
        const { acquireForBackend } = await import('../gpu/acquire.js');
        gpu = hardwareOnly(choice, await acquireForBackend(choice));
        if (gpu) {
          const { chooseAdjointPath, maxGlobalAdjointQubits } = await import('../sim/adjoint-global.js');
          const { compileCircuit } = await import('../sim/compile.js');
          const real = compileCircuit(parsed).real;
          // auto: circuits too large for both adjoint kernels run on the CPU; webgpu: say why not.
          if (choice === 'webgpu') chooseAdjointPath(gpu, parsed.qubits, real);
          else if (parsed.qubits > maxGlobalAdjointQubits(gpu, real)) {
            gpu.destroy();
            gpu = null;
          }
        }
      }
      // The GPU computes in float32: name the weights file's entry rather than dLdOut.
      if (gpu) checkFloat32Range(weights, (k) => `--weights ${weightsPath}: entry ${k}`);
      let loss = 0;
      let gradient: Float64Array;
      let noisy: NoisyFileGradient | null = null;
      if (noise) {
        noisy = await namingFile(path, () => noisyFileGradient(program, weights, noise, gpu));
        ({ loss, gradient } = noisy);
      } else {
        backend = gpu ? new (await import('../sim/backend-gpu.js')).WebGpuBackend(gpu) : await cpuBackendFor(choice, 'f64', 1);
        const probs = await backend.evaluate(parsed, { rows: 1 }, output);
        for (let k = 0; k < dim; k++) loss += weights[k] * probs[k];
        const chosen = backend; // a const: the closure below keeps its type
        gradient = await namingFile(path, () => fileAngleGradient(chosen, program, output, weights));
      }
      checkFiniteResult('the loss', [loss]);
      if (gpu) checkDevice(gpu);
      const adapter = gpu ? gpu.adapterName : null;
      const kind = backend?.kind ?? (gpu ? 'webgpu' : 'cpu');
      if (values.json) {
        const parameters = program.parameters.map((p) => ({ gate: p.gate, qubits: p.qubits, name: p.name, line: p.line, value: p.value }));
        const extra = noisy && noise
          ? { noise: noiseModelJson(noise.model), method: noisy.method, trajectories: noisy.trajectories, estimates: noisy.estimates, seed: noise.seed, standardError: Array.from(noisy.standardError) }
          : {};
        process.stdout.write(JSON.stringify({ loss, gradient: Array.from(gradient), parameters, backend: kind, adapter, ...extra }) + '\n');
        return 0;
      }
      const lines = [`backend  ${kind} (${adapter ?? (backend ? describeCpu(backend) : 'float64 reference')})`, `qubits   ${parsed.qubits}`];
      if (noisy && noise) {
        lines.push(noiseModelLine(noise.model));
        lines.push(`method   loss by ${noisy.method === 'density-matrix' ? 'the exact density matrix' : `${noisy.trajectories} trajectories`}; gradient the mean of ${noisy.estimates} estimates of ${noisy.trajectories / noisy.estimates} trajectories each (seed ${noise.seed}), +- one standard error`);
      }
      lines.push(`loss     ${fmt(loss)}`, '');
      const many = new Set(program.parameters.filter((p) => p.argument > 0).map((p) => p.gate));
      const rows = program.parameters.map((p, i) => [String(i), parameterLabel(program, p, many.has(p.gate)), fmt(p.value), fmt(gradient[i]), ...(noisy ? [`+- ${fmt(noisy.standardError[i])}`] : [])]);
      const header = ['#', 'gate', 'angle', 'dL/dangle', ...(noisy ? ['se'] : [])];
      const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)) + 2);
      for (const r of [header, ...rows]) lines.push(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join(''));
      if (rows.length === 0) lines.push('(no angle arguments)');
      process.stdout.write(lines.join('\n') + '\n');
      return 0;
    } finally {
      backend?.dispose();
      gpu?.destroy();
    }
  },
});
