import { QmoeGpuError, QmoeInputError } from '../errors.js';
import { grid, readFloats, storageBuffer, uniformBuffer, writeU32 } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import type { BatchInput } from '../sim/backend.js';
import { validateInput } from '../sim/input.js';
import { maxBindingBytes } from '../sim/runner.js';
import { type CompiledNoise, compileNoise, f32Bits, noiseMatrixTable } from './compile.js';
import { checkDensityQubits } from './density-cpu.js';
import type { NoiseSchedule } from './model.js';
import { type TrajectoryOptions, validateTrajectoryOptions } from './trajectories-cpu.js';

/** Most qubits of the exact path on the GPU: 4^11 complex f32 = 32 MiB per sample in global memory. */
export const DENSITY_GPU_MAX_QUBITS = 11;

export interface NoiseGpuOptions {
  /** Largest GPU memory one chunk of a batch may use (default 256 MiB); larger batches are split. */
  maxChunkBytes?: number;
  /** Density kernel path: 'auto' (fused when rho fits in workgroup memory), 'fused' or 'global'. */
  path?: 'auto' | 'fused' | 'global';
  /** Trajectories: 'auto' runs real-only kernels when every gate is real; 'never' keeps complex ones. */
  real?: 'auto' | 'never';
}

function threads(gpu: GpuContext): number {
  return Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX);
}

/**
 * Shape of the density kernel: fused (rho of SAMPLES_PER_GROUP samples in workgroup memory; complex
 * f32, so n <= 6 with 32 KiB) or global (one workgroup per sample, rho in a storage buffer).
 */
export function densityShape(gpu: GpuContext, qubits: number, path: NoiseGpuOptions['path'] = 'auto'): { fused: boolean; groupSize: number; samplesPerGroup: number } {
  const d2 = 4 ** qubits;
  const bytes = d2 * 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  const fits = bytes <= storage;
  if (path === 'fused' && !fits) {
    throw new QmoeInputError('circuit.qubits', qubits, `a ${qubits}-qubit density matrix (${bytes} bytes) does not fit this adapter's ${storage} bytes of workgroup memory (fused path)`);
  }
  const max = threads(gpu);
  if (fits && path !== 'global') {
    const quads = d2 / 4;
    const groupSize = Math.min(max, Math.max(64, quads));
    const samplesPerGroup = Math.max(1, Math.min(Math.floor(groupSize / quads), Math.floor(storage / bytes)));
    return { fused: true, groupSize, samplesPerGroup };
  }
  return { fused: false, groupSize: max, samplesPerGroup: 1 };
}

/** Slots (trajectories in flight) per workgroup of the trajectories kernel; throws when one state does not fit. */
export function trajectoryShape(gpu: GpuContext, qubits: number, real: boolean, trajectories = Infinity): { groupSize: number; slots: number } {
  const dim = 2 ** qubits;
  const amp = real ? 4 : 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  if (dim * amp > storage) {
    const maxQ = Math.floor(Math.log2(storage / amp));
    throw new QmoeInputError('circuit.qubits', qubits, `trajectories keep one ${real ? 'real' : 'complex'} state in workgroup memory (${storage} bytes on this adapter): at most ${maxQ} qubits`);
  }
  const max = threads(gpu);
  const pairs = Math.max(1, dim / 2);
  // No more slots than trajectories (rounded up to a power of two, to keep few pipeline variants).
  const wanted = 2 ** Math.ceil(Math.log2(Math.max(1, Math.min(trajectories, 2 ** 20))));
  const slots = Math.max(1, Math.min(Math.floor(max / pairs), Math.floor(storage / (dim * amp)), wanted));
  const groupSize = Math.min(max, Math.max(32, slots * pairs));
  return { groupSize, slots };
}

interface Prepared {
  compiled: CompiledNoise;
  buffers: GPUBuffer[];
  featuresBuf: GPUBuffer;
  trigBuf: GPUBuffer;
  outBuf: GPUBuffer;
  anglesMeta: GPUBuffer;
}

