import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/acquire.js';
import { DEFAULT_SWIFTSHADER_ICD } from '../../src/gpu/acquire-node.js';
import { loadShader } from '../../src/gpu/shaders.js';
import { skipGpu } from '../helpers/gpu.js';

describe('GPU acquisition chain', () => {
  it('falls back to the CPU when every GPU step is skipped, and says why at each step', async () => {
    const a = await acquireGpu({ skip: ['vulkan-system', 'vulkan-nvidia-egl', 'swiftshader'] });
    expect(a.gpu).toBeNull();
    expect(a.chosen).toBe('cpu');
    expect(a.steps.map((s) => s.step)).toEqual(['vulkan-system', 'vulkan-nvidia-egl', 'swiftshader', 'cpu']);
    expect(a.steps.slice(0, 3).every((s) => !s.ok && /skipped/.test(s.detail))).toBe(true);
  });

  it('reports a missing SwiftShader ICD file by its path', async () => {
    const a = await acquireGpu({ skip: ['vulkan-system', 'vulkan-nvidia-egl'], swiftshaderIcd: '/nonexistent/icd.json' });
    expect(a.chosen).toBe('cpu');
    expect(a.steps.find((s) => s.step === 'swiftshader')?.detail).toMatch(/\/nonexistent\/icd\.json not found/);
  });

  it.skipIf(skipGpu || !existsSync(DEFAULT_SWIFTSHADER_ICD))('finds SwiftShader when the system driver step is skipped', async () => {
    const a = await acquireGpu({ skip: ['vulkan-system', 'vulkan-nvidia-egl'] });
    expect(a.chosen).toBe('swiftshader');
    expect(a.gpu?.adapterName).toMatch(/swiftshader/i);
    expect(a.gpu!.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    a.gpu!.destroy();
  });

  it.skipIf(skipGpu)('picks some adapter with the full chain and records every step before it', async () => {
    const a = await acquireGpu();
    expect(a.gpu).not.toBeNull();
    expect(a.steps.at(-1)).toMatchObject({ step: a.chosen, ok: true });
    expect(a.steps.slice(0, -1).every((s) => !s.ok)).toBe(true);
    a.gpu!.destroy();
  });
});

describe('shader preprocessing', () => {
  it('resolves #if blocks and demands every flag', async () => {
    const real = await loadShader('measure', { REAL: true, FULL: true });
    expect(real).toContain('alias Amp = f32;');
    expect(real).not.toContain('vec2<f32>;');
    expect(real).not.toMatch(/#if|#else|#endif|\$\{/);
    await expect(loadShader('measure', { REAL: true })).rejects.toThrow(/needs flag FULL/);
  });
});
