import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const page = (name: string) => here(`./demos/${name}.html`);

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const RESERVED = new Set(['default', 'delete', 'new', 'class', 'function', 'var', 'let', 'const', 'import', 'export', 'enum', 'await', 'yield']);

/**
 * Keeps Node-only code out of the browser bundle without touching src/:
 *  - src/gpu/acquire.ts imports its Node half (acquire-node.ts: the npm `webgpu` binding, Vulkan
 *    ICD files) only when it runs under Node; in the browser that import resolves to a stub.
 *  - any other `node:` import on a browser code path (src/ modules that also read files in Node,
 *    e.g. the image data sets behind src/train/dataset.ts) resolves to a module with the same
 *    export names whose functions throw "Node-only" when called. Importing such a module is then
 *    harmless in the page (in `vite` dev mode too, where Vite's own placeholder has no named
 *    exports and the import itself would fail); only calling one of its Node functions fails.
 */
function browserOnly(): Plugin {
  const acquireStub = '\0qmoe-acquire-node-stub';
  const nodeStub = '\0qmoe-node-stub:';
  return {
    name: 'qmoe-browser-only',
    enforce: 'pre',
    resolveId(id, importer, options) {
      if (options?.ssr) return null;
      if (id === './acquire-node.js' && importer && /src[\\/]gpu[\\/]acquire\.ts$/.test(importer)) return acquireStub;
      if (NODE_BUILTINS.has(id)) return nodeStub + id.replace(/^node:/, '');
      return null;
    },
    async load(id) {
      if (id === acquireStub) return 'export async function acquireInNode() { throw new Error("acquire-node is Node-only"); }';
      if (!id.startsWith(nodeStub)) return null;
      const name = id.slice(nodeStub.length);
      const keys = Object.keys(await import(`node:${name}`)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && !RESERVED.has(k));
      const fail = `(what) => function () { throw new Error('node:${name}.' + what + ' is Node-only: not available in the browser'); }`;
      return [`const fail = ${fail};`, ...keys.map((k) => `export const ${k} = fail(${JSON.stringify(k)});`), `export default new Proxy({}, { get: (_, k) => fail(String(k)) });`].join('\n');
    },
  };
}


// The browser app lives in demos/ (playground, noise sweep, kernel check); it imports the same
// src/ and shaders/ as Node. `base: './'` makes dist/demos work from any static host and path.
export default defineConfig({
  root: 'demos',
  base: './',
  plugins: [browserOnly()],
  // The playground's worker (demos/worker.ts) imports the same src/ code: ES modules (it loads
  // code on demand) and the same Node-only stubs.
  worker: { format: 'es', plugins: () => [browserOnly()] },
  build: {
    outDir: '../dist/demos',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { index: page('index'), noise: page('noise'), check: page('check') } },
  },
  server: { fs: { allow: ['..'] } },
});
