import { routerCircuit } from '../src/circuit/builders.js';
import { acquireGpu } from '../src/gpu/acquire.js';
import { CpuBackend } from '../src/sim/backend-cpu.js';
import { WebGpuBackend } from '../src/sim/backend-gpu.js';

const out = document.getElementById('out')!;
const log = (line: string) => (out.textContent += line + '\n');

async function main() {
  out.textContent = '';
  const acquisition = await acquireGpu();
  for (const s of acquisition.steps) log(`${s.ok ? 'ok  ' : 'no  '} ${s.step}: ${s.detail}`);
  const circuit = routerCircuit(4, 4);
  const rows = 4096;
  const features = Float32Array.from({ length: rows * 4 }, () => Math.random() * Math.PI);
  const params = Array.from({ length: circuit.params }, () => Math.random() * 2 * Math.PI);
  const cpu = new CpuBackend();
  const backend = acquisition.gpu ? new WebGpuBackend(acquisition.gpu) : cpu;
  const t0 = performance.now();
  const got = await backend.expertProbabilities(circuit, { rows, features, params }, 4);
  const t1 = performance.now();
  const want = await cpu.expertProbabilities(circuit, { rows, features, params }, 4);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  log(`\n${backend.kind}: ${rows} samples, 4 qubits, 4 layers, 4 experts in ${(t1 - t0).toFixed(1)} ms`);
  log(`largest difference from the float64 reference: ${worst.toExponential(2)}`);
  log(`first sample's expert probabilities: ${Array.from(got.slice(0, 4), (p) => p.toFixed(4)).join(', ')}`);
}

main().catch((e) => log(`error: ${(e as Error).message}`));