/** Buffers every noise kernel shares: ops, matrices, features, trig, outputs. */
function prepare(gpu: GpuContext, schedule: NoiseSchedule, compiled: CompiledNoise, input: BatchInput, chunk: number): Prepared & { opsBuf: GPUBuffer; matsBuf: GPUBuffer } {
  const { device } = gpu;
  const buffers: GPUBuffer[] = [];
  const make = (bytes: number, label: string) => {
    const b = storageBuffer(device, bytes, label);
    buffers.push(b);
    return b;
  };
  const opsBuf = make(compiled.ops.byteLength, 'noise ops');
  device.queue.writeBuffer(opsBuf, 0, compiled.ops);
  const mats = noiseMatrixTable(schedule, compiled, input.params);
  const matsBuf = make(mats.byteLength, 'noise matrices');
  device.queue.writeBuffer(matsBuf, 0, mats);
  const F = compiled.features;
  const featuresBuf = make(chunk * F * 4, 'noise features');
  const trigBuf = make(chunk * F * 8, 'noise trig');
  const outBuf = make(chunk * 2 ** compiled.qubits * 4, 'noise probabilities');
  const anglesMeta = uniformBuffer(device, 16, 'noise angles meta');
  buffers.push(anglesMeta);
  return { compiled, buffers, featuresBuf, trigBuf, outBuf, anglesMeta, opsBuf, matsBuf };
}

/** Runs the chunks: for each, uploads features, encodes angles + `encode`, reads the probabilities. */
async function runChunks(
  gpu: GpuContext,
  p: Prepared,
  input: BatchInput,
  chunk: number,
  encode: (pass: GPUComputePassEncoder, start: number, rows: number) => void,
): Promise<Float32Array> {
  const { device } = gpu;
  const F = p.compiled.features;
  const dim = 2 ** p.compiled.qubits;
  const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
  const angles = F > 0 ? await getPipeline(gpu, 'angles') : null;
  const anglesBg = angles
    ? device.createBindGroup({
        layout: angles.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: p.featuresBuf } },
          { binding: 1, resource: { buffer: p.trigBuf } },
          { binding: 2, resource: { buffer: p.anglesMeta } },
        ],
      })
    : null;
  const features = Float32Array.from(input.features ?? []);
  const result = new Float32Array(input.rows * dim);
  for (let start = 0; start < input.rows; start += chunk) {
    const rows = Math.min(chunk, input.rows - start);
    const encoder = device.createCommandEncoder();
    if (angles && anglesBg) {
      device.queue.writeBuffer(p.featuresBuf, 0, features, start * F, rows * F);
      const [x, y] = grid(Math.ceil((rows * F) / 256), maxDim);
      writeU32(device, p.anglesMeta, [rows * F, x]);
      const pass = encoder.beginComputePass({ label: 'noise angles' });
      pass.setPipeline(angles);
      pass.setBindGroup(0, anglesBg);
      pass.dispatchWorkgroups(x, y);
      pass.end();
    }
    const pass = encoder.beginComputePass({ label: 'noise' });
    encode(pass, start, rows);
    pass.end();
    device.queue.submit([encoder.finish()]);
    result.set(await readFloats(device, p.outBuf, rows * dim * 4), start * dim);
  }
  if (gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${gpu.lostReason})`);
  return result;
}

function checkGpu(gpu: GpuContext): void {
  if (gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${gpu.lostReason})`);
}

/**
 * Exact noisy probabilities on the GPU (f32 density matrices; see shaders/density.wgsl), rows x 2^n.
 * Serves n <= DENSITY_GPU_MAX_QUBITS and what the adapter's storage binding holds.
 */
