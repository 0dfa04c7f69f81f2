/**
 * Content versions of the built-in model files (`models/<path>` -> first 16 hex digits of its SHA-256),
 * computed by the build (scripts/vite-site.ts). Model URLs carry them (`?v=`), so the service worker can
 * keep each file with the build whose code reads it and refuse a file from another build.
 * Outside a Vite build (Node, tests) there are none.
 */
declare const __STM_MODEL_VERSIONS__: Record<string, string> | undefined;

const VERSIONS: Record<string, string> =
  typeof __STM_MODEL_VERSIONS__ === 'undefined' ? {} : __STM_MODEL_VERSIONS__;

/** `models/<path>` with its `?v=` when the build knows the file. */
export function versionedModelPath(path: string): string {
  const v = VERSIONS[path];
  return v ? `models/${path}?v=${v}` : `models/${path}`;
}
