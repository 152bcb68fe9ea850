import { QmoeGpuError } from '../errors.js';
import type { BufferSet, Uniform } from './buffer-set.js';
import type { GpuContext } from './context.js';
import { KERNELS, type ShaderName } from './kernels.js';
import { loadShader } from './shaders.js';
import type { UniformStruct, UniformValues } from './uniforms.js';

/** One resource binding a kernel declares, as its WGSL says. */
export interface KernelBinding {
  group: number;
  binding: number;
  type: 'uniform' | 'storage' | 'read-only-storage';
}

/**
 * A compiled kernel: its pipeline (with an explicit layout built from the WGSL's declarations,
 * so every declared binding is bound by its variable name) and those declarations.
 */
export interface Kernel<N extends ShaderName = ShaderName> {
  readonly name: N;
  readonly pipeline: GPUComputePipeline;
  /** Every `@group(g) @binding(b) var<...> NAME` of the preprocessed source, by NAME. */
  readonly bindings: ReadonlyMap<string, KernelBinding>;
  /** The uniform variable of the kernel's `Meta` struct (usually `meta_`), if any. */
  readonly metaVariable: string | null;
}

/** The `Meta` struct of kernel N. */
export type MetaStruct<N extends ShaderName> = (typeof KERNELS)[N]['structs'] extends { Meta: infer S extends UniformStruct } ? S : never;
/** Values of every field of kernel N's `Meta`, by name. */
export type MetaValues<N extends ShaderName> = UniformValues<MetaStruct<N>>;

const DECLARATION = /@group\((\d+)\)\s*@binding\((\d+)\)\s*var\s*<\s*(\w+)\s*(?:,\s*(\w+)\s*)?>\s*(\w+)\s*:\s*([^;]+);/g;

/** The resource declarations of preprocessed WGSL. */
export function parseBindings(code: string): { bindings: Map<string, KernelBinding>; uniformTypes: Map<string, string> } {
  const bindings = new Map<string, KernelBinding>();
  const uniformTypes = new Map<string, string>();
  for (const m of code.matchAll(DECLARATION)) {
    const [, group, binding, space, access, name, type] = m;
    const kind = space === 'uniform' ? 'uniform' : access === 'read_write' ? 'storage' : 'read-only-storage';
    bindings.set(name, { group: Number(group), binding: Number(binding), type: kind });
    if (kind === 'uniform') uniformTypes.set(name, type.trim());
  }
  return { bindings, uniformTypes };
}

const caches = new WeakMap<GPUDevice, Map<string, Promise<Kernel>>>();

/**
 * The kernel shaders/NAME.wgsl with preprocessor flags and override constants, cached per device.
 * Compilation errors become a QmoeGpuError with the compiler's messages.
 */
export function getKernel<N extends ShaderName>(gpu: GpuContext, name: N, flags: Record<string, boolean> = {}, constants: Record<string, number> = {}): Promise<Kernel<N>> {
  let cache = caches.get(gpu.device);
  if (!cache) caches.set(gpu.device, (cache = new Map()));
  const key = JSON.stringify([name, flags, constants]);
  let kernel = cache.get(key);
  if (!kernel) {
    kernel = build(gpu, name, flags, constants);
    cache.set(key, kernel);
    kernel.catch(() => cache!.delete(key));
  }
  return kernel as Promise<Kernel<N>>;
}

/** The pipeline of getKernel (for code that binds by number, e.g. the benchmark's copy kernel). */
export async function getPipeline(gpu: GpuContext, name: ShaderName, flags: Record<string, boolean> = {}, constants: Record<string, number> = {}): Promise<GPUComputePipeline> {
  return (await getKernel(gpu, name, flags, constants)).pipeline;
}

async function build<N extends ShaderName>(gpu: GpuContext, name: N, flags: Record<string, boolean>, constants: Record<string, number>): Promise<Kernel<N>> {
  const { device } = gpu;
  const code = await loadShader(name, flags);
  const { bindings, uniformTypes } = parseBindings(code);
  const groups: GPUBindGroupLayoutEntry[][] = [];
  for (const b of bindings.values()) {
    (groups[b.group] ??= []).push({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.type } });
  }
  const what = `${name}.wgsl ${JSON.stringify(flags)}`;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: name });
  const layout = device.createPipelineLayout({
    label: name,
    bindGroupLayouts: Array.from(groups, (entries, g) => device.createBindGroupLayout({ label: `${name} group ${g}`, entries: entries ?? [] })),
  });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    await device.popErrorScope();
    throw new QmoeGpuError(`${what} failed to compile: ${errors.map((m) => `line ${m.lineNum}: ${m.message}`).join('; ')}`);
  }
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({ label: `${what} ${JSON.stringify(constants)}`, layout, compute: { module, entryPoint: 'main', constants } });
  } catch (e) {
    await device.popErrorScope().catch(() => null);
    throw new QmoeGpuError(`${what} pipeline ${JSON.stringify(constants)}: ${(e as Error).message}`);
  }
  const error = await device.popErrorScope();
  if (error) throw new QmoeGpuError(`${what} pipeline: ${error.message}`);
  const structs = KERNELS[name].structs as Record<string, UniformStruct>;
  const metaVariable = [...uniformTypes].find(([, type]) => type === 'Meta' && structs.Meta)?.[0] ?? null;
  return { name, pipeline, bindings, metaVariable };
}

