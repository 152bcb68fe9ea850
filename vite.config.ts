import { defineConfig } from 'vite';

// The browser demos live in demos/; they import the same src/ and shaders/ as Node.
export default defineConfig({
  root: 'demos',
  base: './',
  build: { outDir: '../dist/demos', emptyOutDir: true, target: 'es2022' },
  server: { fs: { allow: ['..'] } },
});
