import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { wasmSimdAvailable } from '../../src/cpu/wasm.js';

describe('the WebAssembly kernels', () => {
  it('load here (Node has WebAssembly SIMD)', () => {
    expect(wasmSimdAvailable()).toBe(true);
  });

  it('the committed src/cpu/wasm-binary.ts is a fresh build of wasm/cpu-kernels.ts', () => {
    const out = execFileSync(process.execPath, ['wasm/build.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/matches/);
  });
});
