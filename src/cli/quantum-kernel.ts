import { QmoeGpuError } from '../errors.js';
import type { Backend } from '../sim/backend.js';
import { BACKEND_CHOICES, cpuBackendFor, describeCpu, hardwareOnly, type BackendChoice } from '../cpu/select.js';
import { prepareData } from '../train/dataset.js';
import { openResultDir } from '../train/result-set.js';
import { computeQuantumKernel, embeddingCircuit, quantumKernelPoints, quantumKernelSvg } from '../experiments/quantum-kernel.js';
import { choice, flag, int, defineCommand, text } from './args.js';
import { DATA_OPTIONS, PRESET_OPTION, dataFrom, required } from './common-options.js';
import { IMAGE_HELP, IMAGE_OPTIONS } from './image-options.js';

export const QUANTUM_KERNEL_USAGE = 'usage: qmoe quantum-kernel --out DIR [--dataset moons|mnist|fashion] [--preset paper|code] [--points N] [--backend webgpu|cpu|cpu64|auto] [data options] [--json]';

export const QUANTUM_KERNEL_HELP = `${QUANTUM_KERNEL_USAGE}

The quantum kernel of the router's angle embedding, K(x, x') = |<psi(x)|psi(x')>|^2, for N test
points (half of each class, ordered by class): the states are simulated on the GPU (WebGpuBackend)
or the CPU, the Gram matrix is formed on the host and checked against the closed form
prod_i cos^2((x_i - x'_i) / 2). The trainable layers are unitary and leave K unchanged, so this is
the quantum kernel of every quantum router of the preset (paper: RY embedding; code: RX).
Writes DIR/quantum-kernel.json (the matrix, labels, class means, error, the matrix's numerical rank
and its bound min(N, 3^features): K is an inner product of 3^n features) and DIR/quantum-kernel.svg/png
(heat map), as one result set (README, "Result sets").

  --points N       points (default 100)
  --backend NAME   webgpu (an error without an adapter), cpu (the fast CPU engine, here in
                   float64: the check against the closed form is to 1e-12), cpu64 (the float64
                   reference) or auto (default: webgpu on a hardware adapter, else cpu)
${IMAGE_HELP}`;

const QUANTUM_KERNEL_OPTIONS = {
  ...DATA_OPTIONS,
  ...IMAGE_OPTIONS,
  ...PRESET_OPTION,
  points: int(2, 2048),
  backend: choice(BACKEND_CHOICES),
  out: text(),
  json: flag(),
} as const;

/** The files of the result set. */
const FILES = ['quantum-kernel.json', 'quantum-kernel.svg', 'quantum-kernel.png'];

async function simulationBackend(choice: BackendChoice): Promise<{ backend: Backend; adapter: string; destroy: () => void }> {
  if (choice !== 'cpu' && choice !== 'cpu64') {
    const { acquireGpu } = await import('../gpu/acquire.js');
    const { WebGpuBackend } = await import('../sim/backend-gpu.js');
    const gpu = hardwareOnly(choice, (await acquireGpu()).gpu);
    if (gpu) {
      return { backend: new WebGpuBackend(gpu), adapter: `webgpu (${gpu.source}: ${gpu.adapterName})`, destroy: () => gpu.destroy() };
    }
    if (choice === 'webgpu') throw new QmoeGpuError('--backend webgpu: no WebGPU adapter was found (try --backend cpu)');
  }
  const backend = await cpuBackendFor(choice, 'f64');
  return { backend, adapter: `cpu (${describeCpu(backend)})`, destroy: () => {} };
}

export const QUANTUM_KERNEL = defineCommand({
  usage: QUANTUM_KERNEL_USAGE, help: QUANTUM_KERNEL_HELP, options: QUANTUM_KERNEL_OPTIONS,
  async run(values, { command: cmd, args }) {
    const outDir = required(cmd, 'out', 'DIR', values.out, QUANTUM_KERNEL_USAGE);
    const preset = values.preset ?? 'paper';
    const dataset = dataFrom(cmd, values, QUANTUM_KERNEL_USAGE);
    const data = prepareData(dataset, preset);
    const { x, y } = quantumKernelPoints(data, values.points ?? 100);
    const circuit = embeddingCircuit(preset, data.features);
    const dir = openResultDir(outDir, { argument: '--out', bytes: 1_048_576 + 300 * y.length * y.length, command: ['qmoe quantum-kernel', ...args].join(' ') });
    try {
      const { backend, adapter, destroy } = await simulationBackend(values.backend ?? 'auto');
      try {
        const r = await computeQuantumKernel(backend, circuit, x, y);
        const title = `Quantum kernel |<psi(x)|psi(x')>|^2 (${data.settings.name}, ${preset} embedding, ${data.features} qubits)`;
        const svg = await quantumKernelSvg(r.matrix, y, title);
        const { svgToPng } = await import('../plot/render.js');
        const summary = {
          format: 'qmoe-quantum-kernel',
          version: 1,
          command: ['qmoe quantum-kernel', ...args].join(' '),
          dataset: data.settings,
          preset,
          embedding: preset === 'paper' ? 'RY(x_i) on qubit i' : 'RX(x_i) on qubit i',
          qubits: circuit.qubits,
          backend: backend.kind,
          adapter,
          points: r.rows,
          means: r.means,
          rank: r.rank,
          maxErrorVsClosedForm: r.maxError,
          seconds: r.seconds,
        };
        const json = JSON.stringify({ ...summary, labels: Array.from(y), matrix: Array.from(r.matrix, (v) => Math.round(v * 1e7) / 1e7) }) + '\n';
        dir.commit([
          ['quantum-kernel.json', json],
          ['quantum-kernel.svg', svg],
          ['quantum-kernel.png', svgToPng(svg)],
        ], FILES);
        if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else
          process.stdout.write(
            `quantum kernel of the ${preset} embedding on ${data.settings.name}: ${r.rows} points, ${circuit.qubits} qubits, ${adapter}, ${r.seconds.toFixed(3)} s\n` +
              `mean K within class 0 ${r.means.within0.toFixed(4)}, within class 1 ${r.means.within1.toFixed(4)}, between ${r.means.between.toFixed(4)}\n` +
              `rank ${r.rank.numerical} (bound min(points, 3^features) = ${r.rank.bound})\n` +
              `max |K - closed form| ${r.maxError.toExponential(2)}\nwrote ${outDir}/{${FILES.join(', ')}}\n`,
          );
        return 0;
      } finally {
        backend.dispose();
        destroy();
      }
    } finally {
      dir.release();
    }
  },
});
