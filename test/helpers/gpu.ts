import { afterAll, beforeAll } from 'vitest';
import { acquireGpu } from '../../src/gpu/acquire.js';
import type { GpuContext } from '../../src/gpu/context.js';

/**
 * The GPU for tests. A missing adapter fails the test run (CI must prove the kernels on
 * SwiftShader); set QMOE_SKIP_GPU_TESTS=1 to skip GPU tests on purpose.
 */
export const skipGpu = process.env.QMOE_SKIP_GPU_TESTS === '1';

export async function testGpu(): Promise<GpuContext> {
  const acquisition = await acquireGpu();
  if (!acquisition.gpu) {
    throw new Error(
      `no WebGPU adapter for the GPU tests (install Debian's chromium for SwiftShader, or set QMOE_SKIP_GPU_TESTS=1): ${JSON.stringify(acquisition.steps)}`,
    );
  }
  return acquisition.gpu;
}

/**
 * A WebGPU device for the tests of the enclosing describe block: acquired before them, destroyed
 * after them. Call the returned function inside a test.
 */
export function gpuForTests(): () => GpuContext {
  let gpu: GpuContext | undefined;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());
  return () => gpu!;
}
