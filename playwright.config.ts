import { defineConfig } from '@playwright/test';

/** STM_E2E_PORT lets several checkouts run their e2e tests side by side (default 4173). */
const PORT = Number(process.env.STM_E2E_PORT ?? 4173);

/** End-to-end tests of the built app (run `npm run build` first) in the system's Chromium. */
export default defineConfig({
  testDir: 'e2e',
  // test-assets/tiny-models (imported by e2e/models.spec.ts) are generated here when absent or stale
  globalSetup: './e2e/global-setup.ts',
  timeout: 300_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${PORT}/`,
    viewport: { width: 1360, height: 900 },
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--enable-unsafe-webgpu',
          ],
        },
      },
    },
  ],
  webServer: {
    command: `npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
