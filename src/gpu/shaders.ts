import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { KERNELS, type ShaderName } from './kernels.js';
import { opCodesWgsl } from './op-codes.js';
import { structWgsl } from './uniforms.js';

export type { ShaderName } from './kernels.js';

/**
 * Library files generated from TypeScript (the one source of their values), included like the
 * files of shaders/lib/.
 */
const GENERATED: Record<string, () => string> = {
  'gen/ops.wgsl': opCodesWgsl,
};

let bundled: Record<string, string> | null | undefined;

/** Every .wgsl file under shaders/ (kernels and lib/) as Vite bundles them, by path; null under plain Node. */
export function bundledShaderFiles(): Record<string, string> | null {
  if (bundled !== undefined) return bundled;
  try {
    const files = import.meta.glob<string>('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true });
    bundled = Object.fromEntries(Object.entries(files).map(([path, text]) => [path.replace(/^.*?\/shaders\//, ''), text]));
  } catch {
    bundled = null; // plain Node: import.meta.glob does not exist
  }
  return bundled;
}

/** The text of shaders/PATH (e.g. 'statevector.wgsl', 'lib/amp.wgsl'), or undefined when there is no such file. */
async function readShaderFile(path: string): Promise<string | undefined> {
  const files = bundledShaderFiles();
  if (files) return files[path];
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(new URL(`../../shaders/${path}`, import.meta.url), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const INCLUDE = /^[ \t]*#include\b(.*)$/;
const STRUCT = /^[ \t]*#struct\b(.*)$/;

/**
 * Resolves `#include "lib/NAME.wgsl"` (a file of shaders/lib/, or `gen/...` generated from
 * TypeScript) recursively, each file once (a second include of a file is dropped), and
 * `#struct NAME` (the kernel's uniform struct NAME from src/gpu/kernels.ts). Runs before
 * wgsl-preprocessor, so included files may hold `#if ${FLAG}` blocks of their own.
 */
export async function resolveIncludes(kernel: ShaderName, path: string, text: string, seen = new Set<string>([path])): Promise<string> {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const include = INCLUDE.exec(line);
    if (include) {
      const target = /^\s*"([^"]+)"\s*(\/\/.*)?$/.exec(include[1])?.[1];
      if (!target) throw new Error(`shaders/${path}: malformed #include (want #include "lib/NAME.wgsl"): ${line.trim()}`);
      if (seen.has(target)) continue;
      seen.add(target);
      const generated = GENERATED[target];
      let body: string | undefined;
      if (generated) body = generated();
      else if (/^lib\/[\w-]+\.wgsl$/.test(target)) body = await readShaderFile(target);
      if (body === undefined) throw new Error(`shaders/${path}: #include "${target}": no such shader library file (shaders/lib/*.wgsl or ${Object.keys(GENERATED).join(', ')})`);
      out.push(`// ---- begin ${target}`, await resolveIncludes(kernel, target, body, seen), `// ---- end ${target}`);
      continue;
    }
    const struct = STRUCT.exec(line);
    if (struct) {
      const name = /^\s*(\w+)\s*(\/\/.*)?$/.exec(struct[1])?.[1];
      const structs = KERNELS[kernel].structs as Record<string, Parameters<typeof structWgsl>[0]>;
      if (!name || !structs[name]) {
        throw new Error(`shaders/${path}: #struct ${struct[1].trim()}: kernel ${kernel} declares no such uniform struct in src/gpu/kernels.ts (it has ${Object.keys(structs).join(', ')})`);
      }
      out.push(structWgsl(structs[name]));
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/**
 * Loads shaders/NAME.wgsl, resolves its includes and uniform structs, then its `#if ${FLAG}`
 * blocks with wgsl-preprocessor. Every flag of the kernel (KERNELS[name].flags) must be given.
 */
export async function loadShader(name: ShaderName, flags: Record<string, boolean> = {}): Promise<string> {
  const kernel = KERNELS[name];
  if (!kernel) throw new Error(`unknown shader ${name}`);
  const path = `${name}.wgsl`;
  const source = await readShaderFile(path);
  if (source === undefined) throw new Error(`shader ${path} is not ${bundledShaderFiles() ? 'bundled' : 'in shaders/'}`);
  for (const flag of kernel.flags as readonly string[]) if (!(flag in flags)) throw new Error(`shader ${path} needs flag ${flag}`);
  flags = { ...flags, ...('fixed' in kernel ? kernel.fixed : {}) };
  const text = await resolveIncludes(name, path, source);
  const parts = text.split(/\$\{(\w+)\}/);
  const strings = parts.filter((_, i) => i % 2 === 0);
  const values = parts
    .filter((_, i) => i % 2 === 1)
    .map((flag) => {
      if (!(flag in flags)) throw new Error(`shader ${path} (or a file it includes) needs flag ${flag}`);
      return flags[flag];
    });
  return wgsl(Object.assign([...strings], { raw: [...strings] }) as TemplateStringsArray, ...values);
}
