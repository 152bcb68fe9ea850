import { QmoeGpuError, QmoeInputError } from '../errors.js';
import { grid, readFloats, storageBuffer, uniformBuffer, writeU32 } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { NO_INDEX, OUTPUT_KIND } from '../gpu/op-codes.js';
import { getPipeline } from '../gpu/pipelines.js';
import { derivativeMatrix } from '../sim/adjoint-cpu.js';
import type { BatchInput, CircuitOutput } from '../sim/backend.js';
import { ColumnReducer } from '../sim/reduce.js';
import { maxBindingBytes } from '../sim/runner.js';
import { type CompiledNoise, compileNoise, f32Bits, noiseMatrixTable } from './compile.js';
import type { NoiseSchedule } from './model.js';
import { checkNoisyGradient } from './gradient-cpu.js';
import type { TrajectoryOptions } from './trajectories-cpu.js';


export interface NoisyGradientGpuOptions extends TrajectoryOptions {
  /** Largest GPU memory one chunk of the batch may use for its per-(row, trajectory) gradients (default 256 MiB). */
  maxChunkBytes?: number;
  /** 'auto' runs real-only kernels when every gate is real; 'never' keeps complex ones. */
  real?: 'auto' | 'never';
}

/** Workgroup shape of shaders/noisy_adjoint.wgsl: one (sample, trajectory) pair per workgroup. */
export function noisyAdjointShape(gpu: GpuContext, qubits: number, real: boolean): { groupSize: number; seg: number } {
  const dim = 2 ** qubits;
  const amp = real ? 4 : 8;
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  const maxThreads = Math.min(256, gpu.limits.maxComputeInvocationsPerWorkgroup, gpu.limits.maxComputeWorkgroupSizeX);
  const pairs = Math.max(1, dim / 2);
  const groupSize = Math.min(maxThreads, Math.max(32, pairs));
  // psi and lambda, the dL/dp weights, the reduction scratch.
  const bytes = (n: number, g: number) => 2 * 2 ** n * amp + 2 ** n * 4 + g * 4;
  if (bytes(qubits, groupSize) > storage) {
    let max = 0;
    while (max < 30 && bytes(max + 1, maxThreads) <= storage) max++;
    throw new QmoeInputError(
      'circuit.qubits',
      qubits,
      `the noise-aware adjoint kernel holds two ${real ? 'real' : 'complex'} states and the weights in workgroup memory (${storage} bytes on this adapter): at most ${max} qubits`,
    );
  }
  return { groupSize, seg: Math.min(pairs, groupSize) };
}

/**
 * The gate matrices followed by the derivatives dU/dtheta of the trainable ones (zeros for the
 * others), float64 rounded to f32, in noiseMatrixTable's layout; and per matrix its parameter.
 */
function tables(schedule: NoiseSchedule, compiled: CompiledNoise, params: ArrayLike<number> | undefined): { mats: Float32Array; paramOf: Uint32Array; dmatOffset: number } {
  const width = compiled.real ? 4 : 8;
  const count = Math.max(1, compiled.matrixOps.length);
  const mats = new Float32Array(2 * count * width);
  mats.set(noiseMatrixTable(schedule, compiled, params), 0);
  const paramOf = new Uint32Array(count).fill(NO_INDEX);
  compiled.matrixOps.forEach((g, i) => {
    const op = schedule.circuit.ops[g];
    if (op.angle?.kind !== 'param') return;
    paramOf[i] = op.angle.index;
    const d = derivativeMatrix(op.gate, params?.[op.angle.index] ?? 0);
    if (compiled.real) mats.set([d[0], d[2], d[4], d[6]], (count + i) * 4);
    else mats.set(d, (count + i) * 8);
  });
  return { mats, paramOf, dmatOffset: count };
}

/**
 * The noise-aware gradient by trajectories on the GPU (shaders/noisy_adjoint.wgsl): for
 * L = sum_{r,o} dLdOut[r, o] out[r, o] with out the trajectory-mean noisy outputs (readout error
 * included), the adjoint gradient of each (row, trajectory) pair with its drawn Paulis as fixed
 * gates, summed over rows on the GPU and averaged over the T trajectories. The same draws, and
 * (within f32) the same result, as noisyGradientCpu for the same counters. Parameter gradients
 * only (circuit.params long).
 */
