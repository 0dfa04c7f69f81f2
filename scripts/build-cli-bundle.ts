/**
 * The `stm` CLI as one ES module for the tests that run it as a child process (src/testing/cli.ts).
 * `tsx src/cli/main.ts` spends about a second per start transforming ~750 modules; `node` on this bundle
 * starts in about 0.2 s, and the command's own code is the same: esbuild transforms the TypeScript as tsx
 * does (keepNames too), packages stay imports of node_modules, and every `import.meta.url` is the URL of
 * the source file it is written in, so `new URL('../../shaders/x.wgsl', import.meta.url)` finds the same
 * file. The browser-only ORT asset module (a Vite `?url` import, never loaded in Node) stays an import.
 * Built by the Vitest global setup (scripts/vitest-global-setup.ts) at every run and on a watch-mode rerun.
 */
import { renameSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Under the checkout (so `node` resolves the packages from its node_modules), git-ignored. */
export const CLI_BUNDLE = join(ROOT, 'test-assets', 'cli', 'main.mjs');

const sourceUrls: Plugin = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onResolve({ filter: /^\.\/wasm-asset$/ }, (a) => ({ path: a.path, external: true }));
    b.onLoad({ filter: /\.tsx?$/ }, async (a) => {
      const src = await readFile(a.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(a.path).href);
      return {
        contents: src.replaceAll('import.meta.url', url),
        loader: a.path.endsWith('x') ? 'tsx' : 'ts',
      };
    });
  },
};

/** Writes CLI_BUNDLE (whole, by rename, so a test never reads half a file); returns its path. */
export async function buildCliBundle(out = CLI_BUNDLE): Promise<string> {
  const { build } = await import('esbuild');
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    keepNames: true,
    logLevel: 'warning',
    plugins: [sourceUrls],
  });
  renameSync(tmp, out);
  return out;
}
