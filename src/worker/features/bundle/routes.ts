/** The bundle feature: export the whole project as one file, and import one (verified before anything is written). */
import { importBundle } from '../../../store/bundle-apply';
import { exportBundle } from '../../../store/bundle-export';
import type { Feature } from '../feature';
import { checkBundleRequest, type BundleRequestMap } from './protocol';

/** "stm-project-2026-12-03-1405.stmbundle" (UTC) */
export function bundleFileName(createdAt: string): string {
  return `stm-project-${createdAt.slice(0, 16).replace('T', '-').replace(':', '')}.stmbundle`;
}

export const bundle: Feature<BundleRequestMap> = {
  check: checkBundleRequest,
  routes: {
    'export-bundle': {
      queued: true,
      run: async (_req, ctx) => {
        const { blob, manifest } = await exportBundle(ctx.db, (done, total, part) => {
          ctx.signal.throwIfAborted();
          ctx.progress('pack', done, total, part);
        });
        return { blob, manifest, fileName: bundleFileName(manifest.createdAt) };
      },
    },
    'import-bundle': {
      queued: true,
      run: async (req, ctx, host) => {
        ctx.progress('read', 0, req.file.size);
        const bytes = new Uint8Array(await req.file.arrayBuffer());
        ctx.progress('read', bytes.byteLength, bytes.byteLength);
        const summary = await importBundle(
          ctx.db,
          bytes,
          { replace: req.replace },
          (phase, done, total, part) => {
            if (phase === 'verify') ctx.signal.throwIfAborted(); // nothing is written until every part is verified
            ctx.progress(phase, done, total, part);
          },
        );
        for (const name of summary.datasets) host.forget(name);
        return summary;
      },
    },
  },
};
