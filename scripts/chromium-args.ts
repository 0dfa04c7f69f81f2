/**
 * Debian's Chromium as the e2e tests (playwright.config.ts) and the browser benchmark
 * (src/cli/bench-browser.ts) launch it: no sandbox (root in CI), nothing fetched in the background,
 * WebGPU on. The tests add --disable-gpu (SwiftShader, the same on every machine); the benchmark adds
 * the flags that let it use the machine's GPU.
 */
export const CHROMIUM_BASE_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];
