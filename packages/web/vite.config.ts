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
    rollupOptions: {
      // Our own packages run no code on import (they only declare), so what the app never uses is
      // dropped: without this, the SDK barrel drags the room code (lazily loaded) into the first download.
      treeshake: { moduleSideEffects: (id: string) => !/\/packages\/(sdk|crypto|protocol)\/src\//.test(id) },
    },
  },
});
