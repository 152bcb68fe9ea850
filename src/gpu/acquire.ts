import { QmoeGpuError, QmoeInputError } from '../errors.js';
import { openDevice, type AcquireStep, type Acquisition, type GpuContext, type GpuSource } from './context.js';

/**
 * Every object returned by the `webgpu` binding's create(). Dawn frees its instance when that
 * object is garbage-collected, even while a device made from it still runs, and the process then
 * dies at random inside ProcessEvents (README, "GPU acquisition"; test/gpu/stress.test.ts). Instances are few
 * and small, so they are kept for the life of the process.
 */
const liveInstances: unknown[] = [];

export interface AcquireOptions {
  /** Skip steps, e.g. ['vulkan-system'] to go straight to SwiftShader. */
  skip?: (GpuSource | 'cpu')[];
  /** SwiftShader's ICD file (default: Debian chromium's). */
  swiftshaderIcd?: string;
  /**
   * Largest GPU buffer to allocate, in bytes (GpuContext.maxAllocationBytes); default the
   * environment variable QMOE_GPU_MAX_ALLOCATION, else the device's maxBufferSize.
   */
  maxAllocationBytes?: number;
}

/** The allocation cap of `options`, else of QMOE_GPU_MAX_ALLOCATION (Node), else none. */
function allocationCap(options: AcquireOptions): number | undefined {
  const env = typeof process !== 'undefined' ? process.env?.QMOE_GPU_MAX_ALLOCATION : undefined;
  const value = options.maxAllocationBytes ?? (env !== undefined ? Number(env) : undefined);
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 16) {
    throw new QmoeInputError(options.maxAllocationBytes !== undefined ? 'maxAllocationBytes' : 'QMOE_GPU_MAX_ALLOCATION', options.maxAllocationBytes ?? env, 'must be a whole number of bytes, at least 16');
  }
  return value;
}

/**
 * Finds a WebGPU device. In a browser: navigator.gpu. In Node, in order: the system's Vulkan
 * driver; on a headless NVIDIA machine, an ICD file pointing at libEGL_nvidia.so.0; SwiftShader;
 * then none (the caller falls back to the CPU backend). `steps` says what each step found.
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<Acquisition> {
  const cap = allocationCap(options);
  const acquisition = await acquire(options);
  if (acquisition.gpu && cap !== undefined) acquisition.gpu.maxAllocationBytes = Math.min(cap, acquisition.gpu.limits.maxBufferSize);
  return acquisition;
}

async function acquire(options: AcquireOptions): Promise<Acquisition> {
  const skip = new Set(options.skip ?? []);
  const steps: AcquireStep[] = [];
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) {
    if (nav?.gpu && !skip.has('browser')) {
      try {
        const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
        if (adapter) {
          const gpu = await openDevice(adapter, 'browser');
          steps.push({ step: 'browser', ok: true, detail: `navigator.gpu gave ${gpu.adapterName}` });
          return { gpu, chosen: 'browser', steps };
        }
        steps.push({ step: 'browser', ok: false, detail: 'navigator.gpu.requestAdapter() returned null' });
      } catch (e) {
        steps.push({ step: 'browser', ok: false, detail: `requestDevice failed: ${(e as Error).message}` });
      }
    } else {
      steps.push({ step: 'browser', ok: false, detail: 'this browser has no navigator.gpu (WebGPU is off or unsupported)' });
    }
    steps.push({ step: 'cpu', ok: true, detail: 'using the CPU backend' });
    return { gpu: null, chosen: 'cpu', steps };
  }
  const node = await import('./acquire-node.js');
  return node.acquireInNode(skip, options.swiftshaderIcd, steps, liveInstances);
}

/**
 * The GPU for a `--backend cpu|webgpu|auto` choice: null for cpu, or for auto without an adapter;
 * for webgpu without an adapter, a QmoeGpuError that lists what each step of the chain found.
 */
export async function acquireForBackend(choice: 'cpu' | 'webgpu' | 'auto'): Promise<GpuContext | null> {
  if (choice === 'cpu') return null;
  const acquisition = await acquireGpu();
  if (!acquisition.gpu && choice === 'webgpu') {
    const steps = acquisition.steps.map((s) => `  ${s.step}: ${s.ok ? 'ok' : 'no'}, ${s.detail}`).join('\n');
    throw new QmoeGpuError(`--backend webgpu: no WebGPU adapter was found (try --backend cpu or auto); steps:\n${steps}`);
  }
  return acquisition.gpu;
}
