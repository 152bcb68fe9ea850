import type { GpuContext } from './context.js';

/**
 * A software WebGPU adapter (SwiftShader, a rasterizer running on the CPU: the acquisition step
 * that found it, or what the adapter says of itself, as in a browser), where the CPU engine is
 * the faster choice for `auto`.
 */
export function isSoftwareAdapter(gpu: Pick<GpuContext, 'source' | 'adapter' | 'adapterName'>): boolean {
  if (gpu.source === 'swiftshader') return true;
  const info = gpu.adapter?.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  if (info?.isFallbackAdapter) return true;
  return /swiftshader|llvmpipe|lavapipe/i.test([gpu.adapterName, info?.vendor, info?.architecture, info?.device, info?.description].join(' '));
}
