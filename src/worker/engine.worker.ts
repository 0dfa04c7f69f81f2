/// <reference lib="webworker" />
/** The one worker of the app: wires the Engine to the worker scope with the browser's dependencies. */
import { datasetFromFiles } from '../data/files';
import { loadDemoDataset } from '../data/demo';
import { evaluate } from '../eval/evaluate';
import { selectBackend } from '../gpu/select';
import { httpAssetFetcher, listModels, loadEmbedder } from '../models/registry';
import { studioDb } from '../store/db';
import { Engine } from './engine';
import type { WorkerEvent } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const engine = new Engine((e: WorkerEvent) => scope.postMessage(e), {
  db: studioDb,
  selectBackend,
  evaluate,
  loadDemo: loadDemoDataset,
  datasetFromFiles,
  listModels,
  loadEmbedder,
  assetFetcher: httpAssetFetcher,
});

scope.onmessage = (ev: MessageEvent) => {
  void engine.handle(ev.data);
};
