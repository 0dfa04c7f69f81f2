import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import {
  CSP_HEADER,
  cspPlugin,
  ISOLATION_HEADERS,
  modelVersions,
  serviceWorkerPlugin,
} from './scripts/vite-site';

const models = modelVersions('public');

// Relative base so the built site works from any static host path, offline.
export default defineConfig({
  base: './',
  plugins: [react(), cspPlugin(), serviceWorkerPlugin({ entry: 'src/sw/sw.ts', models })],
  define: { __STM_MODEL_VERSIONS__: JSON.stringify(models) },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    // shaders as files, not data: URLs (the CSP's connect-src has no data:)
    assetsInlineLimit: (file: string) => (file.endsWith('.wgsl') ? false : undefined),
  },
  // cross-origin isolated (the CPU backend's gemm threads need SharedArrayBuffer)
  server: { fs: { allow: ['..'] }, headers: ISOLATION_HEADERS },
  // the built site as a static host would serve it, with the policy as a header (workers included)
  preview: { headers: { 'Content-Security-Policy': CSP_HEADER, ...ISOLATION_HEADERS } },
});
