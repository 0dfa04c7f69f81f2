/* global module */
/** Import-cycle check run by `npm run lint`: no value-import cycle between files of src/ (type-only imports
 * are erased at compile time and are not followed). Folder-level cycles are checked by ../shared/tools/cycles.py. */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A value-import cycle between files: move the shared part below both.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.(wgsl|wat|css)$' },
  },
};
