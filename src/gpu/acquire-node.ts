import { existsSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDevice, type AcquireStep, type Acquisition, type GpuSource } from './context.js';

export const DEFAULT_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface Attempt {
  step: GpuSource;
  /** Sets up the environment; returns why the step does not apply, or null. */
  prepare: () => string | null;
}

function hasNvidiaEgl(): boolean {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libEGL_nvidia.so.0');
  } catch {
    return ['/usr/lib/x86_64-linux-gnu/libEGL_nvidia.so.0', '/usr/lib64/libEGL_nvidia.so.0'].some(existsSync);
  }
}

/** The Node chain; see acquireGpu. Every create() result is pushed to `keep` (never released). */
export async function acquireInNode(
  skip: Set<string>,
  swiftshaderIcd: string | undefined,
  steps: AcquireStep[],
  keep: unknown[],
): Promise<Acquisition> {
  // The Vulkan loader complains on stderr without it; it needs only a writable directory.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = tmpdir();
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    steps.push({ step: 'cpu', ok: true, detail: `the npm package webgpu did not load (${(e as Error).message}); using the CPU backend` });
    return { gpu: null, chosen: 'cpu', steps };
  }
  Object.assign(globalThis, webgpu.globals);
  const originalIcd = process.env.VK_ICD_FILENAMES;
  const icd = swiftshaderIcd ?? process.env.QMOE_SWIFTSHADER_ICD ?? DEFAULT_SWIFTSHADER_ICD;
  const attempts: Attempt[] = [
    {
      step: 'vulkan-system',
      prepare: () => {
        if (originalIcd === undefined) delete process.env.VK_ICD_FILENAMES;
        else process.env.VK_ICD_FILENAMES = originalIcd;
        return null;
      },
    },
    {
      step: 'vulkan-nvidia-egl',
      prepare: () => {
        if (!hasNvidiaEgl()) return 'no libEGL_nvidia.so.0 on this machine';
        const file = join(tmpdir(), 'qmoe_nvidia_egl_icd.json');
        writeFileSync(file, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: 'libEGL_nvidia.so.0', api_version: '1.3' } }));
        process.env.VK_ICD_FILENAMES = file;
        return null;
      },
    },
    {
      step: 'swiftshader',
      prepare: () => {
        if (!existsSync(icd)) return `${icd} not found (Debian: apt-get install chromium)`;
        process.env.VK_ICD_FILENAMES = icd;
        return null;
      },
    },
  ];
  for (const attempt of attempts) {
    if (skip.has(attempt.step)) {
      steps.push({ step: attempt.step, ok: false, detail: 'skipped on request' });
      continue;
    }
    const notApplicable = attempt.prepare();
    if (notApplicable) {
      steps.push({ step: attempt.step, ok: false, detail: notApplicable });
      continue;
    }
    const where = process.env.VK_ICD_FILENAMES ? `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` : 'the Vulkan loader defaults';
    try {
      const instance = webgpu.create(['backend=vulkan']);
      keep.push(instance);
      const adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) {
        steps.push({ step: attempt.step, ok: false, detail: `no usable Vulkan adapter with ${where} (Dawn rejected or found none)` });
        continue;
      }
      const gpu = await openDevice(adapter, attempt.step);
      steps.push({ step: attempt.step, ok: true, detail: `${gpu.adapterName} with ${where}` });
      return { gpu, chosen: attempt.step, steps };
    } catch (e) {
      steps.push({ step: attempt.step, ok: false, detail: `failed with ${where}: ${(e as Error).message}` });
    }
  }
  if (originalIcd === undefined) delete process.env.VK_ICD_FILENAMES;
  else process.env.VK_ICD_FILENAMES = originalIcd;
  steps.push({ step: 'cpu', ok: true, detail: 'no WebGPU adapter; using the CPU backend' });
  return { gpu: null, chosen: 'cpu', steps };
}
