/** A WebGPU device ready for qmoe's kernels, and how it was obtained. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  /** Which step of the acquisition chain produced the device. */
  readonly source: GpuSource;
  /** Adapter name as the driver reports it (e.g. "NVIDIA H100 80GB HBM3", "SwiftShader Device"). */
  readonly adapterName: string;
  /** The limits the device was created with (the adapter's maxima for those qmoe uses). */
  readonly limits: GpuLimits;
  /** Errors the device reported outside an error scope, newest last (the first 100). */
  readonly uncapturedErrors: string[];
  /** How many errors the device reported outside an error scope (all of them). */
  uncapturedCount: number;
  /**
   * Largest buffer the kernels' hosts allocate, in bytes (default: the device's maxBufferSize).
   * A larger buffer fails as out of memory, the same way a failed driver allocation does:
   * lower it to leave memory to other work, or to exercise the out-of-memory paths.
   */
  maxAllocationBytes: number;
  /**
   * The `subgroups` feature, when the adapter has it (the device is created with it): the sizes
   * a subgroup may have. null: the subgroup kernels are not available.
   */
  readonly subgroups: SubgroupInfo | null;
  /** Set when the device was lost, with the reason. */
  lostReason: string | null;
  /** Destroys the device (buffers from it become invalid). */
  destroy(): void;
}

/** Subgroup sizes the adapter reports (a power of two each; a subgroup has one of them). */
export interface SubgroupInfo {
  minSize: number;
  maxSize: number;
}

export type GpuSource = 'browser' | 'vulkan-system' | 'vulkan-nvidia-egl' | 'swiftshader';

export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
  maxUniformBufferBindingSize: number;
  minUniformBufferOffsetAlignment: number;
}

export const LIMIT_NAMES: readonly (keyof GpuLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'minUniformBufferOffsetAlignment',
];

/** One step of the acquisition chain and what it said. */
export interface AcquireStep {
  step: GpuSource | 'cpu';
  ok: boolean;
  detail: string;
}

/** Result of acquireGpu: a device (or null when the CPU backend must be used) and the story. */
export interface Acquisition {
  gpu: GpuContext | null;
  chosen: GpuSource | 'cpu';
  steps: AcquireStep[];
}

/** Requests a device with the adapter's maxima for the limits qmoe uses and wraps it. */
export async function openDevice(adapter: GPUAdapter, source: GpuSource): Promise<GpuContext> {
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    if (name !== 'minUniformBufferOffsetAlignment') requiredLimits[name] = adapter.limits[name];
  }
  const info = adapter.info;
  // The subgroup kernels (shaders/subgroup_*.wgsl) need the feature and a known smallest size.
  const min = info.subgroupMinSize ?? 0;
  const subgroups = adapter.features.has('subgroups') && min >= 1 ? { minSize: min, maxSize: Math.max(min, info.subgroupMaxSize ?? min) } : null;
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: subgroups ? ['subgroups'] : [] });
  const limits = Object.fromEntries(LIMIT_NAMES.map((n) => [n, device.limits[n]])) as unknown as GpuLimits;
  const adapterName = [info.description, info.device, info.vendor, info.architecture].find((s) => s && s.length > 0) ?? 'unknown adapter';
  const ctx: GpuContext = {
    device,
    adapter,
    source,
    adapterName,
    limits,
    uncapturedErrors: [],
    uncapturedCount: 0,
    maxAllocationBytes: limits.maxBufferSize,
    subgroups,
    lostReason: null,
    destroy: () => device.destroy(),
  };
  device.lost.then((l) => {
    ctx.lostReason = `${l.reason}: ${l.message}`;
  });
  device.addEventListener('uncapturederror', (ev) => {
    const msg = (ev as GPUUncapturedErrorEvent).error.message;
    ctx.uncapturedCount++;
    if (ctx.uncapturedErrors.length < 100) ctx.uncapturedErrors.push(msg);
  });
  return ctx;
}
