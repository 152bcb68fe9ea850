// The study's quantum router on a batch of inputs, on the GPU when there is one (else the CPU).
// Run: npx tsx examples/router.ts
import { CpuBackend, WebGpuBackend, acquireGpu, routerCircuit } from '../src/index.js';

const { gpu, chosen } = await acquireGpu();
const backend = gpu ? new WebGpuBackend(gpu) : new CpuBackend();

const circuit = routerCircuit(2, 3); // RY(x_i) embedding, then 3 layers of RY(theta) + CZ
const rows = 3;
const features = [0.1, 0.2, 1.5, -0.4, 3.0, 2.0]; // rows x 2 angles
const params = [0.3, -0.2, 0.8, 0.1, -1.1, 0.5]; // layers x qubits
const experts = await backend.expertProbabilities(circuit, { rows, features, params }, 4);
console.log(`backend ${backend.kind} (${chosen})`);
for (let r = 0; r < rows; r++) console.log(`row ${r}: P(expert | x) =`, Array.from(experts.slice(4 * r, 4 * r + 4), (p) => +p.toFixed(6)));
gpu?.destroy();
