import { QmoeInputError, checkFiniteResult, checkFloat32Range, checkInt } from '../errors.js';
import { checkSeed } from '../data/rng.js';
import { AnglesStep } from '../gpu/angles.js';
import { BufferSet } from '../gpu/buffer-set.js';
import { GpuCall, checkDevice } from '../gpu/check.js';
import type { GpuContext } from '../gpu/context.js';
import { type Kernel, type KernelStep, getKernel, kernelStep } from '../gpu/kernel.js';
import { GATE_CODE, HEAD_MODE, ROTATION_AXIS, ROUTER_CODE } from '../gpu/op-codes.js';
import { paramLayout, modelCircuit, readoutOf, routerOutput, routerWidths } from '../moe/models.js';
import { cpuOnlyOption } from '../moe/mixture-spec.js';
import { gateKind } from '../moe/routing.js';
import type { ModelSpec, ParamLayout } from '../moe/spec.js';
import type { Circuit } from '../circuit/types.js';
import { compileCircuit, derivativeOffset, type CompiledCircuit } from '../sim/compile.js';
import { outputCount } from '../sim/experts.js';
import { type AnyGradientRunner, createGradientRunner } from '../sim/adjoint-global.js';
import { ColumnReducer } from '../gpu/reduce.js';
import { CircuitRunner } from '../sim/statevector-gpu.js';
import { WebGpuBackend } from '../sim/backend-gpu.js';
import { adamSettings, type AdamOptions, type AdamSettings } from './adam.js';
import { checkTrainingData } from './cpu-engine.js';
import type { EngineStats, Split, TrainingData, TrainingEngine } from './engine.js';

export interface GpuEngineOptions extends AdamOptions {
  /** Seed of the routing draws of --route-shots (default 0): the CPU engines' draws for the same seed. */
  routeSeed?: number;
  /** Most rows one dispatch handles: the largest batch, and the chunk of evaluate() and predict(). Default 4096. */
  capacity?: number;
  /**
   * Most training steps recorded into one command buffer (default 64): step() queues its batch and
   * the queued steps of one batch size go to the GPU together at the next readback, settle(), any
   * other call, a batch of another size, or when this many are queued. 1: one submission per step.
   */
  stepsPerSubmit?: number;
}

/** Limits of shaders/moe_head.wgsl's per-invocation arrays. */
const MAX_UNITS = 512;
const MAX_SMALL = 64;
const MAX_HIDDEN_LAYERS = 4;
/** Most route shots per row on the WebGPU engine (one invocation draws a row's shots in a loop). */
export const MAX_GPU_ROUTE_SHOTS = 65536;
/** Mulberry32's Weyl step (src/data/rng.ts), for the draw state of a dispatch. */
const RNG_STEP = 0x6d2b79f5;

/** A training step queued by step(): its batch and Adam's bias corrections. */
interface QueuedStep {
  x: Float32Array;
  y: Uint32Array;
  rows: number;
  bias1: number;
  bias2: number;
  /** Route shots: the generator's state before this step's draws. */
  drawState: number;
}

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
 * head (the gate: dense, top-k or route shots; experts, mixture, cross-entropy and its gradients,
 * shaders/moe_head.wgsl; with the balance loss or route shots a per-row pass and its batch sums
 * first), the adjoint
 * gradient of the circuit, the batch reductions and Adam (shaders/adam.wgsl). Steps of one batch
 * size are recorded back to back into one command buffer (stepsPerSubmit): their batches go up in
 * one write and each step copies its own in; each queued step has its own Adam uniform.
 */
