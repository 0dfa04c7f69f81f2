/** The data feature: stored datasets (list, import from files, the demo, delete) and their query texts. */
import type { Dataset } from '../../../data/types';
import type { DatasetMeta } from '../../../store/db';
import { splitQueries } from '../../../data/split';
import {
  addSplits,
  deleteDataset,
  listDatasets,
  saveDataset,
  setDatasetGroup,
  type OnExisting,
} from '../../../store/datasets';
import type { Host } from '../../host';
import { checkDataRequest, type DataRequestMap } from './protocol';
import type { Feature, JobCtx } from '../feature';

/** Stores a read dataset; a stored one of the same name with other contents is handled by `onExisting`. */
async function store(ds: Dataset, ctx: JobCtx, host: Host, onExisting: OnExisting): Promise<DatasetMeta> {
  ctx.signal.throwIfAborted();
  ctx.progress('save', 0, 1);
  host.forget(ds.name);
  const meta = await saveDataset(ds, ctx.db, { onExisting });
  ctx.progress('save', 1, 1);
  return meta;
}

export const data: Feature<DataRequestMap> = {
  check: checkDataRequest,
  routes: {
    'list-datasets': { run: (_req, ctx) => listDatasets(ctx.db) },
    'import-dataset': {
      queued: true,
      run: async (req, ctx, host) => {
        const ds = await host.deps.datasetFromFiles(req.files, {
          name: req.name,
          onProgress: (p) => {
            ctx.signal.throwIfAborted();
            ctx.progress('read', p.bytes, p.totalBytes ?? 0, p.file);
          },
        });
        // an unnamed import never replaces anything; a named one only when the user confirmed
        return store(ds, ctx, host, req.name === undefined ? 'rename' : req.replace ? 'replace' : 'refuse');
      },
    },
    'load-demo': {
      queued: true,
      // the demo again is saved in place; a changed demo (a newer build) gets a new name
      run: async (_req, ctx, host) => store(await host.deps.loadDemo(), ctx, host, 'rename'),
    },
    'delete-dataset': {
      queued: true,
      run: async (req, ctx, host) => {
        host.forget(req.name);
        await deleteDataset(req.name, ctx.db);
        return null;
      },
    },
    'split-dataset': {
      queued: true,
      run: async (req, ctx, host) => {
        ctx.progress('read', 0, 1);
        const r = splitQueries(await host.dataset(req.dataset, ctx.db), req.from, req.into, req.seed);
        ctx.signal.throwIfAborted();
        ctx.progress('save', 0, 1);
        host.forget(req.dataset);
        const { meta, deletedRuns } = await addSplits(
          req.dataset,
          r.splits,
          { replace: req.replace },
          ctx.db,
        );
        ctx.progress('save', 1, 1);
        return { meta, sizes: r.sizes, deletedRuns };
      },
    },
    'set-dataset-group': { run: (req, ctx) => setDatasetGroup(req.name, req.group, ctx.db) },
    'query-texts': {
      run: async (req, ctx, host) => {
        const ds = await host.dataset(req.dataset, ctx.db);
        return Object.fromEntries(ds.queries.map((q) => [q.id, q.text]));
      },
    },
  },
};
