import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNELS, type ShaderName } from '../../src/gpu/kernels.js';
import { OP_KIND, PASS_KIND, opCodesWgsl } from '../../src/gpu/op-codes.js';
import { bundledShaderFiles, loadShader, resolveIncludes } from '../../src/gpu/shaders.js';
import { packUniform, structWgsl, uniformStruct } from '../../src/gpu/uniforms.js';
import { gpuForTests, skipGpu } from '../helpers/gpu.js';

const SHADERS = new URL('../../shaders/', import.meta.url).pathname;

/** Every .wgsl file under shaders/, by its path there ('statevector.wgsl', 'lib/amp.wgsl'). */
function shaderFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(join(SHADERS, dir), { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (entry.name.endsWith('.wgsl')) out[`${prefix}${entry.name}`] = readFileSync(join(SHADERS, dir, entry.name), 'utf8');
    }
  };
  walk('.', '');
  return out;
}

/** Every flag combination of a kernel. */
function variants(name: ShaderName): Record<string, boolean>[] {
  const flags = KERNELS[name].flags as readonly string[];
  return Array.from({ length: 2 ** flags.length }, (_, m) => Object.fromEntries(flags.map((f, i) => [f, ((m >> i) & 1) === 1])));
}

const kernels = Object.keys(KERNELS) as ShaderName[];