export async function densityProbabilitiesGpu(gpu: GpuContext, schedule: NoiseSchedule, input: BatchInput, options: NoiseGpuOptions = {}): Promise<Float32Array> {
  const { circuit } = schedule;
  validateInput(circuit, input);
  checkGpu(gpu);
  const n = circuit.qubits;
  checkDensityQubits(n, DENSITY_GPU_MAX_QUBITS, 'WebGPU');
  const shape = densityShape(gpu, n, options.path);
  const limit = maxBindingBytes(gpu);
  const rhoBytes = 4 ** n * 8;
  if (!shape.fused && rhoBytes > limit) {
    throw new QmoeInputError('circuit.qubits', n, `one ${n}-qubit density matrix needs ${rhoBytes} bytes, over this adapter's storage binding limit of ${limit} bytes`);
  }
  const maxChunk = options.maxChunkBytes ?? 256 * 2 ** 20;
  const dim = 2 ** n;
  const F = circuit.features;
  const rowBytes = dim * 4 + F * 12 + (shape.fused ? 0 : rhoBytes);
  let chunk = Math.max(1, Math.floor(maxChunk / rowBytes));
  chunk = Math.min(chunk, Math.floor(limit / (dim * 4)), F > 0 ? Math.floor(limit / (F * 8)) : chunk, gpu.limits.maxComputeWorkgroupsPerDimension ** 2 * shape.samplesPerGroup, input.rows);
  if (!shape.fused) chunk = Math.max(1, Math.min(chunk, Math.floor(limit / rhoBytes)));
  const compiled = compileNoise(schedule, 'rate', false);
  const p = prepare(gpu, schedule, compiled, input, chunk);
  try {
    const { device } = gpu;
    const pipeline = await getPipeline(gpu, 'density', { FUSED: shape.fused }, { QUBITS: n, GROUP_SIZE: shape.groupSize, SAMPLES_PER_GROUP: shape.samplesPerGroup });
    const meta = uniformBuffer(device, 32, 'density meta');
    p.buffers.push(meta);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: p.opsBuf } },
      { binding: 1, resource: { buffer: p.matsBuf } },
      { binding: 2, resource: { buffer: p.trigBuf } },
      { binding: 3, resource: { buffer: p.outBuf } },
      { binding: 4, resource: { buffer: meta } },
    ];
    if (!shape.fused) {
      const rho = storageBuffer(device, chunk * rhoBytes, 'density matrices');
      p.buffers.push(rho);
      entries.push({ binding: 5, resource: { buffer: rho } });
    }
    const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const numOps = compiled.ops.length / 4;
    const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
    return await runChunks(gpu, p, input, chunk, (pass, _start, rows) => {
      const [x, y] = grid(Math.ceil(rows / shape.samplesPerGroup), maxDim);
      writeU32(device, meta, [rows, F, numOps, x, f32Bits(compiled.readout)]);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(x, y);
    });
  } finally {
    for (const b of p.buffers) b.destroy();
  }
}

/**
 * Noisy probabilities by Monte-Carlo trajectories on the GPU (see shaders/trajectories.wgsl),
 * rows x 2^n: the same Pauli draws as trajectoryProbabilitiesCpu for the same counters.
 */
export async function trajectoryProbabilitiesGpu(
  gpu: GpuContext,
  schedule: NoiseSchedule,
  input: BatchInput,
  trajectories: TrajectoryOptions,
  options: NoiseGpuOptions = {},
): Promise<Float32Array> {
  const { circuit } = schedule;
  validateInput(circuit, input);
  const t = validateTrajectoryOptions(trajectories);
  checkGpu(gpu);
  const n = circuit.qubits;
  const compiled = compileNoise(schedule, 'threshold', options.real !== 'never');
  const shape = trajectoryShape(gpu, n, compiled.real, t.trajectories);
  const dim = 2 ** n;
  const F = circuit.features;
  const limit = maxBindingBytes(gpu);
  const maxChunk = options.maxChunkBytes ?? 256 * 2 ** 20;
  let chunk = Math.max(1, Math.floor(maxChunk / (dim * 4 + F * 12)));
  chunk = Math.min(chunk, Math.floor(limit / (dim * 4)), F > 0 ? Math.floor(limit / (F * 8)) : chunk, gpu.limits.maxComputeWorkgroupsPerDimension ** 2, input.rows);
  if (dim * 4 > limit) throw new QmoeInputError('circuit.qubits', n, `one row of ${dim} probabilities is over this adapter's storage binding limit of ${limit} bytes`);
  const p = prepare(gpu, schedule, compiled, input, chunk);
  try {
    const { device } = gpu;
    const pipeline = await getPipeline(gpu, 'trajectories', { REAL: compiled.real }, { QUBITS: n, GROUP_SIZE: shape.groupSize, SLOTS_PER_GROUP: shape.slots });
    const meta = uniformBuffer(device, 48, 'trajectories meta');
    p.buffers.push(meta);
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: p.opsBuf } },
        { binding: 1, resource: { buffer: p.matsBuf } },
        { binding: 2, resource: { buffer: p.trigBuf } },
        { binding: 3, resource: { buffer: p.outBuf } },
        { binding: 4, resource: { buffer: meta } },
      ],
    });
    const numOps = compiled.ops.length / 4;
    const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
    return await runChunks(gpu, p, input, chunk, (pass, start, rows) => {
      const [x, y] = grid(rows, maxDim);
      writeU32(device, meta, [rows, F, numOps, x, t.trajectories, t.seed, t.step, (t.firstSample + start) >>> 0, f32Bits(compiled.readout)]);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(x, y);
    });
  } finally {
    for (const b of p.buffers) b.destroy();
  }
}