/** A buffer bound whole, or a range of one. */
export type Resource = GPUBuffer | GPUBufferBinding;

/**
 * A bind group of `kernel`'s group `group` from resources named as the WGSL's variables. Every
 * variable of the group must be given, and nothing else: a wrong name is an error naming it.
 */
export function bindGroup(gpu: GpuContext, kernel: Kernel, resources: Record<string, Resource>, group = 0): GPUBindGroup {
  const entries: GPUBindGroupEntry[] = [];
  const wanted = [...kernel.bindings].filter(([, b]) => b.group === group);
  for (const [name, b] of wanted) {
    const r = resources[name];
    if (!r) throw new Error(`${kernel.name}.wgsl: no resource for binding ${name} (group ${group}); given: ${Object.keys(resources).join(', ')}`);
    entries.push({ binding: b.binding, resource: 'buffer' in r ? r : { buffer: r } });
  }
  for (const name of Object.keys(resources)) {
    if (!wanted.some(([n]) => n === name)) throw new Error(`${kernel.name}.wgsl declares no binding ${name} in group ${group} (it has ${wanted.map(([n]) => n).join(', ')})`);
  }
  return gpu.device.createBindGroup({ label: `${kernel.name} group ${group}`, layout: kernel.pipeline.getBindGroupLayout(group), entries });
}

/** Workgroup counts (x, y) covering `groups` workgroups within the per-dimension limit. */
export function grid(groups: number, maxPerDimension: number): [number, number] {
  if (groups <= maxPerDimension) return [Math.max(1, groups), 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y];
}

/**
 * A kernel bound to its resources and its own `Meta` uniform: one dispatch per encode(). The
 * resources can be rebound (a runner reading another buffer); the bind group is rebuilt lazily.
 */
export class KernelStep<N extends ShaderName> {
  private group: GPUBindGroup | null = null;
  private resources: Record<string, Resource>;

  constructor(
    private readonly gpu: GpuContext,
    readonly kernel: Kernel<N>,
    resources: Record<string, Resource>,
    readonly meta: Uniform<MetaStruct<N>> | null,
  ) {
    this.resources = resources;
    if (kernel.metaVariable && !meta) throw new Error(`${kernel.name}.wgsl: its Meta uniform is missing`);
  }

  /** Replaces some resources (by name); the next encode binds them. */
  rebind(resources: Record<string, Resource>): void {
    this.resources = { ...this.resources, ...resources };
    this.group = null;
  }

  private bound(): GPUBindGroup {
    if (!this.group) {
      const all = this.kernel.metaVariable && this.meta ? { ...this.resources, [this.kernel.metaVariable]: this.meta.buffer } : this.resources;
      this.group = bindGroup(this.gpu, this.kernel, all);
    }
    return this.group;
  }

  /**
   * Encodes one dispatch of `groups` workgroups (a 2D grid within the per-dimension limit) after
   * writing the Meta uniform from `values` and the grid's width (groups_x). Call at most once per
   * submitted command buffer per step (uniforms are written at encode time).
   */
  encode(pass: GPUComputePassEncoder, groups: number, values: Omit<MetaValues<N>, 'groups_x'>): void {
    const [x, y] = grid(groups, this.gpu.limits.maxComputeWorkgroupsPerDimension);
    this.encodeGrid(pass, [x, y], { ...values, groups_x: x } as unknown as MetaValues<N>);
  }

  /** Encodes one dispatch of the given grid after writing the Meta uniform (every field given). */
  encodeGrid(pass: GPUComputePassEncoder, workgroups: [number, number?, number?], values: MetaValues<N> | null): void {
    if (values) this.meta?.write(values);
    pass.setPipeline(this.kernel.pipeline);
    pass.setBindGroup(0, this.bound());
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
  }
}

/** A kernel step whose Meta uniform (when the kernel has one) belongs to `set`. */
export function kernelStep<N extends ShaderName>(set: BufferSet, kernel: Kernel<N>, resources: Record<string, Resource>): KernelStep<N> {
  const struct = (KERNELS[kernel.name].structs as Record<string, UniformStruct>).Meta as MetaStruct<N> | undefined;
  const meta = kernel.metaVariable && struct ? set.uniform(struct, `${kernel.name} meta`) : null;
  return new KernelStep(set.gpu, kernel, resources, meta);
}

/** Encodes with `encode` into a new command encoder and submits it (does not wait). */
export function submitEncoded(gpu: GpuContext, encode: (encoder: GPUCommandEncoder) => void): void {
  const encoder = gpu.device.createCommandEncoder();
  encode(encoder);
  gpu.device.queue.submit([encoder.finish()]);
}
