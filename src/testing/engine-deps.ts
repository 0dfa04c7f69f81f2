/** The worker engine's dependencies in Node for tests: real evaluation, models and datasets; an IndexedDB
 * (fake-indexeddb, imported by the test) of the given name, opened on first use. */
import { datasetFromFiles } from '../data/files';
import { loadDemoDatasetNode } from '../data/node';
import { evaluate } from '../eval/evaluate';
import { selectBackend } from '../gpu/select';
import { nodeAssetFetcher } from '../models/node-assets';
import { listModels, loadEmbedder } from '../models/registry';
import { openStudioDb, type StudioDB } from '../store/db';
import type { EngineDeps } from '../worker/host';

export function nodeEngineDeps(dbName: string, overrides: Partial<EngineDeps> = {}): EngineDeps {
  let db: Promise<StudioDB> | null = null;
  return {
    db: () => (db ??= openStudioDb(dbName)),
    selectBackend,
    evaluate,
    loadDemo: loadDemoDatasetNode,
    datasetFromFiles,
    listModels,
    loadEmbedder,
    assetFetcher: () => nodeAssetFetcher(),
    ...overrides,
  };
}
