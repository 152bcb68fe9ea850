import { QmoeGpuError, QmoeInputError, checkInt } from '../errors.js';
import { grid, readFloats, storageBuffer, uniformBuffer, writeU32 } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { HEAD_MODE, ROTATION_AXIS, ROUTER_CODE } from '../gpu/op-codes.js';
import { getPipeline } from '../gpu/pipelines.js';
import { paramLayout, routerCircuit, routerOutput, routerWidths } from '../moe/models.js';
import type { ModelSpec, ParamLayout } from '../moe/spec.js';
import type { Circuit } from '../circuit/types.js';
import { compileCircuit, derivativeOffset, type CompiledCircuit } from '../sim/compile.js';
import { outputCount } from '../sim/experts.js';
import { GradientRunner } from '../sim/gradient-runner.js';
import { ColumnReducer } from '../sim/reduce.js';
import { CircuitRunner } from '../sim/runner.js';
import { WebGpuBackend } from '../sim/webgpu.js';
import { adamSettings, type AdamOptions, type AdamSettings } from './adam.js';
import { checkTrainingData } from './cpu-engine.js';
import type { EngineStats, Split, TrainingData, TrainingEngine } from './engine.js';

export interface GpuEngineOptions extends AdamOptions {
  /** Most rows one dispatch handles: the largest batch, and the chunk of evaluate() and predict(). Default 4096. */
  capacity?: number;
}

/** Limits of shaders/moe_head.wgsl's per-invocation arrays. */
const MAX_UNITS = 512;
const MAX_SMALL = 64;
const MAX_HIDDEN_LAYERS = 4;

interface HostSplit {
  x: Float32Array;
  y: Uint32Array;
  rows: number;
}

/** Entries of shaders/param_matrices.wgsl for a matrix table: (index, axis, param, derivative). */
function matrixEntries(compiled: CompiledCircuit, withDerivatives: boolean): Uint32Array {
  const entries: number[] = [];
  const offset = derivativeOffset(compiled);
  compiled.matrixOps.forEach((op, i) => {
    if (op.angle?.kind !== 'param') return;
    entries.push(i, ROTATION_AXIS[op.gate]!, op.angle.index, 0);
    if (withDerivatives) entries.push(offset + i, ROTATION_AXIS[op.gate]!, op.angle.index, 1);
  });
  return Uint32Array.from(entries);
}

/**
 * The WebGPU training engine: data batches go up, parameters, Adam moments, gradients and the
 * running loss stay on the GPU; per epoch only three scalars come back. One step is one command
 * buffer: circuit matrices from the parameters (quantum), router circuit forward, the classical
 * head (experts, mixture, cross-entropy and its gradients, shaders/moe_head.wgsl), the adjoint
 * gradient of the circuit, the batch reductions and Adam (shaders/adam.wgsl).
 */
class GpuEngine implements TrainingEngine {
  readonly kind = 'webgpu' as const;
  private readonly layout: ParamLayout;
  private readonly circuit: Circuit | null;
  private readonly adam: AdamSettings;
  private readonly headWidth: number;
  private readonly routerInputs: number;
  private readonly buffers: GPUBuffer[] = [];
  private data = new Map<Split, HostSplit>();
  private t = 0;
  private disposed = false;
  // Set up in init().
  private params!: GPUBuffer;
  private best!: GPUBuffer;
  private hasBest = false;
  private moments!: GPUBuffer;
  private trainStats!: GPUBuffer;
  private evalStats!: GPUBuffer;
  private x!: GPUBuffer;
  private labels!: GPUBuffer;
  private headGrads!: GPUBuffer;
  private headSums!: GPUBuffer;
  private upstream!: GPUBuffer;
  private headMeta!: GPUBuffer;
  private adamMeta!: GPUBuffer;
  private noCircuit!: GPUBuffer;
  private heads!: { pipeline: GPUComputePipeline; group: GPUBindGroup }[];
  private adamPipeline!: GPUComputePipeline;
  private adamGroups!: { train: GPUBindGroup; eval: GPUBindGroup };
  private reducer!: ColumnReducer;
  private forward: CircuitRunner | null = null;
  private gradient: GradientRunner | null = null;
  private matrixSteps: ((pass: GPUComputePassEncoder) => void)[] = [];

