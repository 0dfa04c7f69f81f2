/**
 * Build-time parts of the static site (vite.config.ts):
 * - the Content-Security-Policy, as a <meta> in the built index.html and as `_headers` for static hosts
 *   that read one (Netlify, Cloudflare Pages); `vite preview` sends it as a header too. The dev server has
 *   none: React's fast refresh needs an inline script there.
 * - the service worker (src/sw/sw.ts) bundled into dist/sw.js with this build's id and file list;
 * - content versions of the built-in model files (src/models/versions.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { build, type Plugin } from 'vite';
// COOP/COEP (cross-origin isolation: the CPU backend's gemm threads): the service worker adds the same ones
import { ISOLATION_HEADERS } from '../src/sw/core';

export { ISOLATION_HEADERS };

/**
 * script-src: only the site's own files; 'wasm-unsafe-eval' lets onnxruntime-web (and the studio's own
 * wasm) compile WebAssembly, without allowing eval. connect-src: the site, plus the Hugging Face hub and
 * the CDNs its downloads redirect to, used only when you ask for a hub model, plus an LLM server on this
 * machine (llama.cpp, Ollama, vLLM on localhost) for the Synthesize stage. A hosted LLM API is not let
 * through: the studio sends document text only where its host allows (edit `_headers` to add one, or use
 * `stm synth` from the command line).
 */
export const CSP_DIRECTIVES: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self' 'wasm-unsafe-eval'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'font-src': "'self'",
  'connect-src':
    "'self' https://huggingface.co https://*.huggingface.co https://*.hf.co http://localhost:* http://127.0.0.1:*",
  'worker-src': "'self'",
  'manifest-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'self'",
  'form-action': "'self'",
};
export const CSP = Object.entries(CSP_DIRECTIVES)
  .map(([k, v]) => `${k} ${v}`)
  .join('; ');
/** frame-ancestors only works as a header */
export const CSP_HEADER = `${CSP}; frame-ancestors 'none'`;

export function cspPlugin(): Plugin {
  return {
    name: 'stm-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP },
        injectTo: 'head-prepend',
      },
    ],
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: '_headers',
        source:
          `/*\n  Content-Security-Policy: ${CSP_HEADER}\n  X-Content-Type-Options: nosniff\n` +
          Object.entries(ISOLATION_HEADERS)
            .map(([k, v]) => `  ${k}: ${v}\n`)
            .join(''),
      });
    },
  };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** `<path under public/models>` -> first 16 hex digits of its SHA-256. */
export function modelVersions(publicDir: string): Record<string, string> {
  const root = join(publicDir, 'models');
  const out: Record<string, string> = {};
  let files: string[] = [];
  try {
    files = walk(root);
  } catch {
    return out; // no models prepared (npm run prepare-assets makes them)
  }
  for (const f of files.sort())
    out[relative(root, f).split(sep).join('/')] = sha256(readFileSync(f)).slice(0, 16);
  return out;
}

/** Emits sw.js: src/sw/sw.ts as one classic script with this build's id and the files to precache. */
export function serviceWorkerPlugin(opts: { entry: string; models: Record<string, string> }): Plugin {
  return {
    name: 'stm-service-worker',
    apply: 'build',
    enforce: 'post',
    async generateBundle(_, bundle) {
      const files = Object.keys(bundle)
        .filter((f) => !f.endsWith('.map') && f !== '_headers' && f !== 'sw.js')
        .sort();
      const precache = ['./', ...files, 'manifest.webmanifest', 'icon.svg'];
      const id = sha256(JSON.stringify([files, opts.models])).slice(0, 12);
      const out = await build({
        configFile: false,
        logLevel: 'warn',
        define: {
          __STM_BUILD__: JSON.stringify(id),
          __STM_PRECACHE__: JSON.stringify(precache),
          __STM_MODELS__: JSON.stringify(Object.entries(opts.models).map(([f, v]) => `models/${f}?v=${v}`)),
        },
        build: {
          write: false,
          minify: false,
          emptyOutDir: false,
          lib: { entry: opts.entry, formats: ['iife'], name: 'stmServiceWorker', fileName: () => 'sw.js' },
        },
      });
      const outputs = (Array.isArray(out) ? out : [out]) as { output: { code?: string }[] }[];
      const code = outputs[0].output[0].code;
      if (!code) throw new Error('service worker build gave no code');
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: code });
    },
  };
}
