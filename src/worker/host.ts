/**
 * What the worker's features share: the injected dependencies, the compute backend, the models, training,
 * the app's asset fetcher (set by `init`) and the last loaded dataset. The engine holds one Host.
 */
import type { Dataset } from '../data/types';
import type { EvaluateOptions } from '../eval/evaluate';
import type { EvalReport, Run } from '../eval/types';
import type { BackendChoice } from '../gpu/select';
import type { AssetFetcher } from '../models/registry';
import type { Embedder, ModelInfo } from '../models/types';
import type { StudioDB } from '../store/db';
import { loadDataset } from '../store/datasets';
import { Backends } from './backends';
import { ModelManager, type HubOptions } from './features/models/manager';
import type { BackendPref, FeatureEvent } from './events';
import type { ModelEntry } from './features/models/protocol';
import { Training } from './features/train/training';

export interface EngineDeps {
  db(): Promise<StudioDB>;
  /** the backend for a preference and why it was chosen (gpu/select's selectBackend) */
  selectBackend(pref: BackendPref): Promise<BackendChoice>;
  evaluate(opts: EvaluateOptions): Promise<{ report: EvalReport; run: Run }>;
  loadDemo(): Promise<Dataset>;
  datasetFromFiles(
    files: File[],
    opts: {
      name?: string;
      onProgress?: (p: { file: string; bytes: number; totalBytes?: number; lines: number }) => void;
    },
  ): Promise<Dataset>;
  listModels(): readonly ModelInfo[];
  loadEmbedder(id: string, fetchAsset: AssetFetcher): Promise<Embedder>;
  assetFetcher(baseUrl: string): AssetFetcher;
  /** where hub models are fetched from and cached (default: huggingface.co and the Cache API) */
  hub?: HubOptions;
}

export class Host {
  readonly backends: Backends;
  readonly models: ModelManager;
  readonly training: Training;
  private fetcher: AssetFetcher | null = null;
  /** the last loaded dataset (evaluations and drill-downs usually hit the same one) */
  private recent: { name: string; ds: Promise<Dataset> } | null = null;

  constructor(
    post: (e: FeatureEvent) => void,
    readonly deps: EngineDeps,
  ) {
    this.backends = new Backends((pref) => deps.selectBackend(pref), post);
    this.models = new ModelManager({
      db: () => deps.db(),
      fetcher: () => {
        if (!this.fetcher) throw new Error('The engine was not initialised (no init request).');
        return this.fetcher;
      },
      listModels: () => deps.listModels(),
      loadEmbedder: (id, f) => deps.loadEmbedder(id, f),
      hub: deps.hub,
    });
    this.training = new Training({
      db: () => deps.db(),
      models: this.models,
      backends: this.backends,
      dataset: async (name) => this.dataset(name, await deps.db()),
    });
  }

  /** Where built-in model assets are fetched from from now on (the `init` request). */
  useAssets(baseUrl: string): void {
    this.fetcher = this.deps.assetFetcher(baseUrl);
  }

  /** Drops the cached dataset `name` (it is being replaced or deleted). */
  forget(name: string): void {
    if (this.recent?.name === name) this.recent = null;
  }

  dataset(name: string, db: StudioDB): Promise<Dataset> {
    if (this.recent?.name !== name) {
      const ds = loadDataset(name, db);
      ds.catch(() => this.forget(name));
      this.recent = { name, ds };
    }
    return this.recent.ds;
  }

  async entry(id: string): Promise<ModelEntry> {
    const e = (await this.models.list()).find((m) => m.id === id);
    if (!e) throw new Error(`unknown model "${id}"`);
    return e;
  }
}