  constructor(
    private readonly gpu: GpuContext,
    readonly spec: ModelSpec,
    private readonly capacity: number,
    options: AdamOptions,
  ) {
    this.adam = adamSettings(options);
    this.layout = paramLayout(spec);
    this.circuit = spec.router === 'quantum' ? routerCircuit(spec) : null;
    this.routerInputs = this.circuit ? outputCount(spec.qubits, routerOutput(spec)) : 0;
    this.headWidth = this.layout.total - this.layout.circuit + 2;
    const widths = routerWidths(spec);
    const units = spec.router === 'mlp' ? widths.reduce((a, b) => a + b, 0) : 0;
    if (units > MAX_UNITS) throw new QmoeInputError('--hidden', spec.hidden.join(','), `features + hidden units + experts must be at most ${MAX_UNITS} on the WebGPU engine (got ${units})`);
    if (spec.router === 'mlp' && spec.hidden.length > MAX_HIDDEN_LAYERS) throw new QmoeInputError('--hidden', spec.hidden.join(','), `at most ${MAX_HIDDEN_LAYERS} hidden layers on the WebGPU engine`);
    for (const [name, value] of [['--experts', spec.experts], ['classes', spec.classes], ['--qubits', this.routerInputs]] as const) {
      if (value > MAX_SMALL) throw new QmoeInputError(name, value, `must be at most ${MAX_SMALL} on the WebGPU engine`);
    }
  }

