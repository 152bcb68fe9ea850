import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

/** Kernel files in shaders/. */
export type ShaderName = 'angles' | 'init_state' | 'measure' | 'statevector' | 'copy' | 'adjoint' | 'reduce_rows' | 'param_matrices' | 'moe_head' | 'adam' | 'density' | 'trajectories' | 'noisy_adjoint';

let bundled: Record<string, string> | null | undefined;

/** Shader files as Vite bundles them (browser builds, vitest); null under plain Node. */
function viteShaders(): Record<string, string> | null {
  try {
    const files = import.meta.glob<string>('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });
    return Object.fromEntries(Object.entries(files).map(([path, text]) => [path.replace(/^.*\/(\w+)\.wgsl$/, '$1'), text]));
  } catch {
    return null; // plain Node: import.meta.glob does not exist
  }
}

async function readShader(name: ShaderName): Promise<string> {
  if (bundled === undefined) bundled = viteShaders();
  if (bundled) {
    const text = bundled[name];
    if (text === undefined) throw new Error(`shader ${name}.wgsl is not bundled`);
    return text;
  }
  const { readFile } = await import('node:fs/promises');
  return readFile(new URL(`../../shaders/${name}.wgsl`, import.meta.url), 'utf8');
}

/**
 * Loads shaders/NAME.wgsl and resolves its `#if ${FLAG}` blocks with wgsl-preprocessor.
 * Every flag the file names must be given.
 */
export async function loadShader(name: ShaderName, flags: Record<string, boolean> = {}): Promise<string> {
  const text = await readShader(name);
  const parts = text.split(/\$\{(\w+)\}/);
  const strings = parts.filter((_, i) => i % 2 === 0);
  const values = parts
    .filter((_, i) => i % 2 === 1)
    .map((flag) => {
      if (!(flag in flags)) throw new Error(`shader ${name}.wgsl needs flag ${flag}`);
      return flags[flag];
    });
  return wgsl(Object.assign([...strings], { raw: [...strings] }) as TemplateStringsArray, ...values);
}
