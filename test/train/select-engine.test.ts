import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter } from '../../src/train/select-engine.js';

/** What `auto` treats as a software adapter (the CPU engine is faster there), in Node and in a browser. */
describe('isSoftwareAdapter', () => {
  const gpu = (source: 'browser' | 'swiftshader' | 'vulkan-system', info: Partial<GPUAdapterInfo & { isFallbackAdapter: boolean }>, adapterName = '') =>
    ({ source, adapterName, adapter: { info } as unknown as GPUAdapter });

  it('finds SwiftShader by the acquisition step, by what the adapter says, or as a fallback adapter', () => {
    expect(isSoftwareAdapter(gpu('swiftshader', {}))).toBe(true);
    expect(isSoftwareAdapter(gpu('browser', { vendor: 'google', architecture: 'swiftshader' }))).toBe(true);
    expect(isSoftwareAdapter(gpu('vulkan-system', { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe(true);
    expect(isSoftwareAdapter(gpu('browser', { vendor: 'intel', isFallbackAdapter: true }))).toBe(true);
  });

  it('takes a hardware adapter as one', () => {
    expect(isSoftwareAdapter(gpu('browser', { vendor: 'nvidia', architecture: 'hopper' }, 'NVIDIA H200'))).toBe(false);
    expect(isSoftwareAdapter(gpu('vulkan-system', { vendor: 'amd', architecture: 'rdna-3' }))).toBe(false);
  });
});