  async init(): Promise<void> {
    const { gpu, spec, capacity, layout } = this;
    const { device } = gpu;
    const make = (bytes: number, label: string) => {
      const b = storageBuffer(device, bytes, label);
      this.buffers.push(b);
      return b;
    };
    this.params = make(layout.total * 4, 'params');
    this.best = make(layout.total * 4, 'best params');
    this.moments = make(layout.total * 8, 'adam moments');
    this.trainStats = make(16, 'train stats');
    this.evalStats = make(16, 'eval stats');
    this.x = make(capacity * spec.features * 4, 'batch x');
    this.labels = make(capacity * 4, 'batch labels');
    this.headGrads = make(capacity * Math.max(this.headWidth, spec.classes) * 4, 'per-sample head gradients');
    this.headSums = make(this.headWidth * 4, 'head gradient sums');
    this.upstream = make(capacity * Math.max(1, this.routerInputs) * 4, 'dL/d circuit output');
    this.noCircuit = make(16, 'no circuit gradient');
    this.headMeta = uniformBuffer(device, 16, 'head meta');
    this.adamMeta = uniformBuffer(device, 48, 'adam meta');
    this.buffers.push(this.headMeta, this.adamMeta);
    this.reducer = await ColumnReducer.create(gpu, capacity, this.headWidth);

    let routerOut: GPUBuffer = this.noCircuit;
    if (this.circuit) {
      const output = routerOutput(spec);
      const backend = new WebGpuBackend(gpu);
      this.forward = await backend.prepare(this.circuit, capacity, output);
      this.gradient = await GradientRunner.create(gpu, this.circuit, capacity, output);
      this.gradient.setUpstream(this.upstream);
      routerOut = this.forward.output;
      await this.buildMatrixSteps();
    }

    const hidden = spec.router === 'mlp' ? spec.hidden : [];
    const constants = (mode: number): Record<string, number> => ({
      FEATURES: spec.features,
      CLASSES: spec.classes,
      EXPERTS: spec.experts,
      ROUTER: spec.router === 'quantum' ? ROUTER_CODE[spec.preset] : ROUTER_CODE[spec.router],
      ROUTER_INPUTS: this.routerInputs,
      CIRCUIT_PARAMS: layout.circuit,
      EXPERTS_OFFSET: layout.router,
      MODE: mode,
      HIDDEN_LAYERS: hidden.length,
      H0: hidden[0] ?? 0,
      H1: hidden[1] ?? 0,
      H2: hidden[2] ?? 0,
      H3: hidden[3] ?? 0,
    });
    this.heads = [];
    for (const mode of [0, 1, 2]) {
      const pipeline = await getPipeline(gpu, 'moe_head', {}, constants(mode));
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.x } },
          { binding: 1, resource: { buffer: this.labels } },
          { binding: 2, resource: { buffer: this.params } },
          { binding: 3, resource: { buffer: routerOut } },
          { binding: 4, resource: { buffer: this.headGrads } },
          { binding: 5, resource: { buffer: this.upstream } },
          { binding: 6, resource: { buffer: this.headMeta } },
        ],
      });
      this.heads.push({ pipeline, group });
    }
    this.adamPipeline = await getPipeline(gpu, 'adam');
    const adamGroup = (stats: GPUBuffer) =>
      device.createBindGroup({
        layout: this.adamPipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.params } },
          { binding: 1, resource: { buffer: this.moments } },
          { binding: 2, resource: { buffer: this.gradient?.paramGrad ?? this.noCircuit } },
          { binding: 3, resource: { buffer: this.headSums } },
          { binding: 4, resource: { buffer: stats } },
          { binding: 5, resource: { buffer: this.adamMeta } },
        ],
      });
    this.adamGroups = { train: adamGroup(this.trainStats), eval: adamGroup(this.evalStats) };
  }

  /** Kernels that rebuild the trainable rotations' matrices of both circuit runners from `params`. */
  private async buildMatrixSteps(): Promise<void> {
    const { gpu, layout } = this;
    const { device } = gpu;
    const ptrig = storageBuffer(device, layout.circuit * 8, 'param trig');
    const anglesMeta = uniformBuffer(device, 16, 'param angles meta');
    this.buffers.push(ptrig, anglesMeta);
    writeU32(device, anglesMeta, [layout.circuit, Math.ceil(layout.circuit / 256)]);
    const angles = await getPipeline(gpu, 'angles');
    const anglesGroup = device.createBindGroup({
      layout: angles.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: { buffer: ptrig } },
        { binding: 2, resource: { buffer: anglesMeta } },
      ],
    });
    this.matrixSteps.push((pass) => {
      pass.setPipeline(angles);
      pass.setBindGroup(0, anglesGroup);
      pass.dispatchWorkgroups(Math.ceil(layout.circuit / 256));
    });
    const targets: [CompiledCircuit, GPUBuffer, boolean][] = [
      [this.forward!.compiled, this.forward!.matrices, false],
      [this.gradient!.compiled, this.gradient!.matrices, true],
    ];
    for (const [compiled, mats, derivatives] of targets) {
      const entries = matrixEntries(compiled, derivatives);
      if (entries.length === 0) continue;
      const count = entries.length / 4;
      const entriesBuf = storageBuffer(device, entries.byteLength, 'matrix entries');
      const meta = uniformBuffer(device, 16, 'param matrices meta');
      this.buffers.push(entriesBuf, meta);
      device.queue.writeBuffer(entriesBuf, 0, entries);
      writeU32(device, meta, [count]);
      const pipeline = await getPipeline(gpu, 'param_matrices', { REAL: compiled.real });
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: ptrig } },
          { binding: 1, resource: { buffer: entriesBuf } },
          { binding: 2, resource: { buffer: mats } },
          { binding: 3, resource: { buffer: meta } },
        ],
      });
      this.matrixSteps.push((pass) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(Math.ceil(count / 64));
      });
    }
  }

  private alive(): void {
    if (this.disposed) throw new Error('the training engine was disposed');
    if (this.gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${this.gpu.lostReason})`);
  }

  async load(split: Split, data: TrainingData): Promise<void> {
    this.alive();
    checkTrainingData(this.spec, split, data);
    this.data.set(split, { x: Float32Array.from(data.x), y: Uint32Array.from(data.y), rows: data.rows });
  }

  async setParams(params: Float64Array): Promise<void> {
    this.alive();
    if (!params || params.length !== this.layout.total) throw new QmoeInputError('params.length', params?.length, `must equal ${this.layout.total}`);
    for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i])) throw new QmoeInputError(`params[${i}]`, params[i], 'must be finite');
    const { device } = this.gpu;
    device.queue.writeBuffer(this.params, 0, Float32Array.from(params));
    device.queue.writeBuffer(this.moments, 0, new Float32Array(this.layout.total * 2));
    // Fixed gates' matrices come from the host once; trainable ones are rebuilt on the GPU every step.
    const angles = params.subarray(0, this.layout.circuit);
    this.forward?.setParams(angles);
    this.gradient?.setParams(angles);
    this.t = 0;
  }

  async keepBest(): Promise<void> {
    this.alive();
    const encoder = this.gpu.device.createCommandEncoder({ label: 'keep best parameters' });
    encoder.copyBufferToBuffer(this.params, 0, this.best, 0, this.layout.total * 4);
    this.gpu.device.queue.submit([encoder.finish()]);
    this.hasBest = true;
  }

  async restoreBest(): Promise<void> {
    this.alive();
    if (!this.hasBest) throw new Error('restoreBest: keepBest was never called');
    const encoder = this.gpu.device.createCommandEncoder({ label: 'restore best parameters' });
    encoder.copyBufferToBuffer(this.best, 0, this.params, 0, this.layout.total * 4);
    this.gpu.device.queue.submit([encoder.finish()]);
    this.gpu.device.queue.writeBuffer(this.moments, 0, new Float32Array(this.layout.total * 2));
    this.t = 0;
  }

  async getParams(): Promise<Float64Array> {
    this.alive();
    return Float64Array.from(await readFloats(this.gpu.device, this.params, this.layout.total * 4));
  }

  /** Uploads rows of a split (by index, or a contiguous range) into the batch buffers. */
  private upload(split: HostSplit, indices: Int32Array | null, start: number, rows: number): void {
    const F = this.spec.features;
    const x = new Float32Array(rows * F);
    const y = new Uint32Array(rows);
    for (let r = 0; r < rows; r++) {
      const src = indices ? indices[start + r] : start + r;
      if (!(src >= 0 && src < split.rows)) throw new QmoeInputError('rows', src, `row indices must be from 0 to ${split.rows - 1}`);
      x.set(split.x.subarray(src * F, (src + 1) * F), r * F);
      y[r] = split.y[src];
    }
    const { device } = this.gpu;
    device.queue.writeBuffer(this.x, 0, x);
    device.queue.writeBuffer(this.labels, 0, y);
    this.forward?.setFeatures(x, rows);
    this.gradient?.setFeatures(x, rows);
  }

  /** Encodes matrices, circuit forward and the head in `mode` for the uploaded rows. */
  private encodeForward(encoder: GPUCommandEncoder, rows: number, mode: 0 | 1 | 2): void {
    const { device } = this.gpu;
    if (this.matrixSteps.length > 0) {
      const pass = encoder.beginComputePass({ label: 'circuit matrices' });
      for (const step of this.matrixSteps) step(pass);
      pass.end();
    }
    this.forward?.encode(encoder);
    const [gx, gy] = grid(Math.ceil(rows / 64), this.gpu.limits.maxComputeWorkgroupsPerDimension);
    writeU32(device, this.headMeta, [rows, this.headWidth, gx]);
    const pass = encoder.beginComputePass({ label: 'moe head' });
    pass.setPipeline(this.heads[mode].pipeline);
    pass.setBindGroup(0, this.heads[mode].group);
    pass.dispatchWorkgroups(gx, gy);
    if (mode !== 2) this.reducer.encode(pass, this.headGrads, rows, this.headSums);
    pass.end();
  }

  private encodeAdam(encoder: GPUCommandEncoder, rows: number, update: boolean): void {
    const { device } = this.gpu;
    const { lr, beta1, beta2, eps } = this.adam;
    const meta = new ArrayBuffer(48);
    new Uint32Array(meta, 0, 4).set([this.layout.total, this.layout.circuit, update ? 1 : 0, rows]);
    new Float32Array(meta, 16, 6).set([lr, beta1, beta2, eps, 1 - beta1 ** this.t, 1 - beta2 ** this.t]);
    device.queue.writeBuffer(this.adamMeta, 0, meta);
    const pass = encoder.beginComputePass({ label: 'adam' });
    pass.setPipeline(this.adamPipeline);
    pass.setBindGroup(0, update ? this.adamGroups.train : this.adamGroups.eval);
    pass.dispatchWorkgroups(Math.max(1, Math.ceil(this.layout.total / 64)));
    pass.end();
  }

  step(rows: Int32Array): void {
    this.alive();
    const split = this.data.get('train');
    if (!split) throw new Error('step: load the train split first');
    checkInt('batch rows', rows.length, 1, this.capacity);
    this.upload(split, rows, 0, rows.length);
    this.t += 1;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'training step' });
    this.encodeForward(encoder, rows.length, 0);
    this.gradient?.encode(encoder);
    this.encodeAdam(encoder, rows.length, true);
    this.gpu.device.queue.submit([encoder.finish()]);
  }

  private async takeStats(stats: GPUBuffer): Promise<EngineStats> {
    const [loss, correct, seen] = await readFloats(this.gpu.device, stats, 12);
    this.gpu.device.queue.writeBuffer(stats, 0, new Float32Array(4));
    if (this.gpu.lostReason) throw new QmoeGpuError(`the GPU device was lost (${this.gpu.lostReason})`);
    return seen > 0 ? { loss: loss / seen, accuracy: correct / seen } : { loss: NaN, accuracy: NaN };
  }

  epochStats(): Promise<EngineStats> {
    this.alive();
    return this.takeStats(this.trainStats);
  }

  async evaluate(splitName: Split): Promise<EngineStats> {
    this.alive();
    const split = this.data.get(splitName);
    if (!split) throw new QmoeInputError('split', splitName, 'load it before evaluating');
    for (let start = 0; start < split.rows; start += this.capacity) {
      const rows = Math.min(this.capacity, split.rows - start);
      this.upload(split, null, start, rows);
      const encoder = this.gpu.device.createCommandEncoder({ label: 'evaluate' });
      this.encodeForward(encoder, rows, 1);
      this.encodeAdam(encoder, rows, false);
      this.gpu.device.queue.submit([encoder.finish()]);
    }
    return this.takeStats(this.evalStats);
  }

  async predict(x: Float64Array, rows: number): Promise<Float64Array> {
    this.alive();
    checkInt('rows', rows, 1, 1 << 26);
    const F = this.spec.features;
    const C = this.spec.classes;
    if (!x || x.length !== rows * F) throw new QmoeInputError('x.length', x?.length, `must equal rows (${rows}) x features (${F})`);
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new QmoeInputError(`x[${i}]`, x[i], 'must be finite');
    const split: HostSplit = { x: Float32Array.from(x), y: new Uint32Array(rows), rows };
    const out = new Float64Array(rows * C);
    for (let start = 0; start < rows; start += this.capacity) {
      const n = Math.min(this.capacity, rows - start);
      this.upload(split, null, start, n);
      const encoder = this.gpu.device.createCommandEncoder({ label: 'predict' });
      this.encodeForward(encoder, n, 2);
      this.gpu.device.queue.submit([encoder.finish()]);
      out.set(await readFloats(this.gpu.device, this.headGrads, n * C * 4), start * C);
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
    this.reducer?.destroy();
    this.forward?.destroy();
    this.gradient?.destroy();
  }
}

/** A WebGPU training engine for `spec` on `gpu` (see GpuEngine). */
export async function createWebGpuEngine(gpu: GpuContext, spec: ModelSpec, options: GpuEngineOptions = {}): Promise<TrainingEngine> {
  const capacity = checkInt('capacity', options.capacity ?? 4096, 1, 1 << 20);
  const engine = new GpuEngine(gpu, spec, capacity, options);
  try {
    await engine.init();
  } catch (e) {
    engine.dispose();
    throw e;
  }
  return engine;
}
