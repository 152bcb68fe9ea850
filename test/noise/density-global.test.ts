import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { densityProbabilitiesCpu } from '../../src/noise/density-cpu.js';
import { chooseDensityPath, densityProbabilitiesGpu } from '../../src/noise/density-gpu.js';
import { noiseSchedule } from '../../src/noise/model.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';
import { maxAbsDiff, randomNoisyCase } from './helpers.js';

/** f32 against float64, absolute error on probabilities (as the other density tests). */
const TOL = 1e-5;

describe.skipIf(skipGpu)("density matrices spread over many workgroups (path 'spread') against densityProbabilitiesCpu", () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  // Random circuits of every gate kind, both noise placements, readout error, odd batches.
  it.each([
    { n: 1, rows: 5 },
    { n: 2, rows: 3 },
    { n: 3, rows: 7 },
    { n: 5, rows: 3 },
    { n: 6, rows: 5 },
    { n: 8, rows: 3 },
  ])('n=$n rows=$rows', async ({ n, rows }) => {
    const { circuit, input, model } = randomNoisyCase(4000 + 10 * n + rows, n, 3 * n + 6, rows);
    const schedule = noiseSchedule(circuit, model);
    const want = densityProbabilitiesCpu(schedule, input);
    const got = await densityProbabilitiesGpu(gpu, schedule, input, { path: 'spread' });
    expect(maxAbsDiff(got, want)).toBeLessThan(TOL);
  });

  it("is what 'auto' takes beyond workgroup memory, and chunks change nothing", async () => {
    const storage = gpu.limits.maxComputeWorkgroupStorageSize;
    for (let n = 1; n <= 11; n++) expect(chooseDensityPath(gpu, n)).toBe(4 ** n * 8 <= storage ? 'fused' : 'spread');
    const { circuit, input, model } = randomNoisyCase(4100, 7, 20, 5);
    const schedule = noiseSchedule(circuit, model);
    const whole = await densityProbabilitiesGpu(gpu, schedule, input);
    // One 7-qubit density matrix is 128 KiB: one row per chunk.
    const chunked = await densityProbabilitiesGpu(gpu, schedule, input, { maxChunkBytes: 150_000 });
    expect(maxAbsDiff(chunked, whole)).toBeLessThan(1e-7);
    expect(maxAbsDiff(whole, densityProbabilitiesCpu(schedule, input))).toBeLessThan(TOL);
  });
});
