import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { serviceWorker } from './scripts/service-worker-plugin.ts';

export default defineConfig({
  plugins: [react(), serviceWorker()],
  build: {
    outDir: 'dist',
    // The MLS stack is most of the bundle; splitting it out is tracked in docs/benchmarks.md.
    chunkSizeWarningLimit: 700,
    emptyOutDir: true,
    target: 'es2023',
    sourcemap: false,
  },
});
