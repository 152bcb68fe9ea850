import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { QmoeGpuError } from '../errors.js';
import { PRESETS } from '../moe/models.js';
import type { Preset } from '../moe/spec.js';
import type { Backend } from '../sim/backend.js';
import { CpuBackend } from '../sim/backend-cpu.js';
import { writeFileAtomic } from '../train/atomic.js';
import { DEFAULT_MOONS, DEFAULT_SPLIT, prepareData } from '../train/dataset.js';
import { IMAGE_HELP, IMAGE_OPTIONS, withImageOptions } from '../experiments/data-options.js';
import { computeKernel, embeddingCircuit, kernelPoints, kernelSvg } from '../experiments/kernel.js';
import { UsageError, parseOptions } from './args.js';
import { choiceOption, datasetSettings, intOption } from './train.js';

export const KERNEL_USAGE = 'usage: qmoe kernel --out DIR [--dataset moons|mnist|fashion] [--preset paper|code] [--points N] [--backend webgpu|cpu|auto] [data options] [--json]';

export const KERNEL_HELP = `${KERNEL_USAGE}

The quantum kernel of the router's angle embedding, K(x, x') = |<psi(x)|psi(x')>|^2, for N test
points (half of each class, ordered by class): the states are simulated on the GPU (WebGpuBackend)
or the CPU, the Gram matrix is formed on the host and checked against the closed form
prod_i cos^2((x_i - x'_i) / 2). The trainable layers are unitary and leave K unchanged, so this is
the kernel of every quantum router of the preset (paper: RY embedding; code: RX).
Writes DIR/kernel.json (the matrix, labels, class means, error) and DIR/kernel.svg/png (heat map).

  --points N       points (default 100)
  --backend NAME   webgpu (an error without an adapter), cpu, or auto (default: webgpu when an
                   adapter exists, SwiftShader included, else cpu)
${IMAGE_HELP}`;

export async function kernelCommand(args: string[]): Promise<number> {
  const cmd = 'qmoe kernel';
  const values = parseOptions(
    cmd,
    args,
    {
      dataset: { type: 'string' },
      preset: { type: 'string' },
      points: { type: 'string' },
      backend: { type: 'string' },
      samples: { type: 'string' },
      noise: { type: 'string' },
      'data-seed': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...IMAGE_OPTIONS,
    },
    KERNEL_USAGE,
  );
  if (values.help) {
    process.stdout.write(KERNEL_HELP);
    return 0;
  }
  if (!values.out) throw new UsageError(`${cmd}: --out DIR is required`, KERNEL_USAGE);
  const preset = choiceOption<Preset>(cmd, 'preset', values.preset, PRESETS, KERNEL_USAGE) ?? 'paper';
  const choice = choiceOption(cmd, 'backend', values.backend, ['webgpu', 'cpu', 'auto'] as const, KERNEL_USAGE) ?? 'auto';
  const points = intOption(cmd, 'points', values.points, 2, 2048, KERNEL_USAGE) ?? 100;
  const dataset = withImageOptions(cmd, values, datasetSettings(cmd, values, { ...DEFAULT_MOONS, split: DEFAULT_SPLIT }, KERNEL_USAGE), KERNEL_USAGE);
  const data = prepareData(dataset, preset);
  const { x, y } = kernelPoints(data, points);
  const circuit = embeddingCircuit(preset, data.features);

  let backend: Backend;
  let adapter = 'cpu (float64)';
  let destroy = () => {};
  if (choice === 'cpu') {
    backend = new CpuBackend();
  } else {
    const { acquireGpu } = await import('../gpu/acquire.js');
    const { WebGpuBackend } = await import('../sim/backend-gpu.js');
    const acq = await acquireGpu();
    if (acq.gpu) {
      const gpu = acq.gpu;
      backend = new WebGpuBackend(gpu);
      adapter = `webgpu (${gpu.source}: ${gpu.adapterName})`;
      destroy = () => gpu.destroy();
    } else if (choice === 'webgpu') {
      throw new QmoeGpuError('--backend webgpu: no WebGPU adapter was found (try --backend cpu)');
    } else {
      backend = new CpuBackend();
    }
  }
  try {
    const r = await computeKernel(backend, circuit, x, y);
    const title = `Quantum kernel |<psi(x)|psi(x')>|^2 (${data.settings.name}, ${preset} embedding, ${data.features} qubits)`;
    const svg = await kernelSvg(r.kernel, y, title);
    const { svgToPng } = await import('../plot/render.js');
    const summary = {
      format: 'qmoe-kernel',
      version: 1,
      command: ['qmoe kernel', ...args].join(' '),
      dataset: data.settings,
      preset,
      embedding: preset === 'paper' ? 'RY(x_i) on qubit i' : 'RX(x_i) on qubit i',
      qubits: circuit.qubits,
      backend: backend.kind,
      adapter,
      points: r.rows,
      means: r.means,
      maxErrorVsClosedForm: r.maxError,
      seconds: r.seconds,
    };
    mkdirSync(values.out, { recursive: true });
    writeFileAtomic(join(values.out, 'kernel.json'), JSON.stringify({ ...summary, labels: Array.from(y), kernel: Array.from(r.kernel, (v) => Math.round(v * 1e7) / 1e7) }) + '\n');
    writeFileAtomic(join(values.out, 'kernel.svg'), svg);
    writeFileAtomic(join(values.out, 'kernel.png'), svgToPng(svg));
    if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else
      process.stdout.write(
        `kernel of the ${preset} embedding on ${data.settings.name}: ${r.rows} points, ${circuit.qubits} qubits, ${adapter}, ${r.seconds.toFixed(3)} s\n` +
          `mean K within class 0 ${r.means.within0.toFixed(4)}, within class 1 ${r.means.within1.toFixed(4)}, between ${r.means.between.toFixed(4)}\n` +
          `max |K - closed form| ${r.maxError.toExponential(2)}\nwrote ${values.out}/{kernel.json, kernel.svg, kernel.png}\n`,
      );
    return 0;
  } finally {
    backend.dispose();
    destroy();
  }
}