class GpuEngine implements TrainingEngine {
  readonly kind = 'webgpu' as const;
  private readonly layout: ParamLayout;
  private readonly circuit: Circuit | null;
  private readonly adam: AdamSettings;
  private readonly headWidth: number;
  private readonly routerInputs: number;
  private readonly buffers: BufferSet;
  private data = new Map<Split, HostSplit>();
  private t = 0;
  private disposed = false;
  /** The GPU work since the last readback: its errors surface at the next one. */
  private call: GpuCall | null = null;
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
  private heads!: KernelStep<'moe_head'>[];
  private adamSteps!: { train: KernelStep<'adam'>; eval: KernelStep<'adam'> };
  private reducer!: ColumnReducer;
  private forward: CircuitRunner | null = null;
  private gradient: AnyGradientRunner | null = null;
  private matrixSteps: ((pass: GPUComputePassEncoder) => void)[] = [];
  private readonly stepsPerSubmit: number;
  private queued: QueuedStep[] = [];
  /** One Adam step (own Meta uniform) per slot of a submission; made as needed. */
  private adamSlots: KernelStep<'adam'>[] = [];
  private adamKernel!: Kernel<'adam'>;
  private adamResources!: Record<string, GPUBuffer>;
  /** The queued steps' batches, one after the other (grown as needed). */
  private staged: { x: GPUBuffer; y: GPUBuffer; rows: number } | null = null;
  /**
   * Batch-level routing (the balance loss, route shots): before a train pass the head's MODE_STATS
   * writes per-row (P, dispatch, loss) into routeRows and routeReducer sums them into batchSums,
   * whose last word is the draw state (see shaders/moe_head.wgsl).
   */
  private readonly batchLevel: boolean;
  private routeRows!: GPUBuffer;
  private batchSums!: GPUBuffer;
  private routeReducer: ColumnReducer | null = null;
  private statsHead: KernelStep<'moe_head'> | null = null;
  /** The queued steps' draw states (one u32 each, grown as needed). */
  private stagedDraws: { buffer: GPUBuffer; steps: number } | null = null;
  /** Route shots: the seed and the generator outputs drawn so far (mod 2^32), as the CPU engine's Rng. */
  private readonly routeSeed: number;
  private drawn = 0;

  constructor(
    private readonly gpu: GpuContext,
    readonly spec: ModelSpec,
    private readonly capacity: number,
    options: GpuEngineOptions,
  ) {
    const cpuOnly = cpuOnlyOption(spec);
    if (cpuOnly) throw new QmoeInputError(cpuOnly.option, cpuOnly.value, 'is not in the WebGPU engine (its head\'s experts are linear): --backend cpu or cpu64, or --backend webgpu (createEngine), which runs the circuits on the WebGPU backend with the float64 head');
    if (spec.routeShots !== undefined && spec.routeShots > MAX_GPU_ROUTE_SHOTS) {
      throw new QmoeInputError('--route-shots', spec.routeShots, `must be at most ${MAX_GPU_ROUTE_SHOTS} on the WebGPU engine (use --backend cpu for more)`);
    }
    this.routeSeed = checkSeed('routeSeed', options.routeSeed ?? 0);
    this.batchLevel = spec.balance !== undefined || gateKind(spec) === 'shots';
    this.adam = adamSettings(options);
    this.stepsPerSubmit = checkInt('stepsPerSubmit', options.stepsPerSubmit ?? 64, 1, 4096);
    this.layout = paramLayout(spec);
    this.circuit = spec.router === 'quantum' ? modelCircuit(spec) : null;
    this.routerInputs = this.circuit ? outputCount(spec.qubits, routerOutput(spec)) : 0;
    this.headWidth = this.layout.total - this.layout.circuit + 2;
    const widths = routerWidths(spec);
    const units = spec.router === 'mlp' ? widths.reduce((a, b) => a + b, 0) : 0;
    if (units > MAX_UNITS) throw new QmoeInputError('--hidden', spec.hidden.join(','), `features + hidden units + experts must be at most ${MAX_UNITS} on the WebGPU engine (got ${units})`);
    if (spec.router === 'mlp' && spec.hidden.length > MAX_HIDDEN_LAYERS) throw new QmoeInputError('--hidden', spec.hidden.join(','), `at most ${MAX_HIDDEN_LAYERS} hidden layers on the WebGPU engine`);
    for (const [name, value] of [['--experts', spec.experts], ['classes', spec.classes], ['--qubits', this.routerInputs]] as const) {
      if (value > MAX_SMALL) throw new QmoeInputError(name, value, `must be at most ${MAX_SMALL} on the WebGPU engine`);
    }
    this.buffers = new BufferSet(gpu, `the WebGPU training engine (${capacity} rows per batch)`);
  }

