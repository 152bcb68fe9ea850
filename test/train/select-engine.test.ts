import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter } from '../../src/train/select-engine.js';
import { hardwareOnly } from '../../src/cpu/select.js';
import type { GpuContext } from '../../src/gpu/context.js';

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

/** `auto` in simulate, grad and quantum-kernel: every software adapter, not only the one found by the SwiftShader step, means the CPU. */
describe('hardwareOnly', () => {
  const fake = (source: 'swiftshader' | 'vulkan-system', description: string) => {
    const state = { destroyed: false };
    const ctx = { source, adapterName: '', adapter: { info: { description } }, destroy: () => (state.destroyed = true) } as unknown as GpuContext;
    return { ctx, state };
  };

  it('auto drops a software adapter whatever found it, and destroys it', () => {
    for (const [source, description] of [['swiftshader', ''], ['vulkan-system', 'llvmpipe (LLVM 15)']] as const) {
      const { ctx, state } = fake(source, description);
      expect(hardwareOnly('auto', ctx)).toBeNull();
      expect(state.destroyed).toBe(true);
    }
  });

  it('auto keeps a hardware adapter; webgpu keeps any adapter', () => {
    const hw = fake('vulkan-system', 'NVIDIA H200');
    expect(hardwareOnly('auto', hw.ctx)).toBe(hw.ctx);
    const sw = fake('swiftshader', '');
    expect(hardwareOnly('webgpu', sw.ctx)).toBe(sw.ctx);
    expect(sw.state.destroyed).toBe(false);
    expect(hardwareOnly('auto', null)).toBeNull();
  });
});