describe('shader library and includes', () => {
  it('KERNELS lists exactly the kernel files of shaders/', () => {
    const files = Object.keys(shaderFiles());
    expect(files.filter((f) => !f.includes('/')).sort()).toEqual(kernels.map((k) => `${k}.wgsl`).sort());
    expect(files.some((f) => f.startsWith('lib/'))).toBe(true);
  });

  it('bundles every file, lib/ included, with the text on disk (the Vite build and Node read the same sources)', () => {
    const bundled = bundledShaderFiles();
    expect(bundled, 'vitest runs through Vite: import.meta.glob must be available').not.toBeNull();
    expect(bundled).toEqual(shaderFiles());
  });

  it('defines no WGSL function in two files', () => {
    const where = new Map<string, Set<string>>();
    for (const [path, text] of Object.entries(shaderFiles())) {
      for (const m of text.matchAll(/^\s*fn\s+(\w+)\s*\(/gm)) {
        if (m[1] === 'main') continue;
        if (!where.has(m[1])) where.set(m[1], new Set());
        where.get(m[1])!.add(path);
      }
    }
    const twice = [...where].filter(([, files]) => files.size > 1).map(([fn, files]) => `${fn}: ${[...files].join(', ')}`);
    expect(twice).toEqual([]);
  });

  it('includes each file once, recursively, and generated files from TypeScript', async () => {
    const text = await resolveIncludes('adjoint', 'x.wgsl', '#include "lib/gates.wgsl"\n#include "lib/amp.wgsl"\n#include "lib/gates.wgsl"\n');
    // gates.wgsl includes amp.wgsl and bits.wgsl, amp.wgsl includes complex.wgsl.
    for (const fn of ['matrix', 'mul', 'cmul', 'pair_first']) expect(text.match(new RegExp(`fn ${fn}\\(`, 'g'))?.length ?? 0, fn).toBe(fn === 'mul' ? 2 : 1);
    expect(text.match(/const OP_SWAP: u32 = 2u;/g)).toHaveLength(1);
    const ops = opCodesWgsl();
    for (const [name, value] of Object.entries(OP_KIND)) expect(ops).toContain(`const OP_${name}: u32 = ${value}u;`);
    expect(ops).toContain(`const PASS_CUBE3: u32 = ${PASS_KIND.CUBE3}u;`);
    expect(ops).toContain('const OUTPUT_EXPECT_Z: u32 = 2u;');
  });

  it('names the file and the including file of an unknown include or struct', async () => {
    await expect(resolveIncludes('statevector', 'kernel.wgsl', '#include "lib/nope.wgsl"')).rejects.toThrow(/shaders\/kernel\.wgsl: #include "lib\/nope\.wgsl": no such shader library file/);
    await expect(resolveIncludes('statevector', 'kernel.wgsl', '#include lib/amp.wgsl')).rejects.toThrow(/kernel\.wgsl: malformed #include/);
    await expect(resolveIncludes('statevector', 'kernel.wgsl', '#include "../adam.wgsl"')).rejects.toThrow(/no such shader library file/);
    await expect(resolveIncludes('angles', 'kernel.wgsl', '#struct OpIndex')).rejects.toThrow(/kernel angles declares no such uniform struct .*\(it has Meta\)/);
    await expect(loadShader('measure', { REAL: true })).rejects.toThrow(/needs flag FULL/);
  });

  it('packs uniform structs in field order with WGSL scalar alignment', () => {
    const s = uniformStruct('Meta', { rows: ['u32', 'rows'], scale: ['f32', 'a scale'], shift: ['i32', 'a shift'], more: ['u32', 'x'], last: ['u32', 'y'] });
    expect(s.bytes).toBe(32);
    const bytes = new DataView(packUniform(s, { rows: 7, scale: 0.25, shift: -3, more: 0xffffffff, last: 1 }));
    expect([bytes.getUint32(0, true), bytes.getFloat32(4, true), bytes.getInt32(8, true), bytes.getUint32(12, true), bytes.getUint32(16, true)]).toEqual([7, 0.25, -3, 0xffffffff, 1]);
    expect(structWgsl(s)).toMatch(/^struct Meta \{[^]*rows: u32,[^]*scale: f32,[^]*shift: i32,[^]*\n\}$/);
    expect(() => packUniform(s, { rows: -1, scale: 0, shift: 0, more: 0, last: 0 })).toThrow(/Meta\.rows: -1 is not a u32/);
    expect(() => packUniform(s, { rows: 1.5, scale: 0, shift: 0, more: 0, last: 0 })).toThrow(/not a u32/);
    expect(() => packUniform(s, { rows: 1, scale: NaN, shift: 0, more: 0, last: 0 })).toThrow(/scale: NaN is not a number/);
  });

  it.each(kernels)('%s: every uniform struct field is read by the kernel, and the kernel reads only declared fields', async (name) => {
    const structs = KERNELS[name].structs as Record<string, { fields: readonly { name: string }[] }>;
    const read = new Map<string, Set<string>>();
    for (const flags of variants(name)) {
      const code = await loadShader(name, flags);
      for (const v of code.matchAll(/var<uniform>\s+(\w+)\s*:\s*(\w+)\s*;/g)) {
        const [, variable, struct] = v;
        expect(structs[struct], `${name}: struct ${struct} of ${variable}`).toBeDefined();
        if (!read.has(struct)) read.set(struct, new Set());
        for (const m of code.matchAll(new RegExp(`\\b${variable}\\.(\\w+)`, 'g'))) read.get(struct)!.add(m[1]);
      }
    }
    expect([...read.keys()].sort()).toEqual(Object.keys(structs).sort());
    for (const [struct, fields] of read) expect([...fields].sort(), `${name}.${struct}`).toEqual(structs[struct].fields.map((f) => f.name).sort());
  });
});

describe.skipIf(skipGpu)('every kernel variant compiles with its generated structs', () => {
  const device = gpuForTests();

  it.each(kernels)('%s', async (name) => {
    for (const flags of variants(name)) {
      const code = await loadShader(name, flags);
      expect(code).not.toMatch(/#(if|else|endif|include|struct)\b|\$\{/);
      const info = await device().device.createShaderModule({ code, label: name }).getCompilationInfo();
      const problems = info.messages.filter((m) => m.type !== 'info').map((m) => `${m.type} line ${m.lineNum}: ${m.message}`);
      expect(problems, `${name} ${JSON.stringify(flags)}`).toEqual([]);
    }
  });
});
