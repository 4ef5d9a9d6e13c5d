import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          // The Electron shell, and the CLI / web host entry (bin/mer-studio.js runs it).
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli/index.ts'),
          // Worker threads, each its own entry (see src/main/app/workers.ts).
          'landmark-worker': resolve(__dirname, 'src/main/face/landmark-worker.ts'),
          'motion-worker': resolve(__dirname, 'src/main/motion/motion-worker.ts'),
          'model-worker': resolve(__dirname, 'src/main/model/model-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // Sandboxed preload scripts must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') },
    },
    plugins: [svelte()],
  },
});
