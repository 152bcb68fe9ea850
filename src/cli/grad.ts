import { readFileSync } from 'node:fs';
import { parseQasm } from '../circuit/qasm.js';
import type { Circuit, Op } from '../circuit/types.js';
import { QmoeInputError, checkFiniteResult, checkFloat32Range } from '../errors.js';
import { checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import type { Backend } from '../sim/backend.js';
import { CpuBackend } from '../sim/backend-cpu.js';
import { UsageError, parseOptions } from './args.js';

export const GRAD_USAGE = 'usage: qmoe grad --qasm FILE --weights W.json [--backend cpu|webgpu|auto] [--json]';

export const GRAD_HELP = `${GRAD_USAGE}

Differentiates L = sum_k w_k p_k, the weighted basis-state probabilities of an OpenQASM 2.0
circuit run once from |0...0>, with respect to every rotation angle (rx ry rz crx cry crz), by the
adjoint method. The gradient lists one entry per rotation gate, in the order the gates appear in
the file. Qubit 0 is the most significant bit of the basis index k.

  --qasm FILE      the OpenQASM 2.0 program
  --weights FILE   a JSON array of 2^n numbers w_k
  --backend NAME   cpu (float64 reference), webgpu (float32 kernels; an error without an adapter
                   or when two states do not fit the adjoint kernel's workgroup memory) or auto
                   (webgpu when an adapter is found and the circuit fits, else cpu; the default)
  --json           one JSON object: {loss, gradient, backend, adapter}
`;

const BACKENDS = ['cpu', 'webgpu', 'auto'] as const;

function readText(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new UsageError(`qmoe grad: ${option} ${JSON.stringify(path)}: cannot read the file (${why})`, GRAD_USAGE);
  }
}

/** Reads the weights file: a JSON array of exactly `dim` finite numbers. */
export function readWeights(path: string, dim: number, qubits: number): number[] {
  const text = readText('--weights', path);
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

/**
 * The circuit with every constant rotation angle turned into a trainable parameter, numbered in
 * the order the gates appear, and the parameter values.
 */
export function constantsToParams(circuit: Circuit): { circuit: Circuit; params: number[]; gates: Op[] } {
  const params: number[] = [];
  const gates: Op[] = [];
  const ops = circuit.ops.map((op): Op => {
    if (op.angle?.kind !== 'const') return op;
    gates.push(op);
    params.push(op.angle.value);
    return { ...op, angle: { kind: 'param', index: params.length - 1 } };
  });
  return { circuit: { ...circuit, ops, params: params.length }, params, gates };
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(10)));
}

export async function grad(args: string[]): Promise<number> {
  const values = parseOptions(
    'qmoe grad',
    args,
    {
      qasm: { type: 'string' },
      weights: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    GRAD_USAGE,
  );
  if (values.help) {
    process.stdout.write(GRAD_HELP);
    return 0;
  }
  if (values.qasm === undefined) throw new UsageError('qmoe grad: --qasm FILE is required', GRAD_USAGE);
  if (values.weights === undefined) throw new UsageError('qmoe grad: --weights FILE is required', GRAD_USAGE);
  const choice = values.backend as (typeof BACKENDS)[number];
  if (!(BACKENDS as readonly string[]).includes(choice)) {
    throw new UsageError(`qmoe grad: --backend ${JSON.stringify(choice)}: must be cpu, webgpu or auto`, GRAD_USAGE);
  }
  const path = values.qasm;
  let parsed: Circuit;
  try {
    parsed = parseQasm(readText('--qasm', path));
  } catch (e) {
    if (e instanceof QmoeInputError) e.message = `${path}: ${e.message}`;
    throw e;
  }
  const dim = 2 ** parsed.qubits;
  const weights = readWeights(values.weights, dim, parsed.qubits);
  const { circuit, params, gates } = constantsToParams(parsed);
  const input = { rows: 1, params };
  const output = { kind: 'probabilities' as const };

  let gpu: GpuContext | null = null;
  let backend: Backend | undefined;
  try {
    if (choice !== 'cpu') {
      const { acquireForBackend } = await import('../gpu/acquire.js');
      gpu = await acquireForBackend(choice);
      if (gpu) {
        const { adjointShape, checkAdjointFits } = await import('../sim/adjoint-gpu.js');
        const { compileCircuit } = await import('../sim/compile.js');
        const real = compileCircuit(circuit).real;
        // auto: circuits too large for the fused adjoint kernel run on the CPU; webgpu: say why not.
        if (choice === 'webgpu') checkAdjointFits(gpu, circuit.qubits, real);
        else if (adjointShape(gpu, circuit.qubits, real) === null) {
          gpu.destroy();
          gpu = null;
        }
      }
    }
    if (gpu) {
      // The GPU computes in float32: name the weights file's entry rather than dLdOut.
      checkFloat32Range(weights, (k) => `--weights ${values.weights}: entry ${k}`);
      const { WebGpuBackend } = await import('../sim/backend-gpu.js');
      backend = new WebGpuBackend(gpu);
    } else {
      backend = new CpuBackend();
    }
    const probs = await backend.evaluate(circuit, input, output);
    let loss = 0;
    for (let k = 0; k < dim; k++) loss += weights[k] * probs[k];
    checkFiniteResult('the loss', [loss]);
    const g = await backend.gradient(circuit, input, output, weights);
    if (gpu) checkDevice(gpu);
    const adapter = gpu ? gpu.adapterName : null;
    if (values.json) {
      process.stdout.write(JSON.stringify({ loss, gradient: Array.from(g.params), backend: backend.kind, adapter }) + '\n');
      return 0;
    }
    const lines = [`backend  ${backend.kind}${adapter ? ` (${adapter})` : ' (float64 reference)'}`, `qubits   ${circuit.qubits}`, `loss     ${fmt(loss)}`, ''];
    const rows = gates.map((op, i) => [String(i), `${op.gate} q[${op.wires.join('], q[')}]`, fmt(params[i]), fmt(g.params[i])]);
    const header = ['#', 'gate', 'angle', 'dL/dangle'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)) + 2);
    for (const r of [header, ...rows]) lines.push(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join(''));
    if (rows.length === 0) lines.push('(no rotation gates)');
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    backend?.dispose();
    gpu?.destroy();
  }
}
