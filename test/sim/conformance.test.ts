import { afterAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import type { Backend, CircuitOutput } from '../../src/sim/backend.js';
import { CpuBackend } from '../../src/sim/backend-cpu.js';
import { CONFORMANCE_BACKENDS, CONFORMANCE_CASES, type ConformanceCase, maxAbsDiff, relDiff, upstreamFor } from '../helpers/conformance.js';
import { skipGpu, testGpu } from '../helpers/gpu.js';

/**
 * Every backend of test/helpers/conformance.ts on every case it accepts: outputs and state
 * vectors against the float64 CPU reference and the cases' exact values, adjoint gradients
 * against the float64 adjoint method.
 */
const reference = new CpuBackend();
const label = (o: CircuitOutput) => (o.kind === 'experts' ? `experts(${o.experts})` : o.kind);

/** A case's outputs through evaluate(), or by the method each has: probabilities(), expertProbabilities(), evaluate() for <Z>. */
function outputsOf(backend: Backend, c: ConformanceCase, output: CircuitOutput) {
  if (c.viaEvaluate) return backend.evaluate(c.circuit, c.input, output);
  if (output.kind === 'probabilities') return backend.probabilities(c.circuit, c.input);
  if (output.kind === 'experts') return backend.expertProbabilities(c.circuit, c.input, output.experts);
  return backend.evaluate(c.circuit, c.input, output);
}

async function check(backend: Backend, c: ConformanceCase, b: (typeof CONFORMANCE_BACKENDS)[number]): Promise<void> {
  for (const [i, output] of c.outputs.entries()) {
    const got = await outputsOf(backend, c, output);
    const want = await reference.evaluate(c.circuit, c.input, output);
    expect(maxAbsDiff(got, want), `${label(output)} against the reference`).toBeLessThanOrEqual(b.outputTol);
    for (const e of c.expected?.filter((x) => x.output === i) ?? []) expect(maxAbsDiff(got, e.values), `${label(output)} against the exact values`).toBeLessThanOrEqual(b.expectedTol);
  }
  if (c.states && b.states && c.input.rows <= 257) {
    expect(maxAbsDiff(await backend.states(c.circuit, c.input), await reference.states(c.circuit, c.input)), 'states').toBeLessThanOrEqual(b.outputTol);
  }
  if (b.gradientTol === undefined) return;
  for (const output of c.gradients ?? []) {
    const up = upstreamFor(c, output);
    const want = await reference.gradient(c.circuit, c.input, output, up, { features: b.featureGradients });
    const got = await backend.gradient(c.circuit, c.input, output, up, { features: b.featureGradients });
    expect(relDiff(got.params, want.params), `${label(output)} dL/dparams`).toBeLessThanOrEqual(b.gradientTol);
    if (b.featureGradients) {
      expect(relDiff(got.features!, want.features!), `${label(output)} dL/dfeatures`).toBeLessThanOrEqual(b.gradientTol);
      const paramsOnly = await backend.gradient(c.circuit, c.input, output, up);
      expect(paramsOnly.features, 'no feature gradient unless asked').toBeUndefined();
      expect(relDiff(paramsOnly.params, want.params), `${label(output)} dL/dparams without features`).toBeLessThanOrEqual(b.gradientTol);
    }
  }
}

// One device for the file, acquired before the tests are collected: which cases a backend
// accepts depends on the adapter's limits.
const gpu: GpuContext | null = skipGpu ? null : await testGpu();
afterAll(() => gpu?.destroy());

describe.each(CONFORMANCE_BACKENDS)('backend conformance: $name', (b) => {
  const cases = b.gpu && !gpu ? [] : CONFORMANCE_CASES.filter((c) => b.accepts(c, gpu));
  it.skipIf(cases.length === 0)('accepts cases', () => expect(cases.length).toBeGreaterThan(0));
  it.each(cases.map((c) => ({ name: c.name, c })))('$name', async ({ c }) => {
    const backend = b.make(gpu);
    try {
      await check(backend, c, b);
    } finally {
      backend.dispose();
    }
  });
});
