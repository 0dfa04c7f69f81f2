import { defineConfig } from '@playwright/test';
import { CHROMIUM_BASE_ARGS } from './scripts/chromium-args';

/** STM_E2E_PORT lets several checkouts run their e2e tests side by side (default 4173). */
const PORT = Number(process.env.STM_E2E_PORT ?? 4173);

/** Debian's Chromium (never a downloaded browser) with SwiftShader WebGPU. */
const CHROMIUM = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_BASE_ARGS, '--disable-gpu'],
  },
};
const LONG_SPECS = /[/\\](train|merge|quota|csp|models|prompts)\.spec\.ts$/;

/** End-to-end tests of the built app (run `npm run build` first) in the system's Chromium. */
export default defineConfig({
  testDir: 'e2e',
  // test-assets/tiny-models (imported by e2e/models.spec.ts) are generated here when absent or stale
  globalSetup: './e2e/global-setup.ts',
  timeout: 300_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  // two spec files at a time (STM_E2E_WORKERS overrides): a spec's page mostly waits on one busy thread (the
  // engine worker, or SwiftShader's queue), so a second browser fills the other core of a 2-core CI machine
  workers: Number(process.env.STM_E2E_WORKERS ?? 2),
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${PORT}/`,
    viewport: { width: 1360, height: 900 },
    trace: 'retain-on-failure',
  },
  // the long specs (35-60 s each in CI) are queued first, so that the short ones fill the end on both workers
  projects: [
    { name: 'chromium-long', testMatch: LONG_SPECS, use: CHROMIUM },
    { name: 'chromium', testIgnore: LONG_SPECS, use: CHROMIUM },
  ],
  webServer: {
    command: `npx vite preview --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
