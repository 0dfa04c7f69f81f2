import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // generates test-assets/tiny-models (tiny random HF models + ONNX exports) when absent or stale
    globalSetup: ['scripts/vitest-global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // SwiftShader WebGPU is a CPU Vulkan: run test files one at a time so kernels do not fight for 2 cores.
    fileParallelism: false,
    env: {
      VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
      XDG_RUNTIME_DIR: '/tmp',
    },
  },
});
