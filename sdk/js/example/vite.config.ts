import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The example compiles against the SDK's source, so no build of the package is needed first.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: {
      '@hellojohn/react': fileURLToPath(new URL('../src/index.ts', import.meta.url)),
    },
  },
  oxc: { jsx: { runtime: 'automatic' } },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { outDir: 'dist', emptyOutDir: true },
});
