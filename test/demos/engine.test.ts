import { describe, expect, it } from 'vitest';
import { disposeMapBackends, makeEngine, mapModel } from '../../demos/lib/engine.js';
import { initParams, makeSpec } from '../../src/moe/models.js';
import { CpuModel } from '../../src/moe/forward-cpu.js';
import { mulberry32 } from '../helpers/random.js';

describe("the playground's engines under noise", () => {
  // The maps and probes must show the model as it trains: under noise, both quantum circuits noisy,
  // each with its own channels (the experts' circuit once took the router's noise model).
  it.each([
    { router: 'quantum' as const, preset: 'code' as const },
    { router: 'quantum' as const, preset: 'paper' as const },
    { router: 'linear' as const, preset: 'code' as const },
  ])('$router router with quantum experts ($preset): the maps\' model gives the noisy engine\'s class probabilities', async ({ router, preset }) => {
    const spec = makeSpec({ router, preset, features: 2, classes: 2, layers: 1, experts: 2, expertsKind: 'quantum', expertLayers: 1 });
    const made = await makeEngine(spec, 'cpu', 0.01, { p: 0.05, seed: 3 });
    try {
      expect(made.gateNoise?.circuits).toEqual(router === 'quantum' ? ['router', 'experts'] : ['experts']);
      expect(made.info.label).toMatch(router === 'quantum' ? /noisy circuits/ : /noisy circuit /);
      const rng = mulberry32(5);
      const rows = 6;
      const x = Float64Array.from({ length: rows * 2 }, () => rng() * Math.PI);
      const params = initParams(spec, { seed: 1 });
      await made.engine.setParams(params);
      const engineProbs = await made.engine.predict(x, rows);
      const maps = mapModel(spec, made);
      const mapProbs = (await maps.forward(params, x, rows)).probs;
      const clean = (await new CpuModel(spec).forward(params, x, rows)).probs;
      let same = 0, noisy = 0;
      for (let i = 0; i < mapProbs.length; i++) {
        same = Math.max(same, Math.abs(mapProbs[i] - engineProbs[i]));
        noisy = Math.max(noisy, Math.abs(mapProbs[i] - clean[i]));
      }
      expect(same).toBeLessThan(1e-12);
      expect(noisy, 'the noise changes the probabilities').toBeGreaterThan(1e-4);
    } finally {
      made.engine.dispose();
      disposeMapBackends(made);
    }
  });
});
