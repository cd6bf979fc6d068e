import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Development: `pnpm --filter @ocs/admin dev` serves the app and forwards the API to the server
// (same origin in the browser, as in production where the server serves dist/).
const apiUrl = process.env.OCS_API_URL ?? 'http://127.0.0.1:5000';

export default defineConfig({
  // The server serves the app under /admin/ (its client routes never shadow an API path).
  base: '/admin/',
  plugins: [react()],
  // The outcome table and run statuses come from @ocs/domain's source (its dist is built for
  // publishing only), so `vite build` works on a fresh clone without building it first.
  resolve: {
    alias: {
      '@ocs/domain': fileURLToPath(new URL('../../packages/domain/src/index.ts', import.meta.url)),
    },
  },
  server: {
    port: 5173,
    proxy: { '/trpc': { target: apiUrl, changeOrigin: true } },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
