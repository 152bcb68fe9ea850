import { QmoeGpuError } from '../errors.js';
import type { GpuContext } from './context.js';
import { loadShader, type ShaderName } from './shaders.js';

const caches = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/**
 * A compute pipeline for shaders/NAME.wgsl with preprocessor flags and override constants, cached
 * per device. Compilation errors become a QmoeGpuError with the compiler's messages.
 */
export function getPipeline(
  gpu: GpuContext,
  name: ShaderName,
  flags: Record<string, boolean> = {},
  constants: Record<string, number> = {},
): Promise<GPUComputePipeline> {
  let cache = caches.get(gpu.device);
  if (!cache) caches.set(gpu.device, (cache = new Map()));
  const key = JSON.stringify([name, flags, constants]);
  let pipeline = cache.get(key);
  if (!pipeline) {
    pipeline = build(gpu, name, flags, constants);
    cache.set(key, pipeline);
    pipeline.catch(() => cache!.delete(key));
  }
  return pipeline;
}

async function build(
  gpu: GpuContext,
  name: ShaderName,
  flags: Record<string, boolean>,
  constants: Record<string, number>,
): Promise<GPUComputePipeline> {
  const { device } = gpu;
  const code = await loadShader(name, flags);
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: name });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    await device.popErrorScope();
    throw new QmoeGpuError(`${name}.wgsl ${JSON.stringify(flags)} failed to compile: ${errors.map((m) => `line ${m.lineNum}: ${m.message}`).join('; ')}`);
  }
  try {
    const pipeline = await device.createComputePipelineAsync({
      label: `${name} ${JSON.stringify(flags)} ${JSON.stringify(constants)}`,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants },
    });
    const error = await device.popErrorScope();
    if (error) throw new QmoeGpuError(`${name}.wgsl pipeline: ${error.message}`);
    return pipeline;
  } catch (e) {
    if (e instanceof QmoeGpuError) throw e;
    await device.popErrorScope().catch(() => null);
    throw new QmoeGpuError(`${name}.wgsl pipeline ${JSON.stringify(constants)}: ${(e as Error).message}`);
  }
}
