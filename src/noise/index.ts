/** Depolarizing noise: the model, exact density matrices, Monte-Carlo trajectories and shots (CPU and WebGPU). */
export * from './model.js';
export { pcgHash, noiseHash, rateThreshold, STREAM_PAULI, STREAM_PAULI_CHOICE, STREAM_SHOT } from './rng.js';
export { DENSITY_CPU_MAX_QUBITS, densityProbabilitiesCpu, densityRow, depolarize1, depolarize2, applyReadout } from './density-cpu.js';
export { MAX_TRAJECTORIES, type TrajectoryOptions, trajectoryProbabilitiesCpu, trajectoryPrefix, drawPauli, trajectoryRow } from './trajectories-cpu.js';
export { DENSITY_GPU_MAX_QUBITS, type DensityPath, DensityRunner, chooseDensityPath, densityProbabilitiesGpu, densityShape } from './density-gpu.js';
export { GlobalDensityRunner } from './density-global.js';
export { type TrajectoryPath, TrajectoryRunner, chooseTrajectoryPath, trajectoryProbabilitiesGpu, trajectoryShape } from './trajectories-gpu.js';
export { GlobalTrajectoryRunner, trajectoryProbabilitiesGlobal } from './trajectories-global.js';
export { NoisyGradientRunner, chooseNoisyGradientPath, noisyGradientGpu } from './gradient-gpu.js';
export { GlobalNoisyGradientRunner, noisyGradientGlobal } from './gradient-global.js';
export type { NoiseGpuOptions } from './runner-gpu.js';
export { MAX_SHOTS, type ShotOptions, type ShotResult, sampleShots } from './shots.js';
export { DEFAULT_TRAJECTORIES, type NoiseMethod, type NoisyOptions, type NoisyResult, chooseMethod, densityMaxQubits, noisyEvaluate, noisyProbabilities } from './simulate.js';