export async function noisyGradientGpu(
  gpu: GpuContext,
  schedule: NoiseSchedule,
  input: BatchInput,
  output: CircuitOutput,
  dLdOut: ArrayLike<number>,
  options: NoisyGradientGpuOptions,
): Promise<{ params: Float64Array }> {
  const { circuit } = schedule;
  const { o, outputs } = checkNoisyGradient(schedule, input, output, dLdOut, options);
  if (options.real !== undefined && options.real !== 'auto' && options.real !== 'never') {
    throw new QmoeInputError('options.real', options.real, "must be 'auto' or 'never'");
  }
  if (gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${gpu.lostReason})`);
  const P = circuit.params;
  const total = new Float64Array(P);
  if (P === 0) return { params: total };
  const n = circuit.qubits;
  const F = circuit.features;
  const T = o.trajectories;
  const compiled = compileNoise(schedule, 'threshold', options.real !== 'never');
  const shape = noisyAdjointShape(gpu, n, compiled.real);
  const limit = maxBindingBytes(gpu);
  const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (T * P * 4 > limit) {
    throw new QmoeInputError('trajectories', T, `trajectories x params x 4 = ${T * P * 4} bytes of per-trajectory gradients is over this adapter's storage binding limit of ${limit} bytes`);
  }
  if (T > maxDim * maxDim) throw new QmoeInputError('trajectories', T, `at most ${maxDim * maxDim} trajectories per row on this adapter`);
  const maxChunk = options.maxChunkBytes ?? 256 * 2 ** 20;
  let chunk = Math.max(1, Math.floor(maxChunk / (T * P * 4 + F * 12 + outputs * 4)));
  chunk = Math.min(
    chunk,
    Math.floor(limit / (T * P * 4)),
    F > 0 ? Math.floor(limit / (F * 8)) : chunk,
    Math.floor(limit / (outputs * 4)),
    Math.floor((maxDim * maxDim) / T),
    input.rows,
  );
  chunk = Math.max(1, chunk);

  const { device } = gpu;
  const buffers: GPUBuffer[] = [];
  const make = (bytes: number, label: string) => {
    const b = storageBuffer(device, bytes, label);
    buffers.push(b);
    return b;
  };
  let reducer: ColumnReducer | null = null;
  try {
    const { mats, paramOf, dmatOffset } = tables(schedule, compiled, input.params);
    const opsBuf = make(compiled.ops.byteLength, 'noisy adjoint ops');
    device.queue.writeBuffer(opsBuf, 0, compiled.ops);
    const matsBuf = make(mats.byteLength, 'noisy adjoint matrices and derivatives');
    device.queue.writeBuffer(matsBuf, 0, mats);
    const paramOfBuf = make(paramOf.byteLength, 'noisy adjoint param of matrix');
    device.queue.writeBuffer(paramOfBuf, 0, paramOf);
    const featuresBuf = make(chunk * F * 4, 'noisy adjoint features');
    const trigBuf = make(chunk * F * 8, 'noisy adjoint trig');
    const upstreamBuf = make(chunk * outputs * 4, 'noisy adjoint dL/dout');
    const gradBuf = make(chunk * T * P * 4, 'per-trajectory dL/dparams');
    const sumBuf = make(P * 4, 'dL/dparams');
    const anglesMeta = uniformBuffer(device, 16, 'noisy adjoint angles meta');
    const meta = uniformBuffer(device, 48, 'noisy adjoint meta');
    buffers.push(anglesMeta, meta);

    const angles = F > 0 ? await getPipeline(gpu, 'angles') : null;
    const anglesBg = angles
      ? device.createBindGroup({
          layout: angles.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: featuresBuf } },
            { binding: 1, resource: { buffer: trigBuf } },
            { binding: 2, resource: { buffer: anglesMeta } },
          ],
        })
      : null;
    const pipeline = await getPipeline(gpu, 'noisy_adjoint', { REAL: compiled.real }, {
      QUBITS: n,
      GROUP_SIZE: shape.groupSize,
      SEG: shape.seg,
      OUTPUT_KIND: OUTPUT_KIND[output.kind],
    });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: opsBuf } },
        { binding: 1, resource: { buffer: matsBuf } },
        { binding: 2, resource: { buffer: trigBuf } },
        { binding: 3, resource: { buffer: upstreamBuf } },
        { binding: 4, resource: { buffer: paramOfBuf } },
        { binding: 5, resource: { buffer: gradBuf } },
        { binding: 6, resource: { buffer: meta } },
      ],
    });
    reducer = await ColumnReducer.create(gpu, chunk * T, P);

    const features = Float32Array.from(input.features ?? []);
    const up = Float32Array.from(dLdOut);
    const numOps = compiled.ops.length / 4;
    for (let start = 0; start < input.rows; start += chunk) {
      const rows = Math.min(chunk, input.rows - start);
      device.queue.writeBuffer(upstreamBuf, 0, up, start * outputs, rows * outputs);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass({ label: 'noise-aware adjoint gradient' });
      if (angles && anglesBg) {
        device.queue.writeBuffer(featuresBuf, 0, features, start * F, rows * F);
        const [x, y] = grid(Math.ceil((rows * F) / 256), maxDim);
        writeU32(device, anglesMeta, [rows * F, x]);
        pass.setPipeline(angles);
        pass.setBindGroup(0, anglesBg);
        pass.dispatchWorkgroups(x, y);
      }
      const [x, y] = grid(rows * T, maxDim);
      writeU32(device, meta, [rows, F, numOps, outputs, x, P, dmatOffset, T, o.seed, o.step, (o.firstSample + start) >>> 0, f32Bits(compiled.readout)]);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(x, y);
      reducer.encode(pass, gradBuf, rows * T, sumBuf);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const sum = await readFloats(device, sumBuf, P * 4);
      for (let i = 0; i < P; i++) total[i] += sum[i];
    }
    if (gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${gpu.lostReason})`);
    for (let i = 0; i < P; i++) total[i] /= T;
    return { params: total };
  } finally {
    reducer?.destroy();
    for (const b of buffers) b.destroy();
  }
}
