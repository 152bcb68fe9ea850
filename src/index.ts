/** qmoe's public API: circuits as data, the CPU and WebGPU backends, GPU acquisition. */
export type { Angle, Circuit, GateName, Op } from './circuit/types.js';
export { GATES, targetMatrix } from './circuit/gates.js';
export { angleEmbedding, rot, ryCzLayers, routerCircuit } from './circuit/builders.js';
export { parseQasm, toQasm } from './circuit/qasm.js';
export { validateCircuit, isRealCircuit } from './circuit/validate.js';
export type { Backend, BatchInput, RealArray } from './sim/backend.js';
export { CpuBackend } from './sim/cpu.js';
export { WebGpuBackend, type WebGpuBackendOptions } from './sim/webgpu.js';
export { CircuitRunner, type RunnerOutput, type KernelPath } from './sim/runner.js';
export { expertBounds } from './sim/experts.js';
export { acquireGpu, type AcquireOptions } from './gpu/acquire.js';
export type { Acquisition, AcquireStep, GpuContext, GpuLimits, GpuSource } from './gpu/context.js';
export { QmoeInputError, QmoeGpuError } from './errors.js';