  async init(): Promise<void> {
    const { gpu, spec, capacity, layout, buffers } = this;
    this.params = buffers.storage('params', layout.total * 4);
    this.best = buffers.storage('best params', layout.total * 4);
    this.moments = buffers.storage('adam moments', layout.total * 8);
    this.trainStats = buffers.storage('train stats', 16);
    this.evalStats = buffers.storage('eval stats', 16);
    this.x = buffers.storage('batch x', capacity * spec.features * 4);
    this.labels = buffers.storage('batch labels', capacity * 4);
    this.headGrads = buffers.storage('per-sample head gradients', capacity * Math.max(this.headWidth, spec.classes) * 4);
    this.headSums = buffers.storage('head gradient sums', this.headWidth * 4);
    this.upstream = buffers.storage('dL/d circuit output', capacity * Math.max(1, this.routerInputs) * 4);
    const noCircuit = buffers.storage('no circuit gradient', 16);
    this.reducer = await ColumnReducer.create(gpu, capacity, this.headWidth);
    const routeWidth = 2 * spec.experts + 1;
    this.routeRows = buffers.storage('per-row routing (P, dispatch, loss)', (this.batchLevel ? capacity * routeWidth : 1) * 4);
    this.batchSums = buffers.storage('batch routing sums and draw state', (routeWidth + 1) * 4);
    if (this.batchLevel) this.routeReducer = await ColumnReducer.create(gpu, capacity, routeWidth);

    let routerOut: GPUBuffer = noCircuit;
    if (this.circuit) {
      const output = routerOutput(spec);
      this.forward = await engineBackend(gpu).prepare(this.circuit, capacity, output);
      // The workgroup adjoint when two states fit in workgroup memory, else the global-memory one.
      this.gradient = await createGradientRunner(gpu, this.circuit, capacity, output);
      this.gradient.setUpstream(this.upstream);
      routerOut = this.forward.output;
      await this.buildMatrixSteps();
    }

    const hidden = spec.router === 'mlp' ? spec.hidden : [];
    const constants = (mode: number): Record<string, number> => ({
      FEATURES: spec.features,
      CLASSES: spec.classes,
      EXPERTS: spec.experts,
      // The head reads expert probabilities (readouts blocks, parity) or <Z_i> through the adapter (z).
      ROUTER: spec.router === 'quantum' ? ROUTER_CODE[readoutOf(spec) === 'z' ? 'code' : 'paper'] : ROUTER_CODE[spec.router],
      ROUTER_INPUTS: this.routerInputs,
      CIRCUIT_PARAMS: layout.circuit,
      EXPERTS_OFFSET: layout.router,
      MODE: mode,
      HIDDEN_LAYERS: hidden.length,
      H0: hidden[0] ?? 0,
      H1: hidden[1] ?? 0,
      H2: hidden[2] ?? 0,
      H3: hidden[3] ?? 0,
      GATE: GATE_CODE[({ dense: 'dense', 'top-k': 'topK', shots: 'shots' } as const)[gateKind(spec)]],
      TOP_K: spec.topK ?? 0,
      SHOTS: spec.routeShots ?? 0,
      BALANCE: spec.balance ?? 0,
    });
    const resources = { x: this.x, labels: this.labels, params: this.params, router_in: routerOut, grads: this.headGrads, upstream: this.upstream, route_rows: this.routeRows, batch: this.batchSums };
    this.heads = [];
    for (const mode of [HEAD_MODE.train, HEAD_MODE.evaluate, HEAD_MODE.predict]) {
      this.heads[mode] = kernelStep(buffers, await getKernel(gpu, 'moe_head', {}, constants(mode)), resources);
    }
    if (this.batchLevel) this.statsHead = kernelStep(buffers, await getKernel(gpu, 'moe_head', {}, constants(HEAD_MODE.stats)), resources);
    const adam = await getKernel(gpu, 'adam');
    this.adamKernel = adam;
    this.adamResources = { params: this.params, moments: this.moments, circuit_grad: this.gradient?.paramGrad ?? noCircuit, head_grad: this.headSums };
    const adamStep = (stats: GPUBuffer) => kernelStep(buffers, adam, { ...this.adamResources, stats });
    this.adamSteps = { train: adamStep(this.trainStats), eval: adamStep(this.evalStats) };
    await buffers.ready();
  }

  /** Kernels that rebuild the trainable rotations' matrices of both circuit runners from `params`. */
  private async buildMatrixSteps(): Promise<void> {
    const { gpu, layout, buffers } = this;
    const angles = await AnglesStep.create(buffers, this.params, layout.circuit, 'param trig');
    this.matrixSteps.push((pass) => angles.encode(pass, layout.circuit));
    const targets: [CompiledCircuit, GPUBuffer, boolean][] = [
      [this.forward!.compiled, this.forward!.matrices, false],
      [this.gradient!.compiled, this.gradient!.matrices, true],
    ];
    for (const [compiled, mats, derivatives] of targets) {
      const entries = matrixEntries(compiled, derivatives);
      if (entries.length === 0) continue;
      const count = entries.length / 4;
      const step = kernelStep(buffers, await getKernel(gpu, 'param_matrices', { REAL: compiled.real }), { ptrig: angles.trig, entries: buffers.storageOf('matrix entries', entries), mats });
      this.matrixSteps.push((pass) => step.encodeGrid(pass, [Math.ceil(count / 64)], { count }));
    }
  }

