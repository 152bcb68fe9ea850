/** qmoe's public API: circuits as data, the CPU and WebGPU backends, GPU acquisition. */
export type { Angle, Circuit, GateName, Op } from './circuit/types.js';
export { GATES, targetMatrix, derivativeMatrix } from './circuit/gates.js';
export { angleEmbedding, rot, ryCzLayers, routerCircuit } from './circuit/builders.js';
export { parseQasm, parseQasmProgram, parameterGradient, toQasm, type QasmProgram, type QasmParameter, type QasmStep } from './circuit/qasm.js';
export { simulateProgramShots, type ProgramShotResult } from './sim/program-cpu.js';
export { fileAngleGradient } from './sim/file-gradient.js';
export { validateCircuit, isRealCircuit } from './circuit/validate.js';
export type { Backend, BatchInput, RealArray } from './sim/backend.js';
export { CpuBackend } from './sim/backend-cpu.js';
export { FastCpuBackend, type FastCpuOptions } from './cpu/backend.js';
export { createFastCpuEngine, type FastCpuEngineOptions } from './cpu/engine.js';
export { createPool } from './cpu/threads.js';
export type { WorkerPool } from './cpu/pool.js';
export { WebGpuBackend, type WebGpuBackendOptions } from './sim/backend-gpu.js';
export { CircuitRunner, type RunnerOutput, type KernelPath } from './sim/statevector-gpu.js';
export { expertBounds } from './sim/experts.js';
export { acquireGpu, type AcquireOptions } from './gpu/acquire.js';
export type { Acquisition, AcquireStep, GpuContext, GpuLimits, GpuSource } from './gpu/context.js';
export { QmoeInputError, QmoeGpuError, QmoeGpuMemoryError, QmoeNumericError } from './errors.js';
export type { CircuitOutput, GradientOptions, GradientResult } from './sim/backend.js';
export { GradientRunner } from './sim/adjoint-gpu.js';
export { GlobalGradientRunner, chooseAdjointPath, createGradientRunner, maxGlobalAdjointQubits, type AdjointPath, type AnyGradientRunner } from './sim/adjoint-global.js';
// Models and training.
export type { ModelSpec, ParamLayout, Preset, RouterKind } from './moe/spec.js';
export { makeSpec, defaultSpec, countParams, paramLayout, initParams, modelCircuit } from './moe/models.js';
export type { TrainingData, TrainingEngine, EngineStats, Split } from './train/engine.js';
export { createCpuEngine } from './train/cpu-engine.js';
export { createWebGpuEngine } from './train/gpu-engine.js';
export { train, shuffleSeed, type TrainOptions, type TrainResult, type EpochRecord } from './train/trainer.js';
// Noise.
export { everyGateNoise, embeddingAndOutputNoise, type NoiseModel } from './noise/model.js';
export { fileGatePlacement } from './noise/file-gates.js';
export { noisyProbabilities, noisyEvaluate } from './noise/simulate.js';
export { sampleShots } from './noise/shots.js';
export { NoisyBackend } from './noise/backend.js';
export { noisyGradientCpu } from './noise/gradient-cpu.js';
export { noisyGradientGpu } from './noise/gradient-gpu.js';
