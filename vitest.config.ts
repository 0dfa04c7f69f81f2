import { readdirSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Test files that touch WebGPU (SwiftShader in CI, a CPU Vulkan that spreads a dispatch over every core) run
 * one at a time, after the others: GPU kernels would only fight each other for the 2 cores. Every other file
 * is plain JS on one core (the CPU backend's gemm helpers aside), so two run side by side.
 */
const GPU_FILE = /webgpu|backendCases/i;
const testFiles = readdirSync('src', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `src/${f}`);
const gpuFiles = testFiles.filter((f) => GPU_FILE.test(readFileSync(f, 'utf8')));

/** What both projects share (the global setup is the root's: it runs once). */
const common = {
  environment: 'node',
  testTimeout: 120_000,
  hookTimeout: 120_000,
  env: {
    VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
    XDG_RUNTIME_DIR: '/tmp',
  },
} as const;

export default defineConfig({
  test: {
    // generates test-assets/tiny-models (tiny random HF models + ONNX exports) when absent or stale, and
    // bundles the CLI for the tests that spawn it
    globalSetup: ['scripts/vitest-global-setup.ts'],
    projects: [
      {
        test: {
          ...common,
          name: 'cpu',
          include: ['src/**/*.test.ts'],
          exclude: gpuFiles,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: 'webgpu',
          include: gpuFiles,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