  /** Checks the engine and device, then sends the queued steps (every call but step() needs them done first). */
  private alive(): void {
    if (this.disposed) throw new Error('the training engine was disposed');
    checkDevice(this.gpu);
    this.flush();
  }

  /** The GPU work since the last readback (its checks run at the next one). */
  private work(): GpuCall {
    this.call ??= new GpuCall(this.gpu, 'GPU training');
    return this.call;
  }

  /** Reads a buffer back after checking every submission since the last readback. */
  private async read(buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
    const call = this.work();
    this.call = null;
    return call.read(buffer, bytes);
  }

  async load(split: Split, data: TrainingData): Promise<void> {
    this.alive();
    checkTrainingData(this.spec, split, data);
    checkFloat32Range(data.x, (i) => `${split}.x[${i}]`);
    this.data.set(split, { x: Float32Array.from(data.x), y: Uint32Array.from(data.y), rows: data.rows });
  }

  async setParams(params: Float64Array): Promise<void> {
    this.alive();
    if (!params || params.length !== this.layout.total) throw new QmoeInputError('params.length', params?.length, `must equal ${this.layout.total}`);
    for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i])) throw new QmoeInputError(`params[${i}]`, params[i], 'must be finite');
    checkFloat32Range(params, (i) => `params[${i}]`);
    const { device } = this.gpu;
    this.work().run(() => {
      device.queue.writeBuffer(this.params, 0, Float32Array.from(params));
      device.queue.writeBuffer(this.moments, 0, new Float32Array(this.layout.total * 2));
      // Fixed gates' matrices come from the host once; trainable ones are rebuilt on the GPU every step.
      const angles = params.subarray(0, this.layout.circuit);
      this.forward?.setParams(angles);
      this.gradient?.setParams(angles);
    });
    this.t = 0;
  }

  async keepBest(): Promise<void> {
    this.alive();
    const encoder = this.gpu.device.createCommandEncoder({ label: 'keep best parameters' });
    encoder.copyBufferToBuffer(this.params, 0, this.best, 0, this.layout.total * 4);
    this.work().submit(encoder);
    this.hasBest = true;
  }

  async restoreBest(): Promise<void> {
    this.alive();
    if (!this.hasBest) throw new Error('restoreBest: keepBest was never called');
    const encoder = this.gpu.device.createCommandEncoder({ label: 'restore best parameters' });
    encoder.copyBufferToBuffer(this.best, 0, this.params, 0, this.layout.total * 4);
    this.work().submit(encoder);
    this.gpu.device.queue.writeBuffer(this.moments, 0, new Float32Array(this.layout.total * 2));
    this.t = 0;
  }

  async getParams(): Promise<Float64Array> {
    this.alive();
    const params = Float64Array.from(await this.read(this.params, this.layout.total * 4));
    checkFiniteResult('the trained parameters', params);
    return params;
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
    if (this.spec.routeShots !== undefined) device.queue.writeBuffer(this.batchSums, (2 * this.spec.experts + 1) * 4, Uint32Array.of(this.takeDraws(rows)));
  }

  /** Route shots: the generator's state before the draws of `rows` rows, and advances it past them (as the CPU engine's Rng). */
  private takeDraws(rows: number): number {
    const S = this.spec.routeShots;
    if (S === undefined) return 0;
    const state = (this.routeSeed + Math.imul(this.drawn, RNG_STEP)) >>> 0;
    // Each row takes 2 S outputs (next() uses two); 2 S rows < 2^53, so the product is exact before the modulo.
    this.drawn = (this.drawn + ((2 * S * rows) % 0x100000000)) % 0x100000000;
    return state;
  }

  /** Encodes matrices, circuit forward and the head in `mode` for the uploaded rows. */
  private encodeForward(encoder: GPUCommandEncoder, rows: number, mode: number): void {
    if (this.matrixSteps.length > 0) {
      const pass = encoder.beginComputePass({ label: 'circuit matrices' });
      for (const step of this.matrixSteps) step(pass);
      pass.end();
    }
    this.forward?.encode(encoder);
    const pass = encoder.beginComputePass({ label: 'moe head' });
    if (mode === HEAD_MODE.train && this.statsHead) {
      this.statsHead.encode(pass, Math.ceil(rows / 64), { rows, grad_width: this.headWidth });
      this.routeReducer!.encode(pass, this.routeRows, rows, this.batchSums);
    }
    this.heads[mode].encode(pass, Math.ceil(rows / 64), { rows, grad_width: this.headWidth });
    if (mode !== HEAD_MODE.predict) this.reducer.encode(pass, this.headGrads, rows, this.headSums);
    pass.end();
  }

  private encodeAdam(encoder: GPUCommandEncoder, rows: number, update: boolean, bias = { bias1: 1 - this.adam.beta1 ** this.t, bias2: 1 - this.adam.beta2 ** this.t }, step = update ? this.adamSteps.train : this.adamSteps.eval): void {
    const { lr, beta1, beta2, eps } = this.adam;
    const pass = encoder.beginComputePass({ label: 'adam' });
    step.encodeGrid(pass, [Math.max(1, Math.ceil(this.layout.total / 64))], {
      count: this.layout.total,
      circuit: this.layout.circuit,
      update: update ? 1 : 0,
      rows,
      lr,
      beta1,
      beta2,
      eps,
      ...bias,
    });
    pass.end();
  }

  /** Queues one Adam step on these rows of the train split; the GPU gets it with the next submission (see stepsPerSubmit). */
  step(rows: Int32Array): void {
    if (this.disposed) throw new Error('the training engine was disposed');
    checkDevice(this.gpu);
    const split = this.data.get('train');
    if (!split) throw new Error('step: load the train split first');
    if (rows.length > this.capacity && rows.length <= 1 << 26) {
      // The capacity comes from the adapter's memory (at 24 qubits a few states fill it): name the option.
      throw new QmoeInputError('--batch', rows.length, `the WebGPU engine holds at most ${this.capacity} rows per batch for this model (${this.spec.router === 'quantum' ? `${this.spec.qubits}-qubit states` : 'its buffers'}) on this adapter: use --batch ${this.capacity} or fewer`);
    }
    checkInt('batch rows', rows.length, 1, this.capacity);
    const F = this.spec.features;
    const x = new Float32Array(rows.length * F);
    const y = new Uint32Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const src = rows[r];
      if (!(src >= 0 && src < split.rows)) throw new QmoeInputError('rows', src, `row indices must be from 0 to ${split.rows - 1}`);
      x.set(split.x.subarray(src * F, (src + 1) * F), r * F);
      y[r] = split.y[src];
    }
    if (this.queued.length > 0 && this.queued[0].rows !== rows.length) this.flush();
    this.t += 1;
    const { beta1, beta2 } = this.adam;
    this.queued.push({ x, y, rows: rows.length, bias1: 1 - beta1 ** this.t, bias2: 1 - beta2 ** this.t, drawState: this.takeDraws(rows.length) });
    if (this.queued.length >= this.stepsPerSubmit) this.flush();
  }

  /** The staging buffers of k queued batches of `rows` rows (grown by doubling). */
  private staging(k: number, rows: number): { x: GPUBuffer; y: GPUBuffer } {
    const need = k * rows;
    if (!this.staged || this.staged.rows < need) {
      const cap = 2 ** Math.ceil(Math.log2(Math.max(need, 64)));
      this.staged = { x: this.buffers.storage('queued batches x', cap * this.spec.features * 4), y: this.buffers.storage('queued batches labels', cap * 4), rows: cap };
    }
    return this.staged;
  }

  /** The staging buffer of k queued steps' draw states (grown by doubling). */
  private drawStaging(k: number): GPUBuffer {
    if (!this.stagedDraws || this.stagedDraws.steps < k) {
      const steps = 2 ** Math.ceil(Math.log2(Math.max(k, 64)));
      this.stagedDraws = { buffer: this.buffers.storage('queued draw states', steps * 4), steps };
    }
    return this.stagedDraws.buffer;
  }

  /** Records every queued step (all of one batch size) into one command buffer and submits it. */
  private flush(): void {
    const steps = this.queued;
    if (steps.length === 0) return;
    this.queued = [];
    const rows = steps[0].rows;
    const F = this.spec.features;
    const staged = this.staging(steps.length, rows);
    const x = new Float32Array(steps.length * rows * F);
    const y = new Uint32Array(steps.length * rows);
    steps.forEach((s, i) => {
      x.set(s.x, i * rows * F);
      y.set(s.y, i * rows);
    });
    while (this.adamSlots.length < steps.length) {
      this.adamSlots.push(kernelStep(this.buffers, this.adamKernel, { ...this.adamResources, stats: this.trainStats }));
    }
    const { device } = this.gpu;
    const draws = this.spec.routeShots !== undefined ? this.drawStaging(steps.length) : null;
    this.work().run(() => {
      device.queue.writeBuffer(staged.x, 0, x);
      device.queue.writeBuffer(staged.y, 0, y);
      if (draws) device.queue.writeBuffer(draws, 0, Uint32Array.from(steps, (s) => s.drawState));
    });
    const drawAt = (2 * this.spec.experts + 1) * 4;
    const encoder = device.createCommandEncoder({ label: `${steps.length} training step${steps.length === 1 ? '' : 's'}` });
    steps.forEach((s, i) => {
      const xOffset = i * rows * F * 4;
      if (F > 0) encoder.copyBufferToBuffer(staged.x, xOffset, this.x, 0, rows * F * 4);
      encoder.copyBufferToBuffer(staged.y, i * rows * 4, this.labels, 0, rows * 4);
      if (draws) encoder.copyBufferToBuffer(draws, i * 4, this.batchSums, drawAt, 4);
      this.forward?.copyFeatures(encoder, staged.x, xOffset, rows);
      this.gradient?.copyFeatures(encoder, staged.x, xOffset, rows);
      this.encodeForward(encoder, rows, HEAD_MODE.train);
      this.gradient?.encode(encoder);
      this.encodeAdam(encoder, rows, true, { bias1: s.bias1, bias2: s.bias2 }, this.adamSlots[i]);
    });
    this.work().submit(encoder);
  }

  private async takeStats(stats: GPUBuffer): Promise<EngineStats> {
    const [loss, correct, seen] = await this.read(stats, 12);
    this.gpu.device.queue.writeBuffer(stats, 0, new Float32Array(4));
    if (seen > 0) checkFiniteResult('the training loss', [loss, correct]);
    return seen > 0 ? { loss: loss / seen, accuracy: correct / seen } : { loss: NaN, accuracy: NaN };
  }

  settle(): Promise<void> {
    this.alive();
    return this.gpu.device.queue.onSubmittedWorkDone();
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
      this.encodeForward(encoder, rows, HEAD_MODE.evaluate);
      this.encodeAdam(encoder, rows, false);
      this.work().submit(encoder);
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
    checkFloat32Range(x, (i) => `x[${i}]`);
    const split: HostSplit = { x: Float32Array.from(x), y: new Uint32Array(rows), rows };
    const out = new Float64Array(rows * C);
    for (let start = 0; start < rows; start += this.capacity) {
      const n = Math.min(this.capacity, rows - start);
      this.upload(split, null, start, n);
      const encoder = this.gpu.device.createCommandEncoder({ label: 'predict' });
      this.encodeForward(encoder, n, HEAD_MODE.predict);
      this.work().submit(encoder);
      out.set(await this.read(this.headGrads, n * C * 4), start * C);
    }
    checkFiniteResult('the predicted class probabilities', out, C);
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.queued = [];
    this.buffers.destroy();
    this.reducer?.destroy();
    this.routeReducer?.destroy();
    this.forward?.destroy();
    this.gradient?.destroy();
  }
}

/** A WebGPU training engine for `spec` on `gpu` (see GpuEngine). */
export async function createWebGpuEngine(gpu: GpuContext, spec: ModelSpec, options: GpuEngineOptions = {}): Promise<TrainingEngine> {
  const capacity = checkInt('capacity', options.capacity ?? defaultCapacity(gpu, spec), 1, 1 << 20);
  const engine = new GpuEngine(gpu, spec, capacity, options);
  try {
    await engine.init();
  } catch (e) {
    engine.dispose();
    throw e;
  }
  return engine;
}

/** The backend of the engine's circuit forward pass (its default chunk of 256 MiB bounds a batch's states). */
function engineBackend(gpu: GpuContext): WebGpuBackend {
  return new WebGpuBackend(gpu);
}

/** 4096 rows, or fewer when a quantum router's states (global path, 13 qubits and up) fill the forward pass's chunk. */
function defaultCapacity(gpu: GpuContext, spec: ModelSpec): number {
  if (spec.router !== 'quantum') return 4096;
  return Math.min(4096, engineBackend(gpu).maxPrepareRows(modelCircuit(spec), routerOutput(spec)));
}
