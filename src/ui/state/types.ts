/**
 * The UI store's types in one place: the whole state (UiState), the slices it is made of (Models, Train),
 * and the jobs and errors it tracks. The slices' code (models.ts, train.ts, jobs.ts) and the store (ui.ts)
 * import these; nothing here imports them back.
 */
import type { EndpointConfig } from '../../synth/endpoint-config';
import type { ExpertRecord } from '../../experts/record';
import type { BundleSlice } from './bundle-types';
import type { ExplorerSlice } from './explorer-types';
import type { MergeSlice } from './merge-types';
import type { ModelTemplates, Role } from '../../models/types';
import type { DatasetGroup } from '../../data/group';
import type { Hit } from '../../eval/types';
import type { DatasetMeta, RunRecord } from '../../store/db';
import type { TrainRunRecord, TrainSpec } from '../../store/training-types';
import type { TrainProgress } from '../../train/types';
import type { JobProgress } from '../../worker/client';
import type { SplitDatasetRequest, SplitDatasetResult } from '../../worker/features/data/protocol';
import type { ModelEngine } from '../../worker/features/models/files';
import type { WeightFormatResult } from '../../worker/features/models/weight-format';
import type { WeightFormatChoice } from '../../models/hf/fit';
import type { PromptSearchProgress } from '../../prompts/search-types';
import type { PromptSearchRecord, PromptSearchRequest } from '../../worker/features/prompts/protocol';
import type {
  BackendInfo,
  BackendPref,
  ExpertFile,
  ModelEntry,
  ModelFile,
  QueryDetails,
  SimilarityResult,
  SynthGenerateRequest,
  SynthPage,
  SynthSetRecord,
  TemplatesResult,
} from '../../worker/protocol';
import type { SynthFilter } from '../../synth/review';
import type { ReviewPolicy, ReviewStatus, SynthItem } from '../../synth/types';

export type Tab = 'data' | 'models' | 'synthesize' | 'train' | 'prompts' | 'merge' | 'evaluate';

export type JobKind =
  | 'import'
  | 'demo'
  | 'split'
  | 'evaluate'
  | 'backend'
  | 'model'
  | 'similarity'
  | 'weights'
  | 'train'
  | 'expert'
  | 'synth'
  | 'merge'
  | 'prompts'
  | 'bundle'
  | 'explorer';

export interface JobState extends JobProgress {
  id: number;
  kind: JobKind;
  label: string;
  startedAt: number;
  /** when the current phase began, and its `done` then (for the ETA) */
  phaseStartedAt: number;
  phaseStartDone: number;
  /** Cancel was pressed; the job has not ended yet */
  cancelling?: boolean;
}

export interface UiError {
  seq: number;
  context: string;
  name: string;
  message: string;
  file?: string;
  line?: number | null;
}

/** A job that went on degraded (e.g. without the embedding cache on a full disk). */
export interface UiWarning {
  seq: number;
  context: string;
  message: string;
}

export interface UiState
  extends
    ModelsSlice,
    TrainSlice,
    SynthSlice,
    MergeSlice,
    PromptsSlice,
    BundleSlice,
    ExplorerSlice,
    GuidedSlice {
  ready: boolean;
  /** navigator.storage.persist(): granted, refused (may be evicted), or null when the browser cannot say */
  storagePersistent: boolean | null;
  warnings: UiWarning[];
  tab: Tab;
  datasets: DatasetMeta[];
  runs: RunRecord[];
  backend: BackendInfo | null;
  backendNotice: string | null;
  backendPref: BackendPref;
  dataset: string | null;
  split: string | null;
  /** 'bm25' or a model id */
  retriever: string;
  /** BM25 parameters used when retriever is 'bm25' */
  bm25: { k1: number; b: number };
  jobs: Record<number, JobState>;
  errors: UiError[];
  selectedRunId: string | null;
  selectedQid: string | null;
  details: QueryDetails | null;
  /** query texts of the selected run's dataset */
  queryTexts: { dataset: string; texts: Record<string, string> } | null;

  hydrate(): Promise<void>;
  setTab(tab: Tab): void;
  loadDemo(): Promise<void>;
  importFiles(files: File[], name?: string): Promise<void>;
  deleteDataset(name: string): Promise<void>;
  /** the dashboard group of a stored dataset (medical or general) */
  setDatasetGroup(name: string, group: DatasetGroup): Promise<void>;
  /** new query splits of a stored dataset; undefined when it failed (the error is shown) */
  splitDataset(req: SplitDatasetRequest): Promise<SplitDatasetResult | undefined>;
  selectDataset(name: string | null): void;
  setSplit(split: string): void;
  setRetriever(retriever: string): void;
  setBm25(params: { k1: number; b: number }): void;
  setBackendPref(pref: BackendPref): Promise<void>;
  evaluate(): Promise<void>;
  cancelJob(id: number): void;
  selectRun(id: string | null): Promise<void>;
  selectQuery(qid: string | null): Promise<void>;
  deleteRun(id: string): Promise<void>;
  /** one query's ranking in a stored run (the 'query-details' request); null when it failed (the error is shown) */
  fetchQueryDetails(runId: string, qid: string): Promise<QueryDetails | null>;
  /** a stored run's kept hits (best first, at most `kept` per query), read from storage; null when it failed */
  fetchRunHits(runId: string): Promise<{ hits: Record<string, Hit[]>; kept: number } | null>;
  dismissError(seq: number): void;
  dismissWarning(seq: number): void;
}

export interface SimilaritySide {
  text: string;
  role: Role;
}

export interface FileDownload {
  loaded: number;
  /** 0 when the server does not say */
  total: number;
}

export interface ModelsSlice {
  models: ModelEntry[];
  /** the model the Models panel shows and the Evaluate form starts on */
  activeModel: string | null;
  /** model id -> its templates (known once the model was loaded) */
  modelTemplates: Record<string, TemplatesResult>;
  /** the model whose details are being loaded */
  detailsLoading: string | null;
  similarity: SimilarityResult | null;
  /** file -> bytes so far, of the hub download in flight */
  downloads: Record<string, FileDownload>;
  /** what the last revalidation of a downloaded model found, per model id */
  revalidated: Record<string, string>;

  refreshModels(): Promise<void>;
  selectModel(id: string): Promise<void>;
  loadModelDetails(id: string): Promise<void>;
  importModelFolder(files: ModelFile[], opts?: { engine?: ModelEngine; name?: string }): Promise<boolean>;
  importModelHub(source: string, name?: string): Promise<boolean>;
  deleteModel(id: string): Promise<void>;
  /** asks the hub again for a downloaded model's files (conditional requests) */
  revalidateModel(id: string): Promise<void>;
  saveTemplates(id: string, t: ModelTemplates | null): Promise<boolean>;
  computeSimilarity(a: SimilaritySide, b: SimilaritySide): Promise<void>;
  /** model id -> its weight format and the last measured cosine to f32 (Hugging Face models) */
  weightFormats: Record<string, WeightFormatResult>;
  /** sets the active model's weight format; with check, measures its cosine to f32 on the demo queries */
  setWeightFormat(format: WeightFormatChoice, check: boolean): Promise<void>;
}

export interface LiveTraining {
  jobId: number;
  /** null until a new run's record exists (known when it finishes or after a refresh) */
  runId: string | null;
  name: string;
  /** per-step history: the checkpoint's for a resume, then live steps */
  history: TrainProgress[];
  /** the step it (re)started from */
  startStep: number;
  /** the run's length, known from the spec or the record before the first step reports it */
  totalSteps: number;
}

export interface TrainSlice {
  trainRuns: TrainRunRecord[];
  experts: ExpertRecord[];
  training: LiveTraining | null;
  compare: string[];

  refreshTraining(): Promise<void>;
  startTraining(spec: TrainSpec, pairsFile?: File): Promise<TrainRunRecord | undefined>;
  resumeTraining(runId: string): Promise<TrainRunRecord | undefined>;
  deleteTrainRun(runId: string): Promise<void>;
  renameExpert(id: string, name: string): Promise<void>;
  deleteExpert(id: string): Promise<void>;
  exportExpert(id: string): Promise<ExpertFile[] | undefined>;
  /** the expert's recipe as a Python project (.zip; src/handoff); `base`: the model Python trains */
  handoffProject(id: string, base?: string): Promise<{ name: string; data: ArrayBuffer } | undefined>;
  importExpert(files: File[], name?: string): Promise<ExpertRecord | undefined>;
  toggleCompare(id: string): void;
}

export interface SynthSlice {
  synthSets: SynthSetRecord[];
  /** the set the review queue shows */
  synthSet: string | null;
  synthFilter: SynthFilter;
  /** the loaded page of the items the filter shows */
  synthPage: SynthPage | null;
  /** the item in focus: an index into synthPage.items */
  synthFocus: number;
  /** items as they were before each decision of this session, newest last (u takes the last back) */
  synthUndo: SynthItem[];
  /** the LLM server the generate form uses (the key in memory; stored only when rememberKey) */
  llmEndpoint: EndpointConfig;

  refreshSynth(): Promise<void>;
  /** keeps the LLM server settings for this session and stores what may be stored */
  rememberEndpoint(c: EndpointConfig): void;
  generateSynth(req: SynthGenerateRequest): Promise<SynthSetRecord | undefined>;
  selectSynthSet(id: string): Promise<void>;
  setSynthFilter(f: SynthFilter): Promise<void>;
  /** moves the focus by delta items (across pages) */
  synthMove(delta: number): Promise<void>;
  synthFocusItem(index: number): Promise<void>;
  /** accepts or rejects the item in focus, then moves to the next */
  synthSetStatus(status: ReviewStatus): Promise<void>;
  /** saves edited text of the item in focus and accepts it; true when stored */
  synthEdit(edit: { query?: string; positive?: string }): Promise<boolean>;
  synthToggleFalseNegative(index: number): Promise<void>;
  synthUndoLast(): Promise<void>;
  /** accepts or rejects every item the filter shows, after asking with the count */
  synthBulk(status: 'accepted' | 'rejected'): Promise<void>;
  deleteSynthSet(id: string): Promise<void>;
  exportSynth(policy: ReviewPolicy): Promise<{ fileName: string; text: string; count: number } | undefined>;
  importSynth(file: File): Promise<SynthSetRecord | undefined>;
}

export interface PromptsSlice {
  /** stored finished searches, newest first */
  promptSearches: PromptSearchRecord[];
  /** the leaderboard of a search that was cancelled (shown until the next one starts; not stored) */
  promptCancelled: PromptSearchProgress | null;

  refreshPromptSearches(): Promise<void>;
  startPromptSearch(req: Omit<PromptSearchRequest, 'backend'>): Promise<PromptSearchRecord | undefined>;
  /** the stored search with its winner's test score; undefined when it failed (the error is shown) */
  scorePromptOnTest(search: string): Promise<PromptSearchRecord | undefined>;
  /** puts the instruction into the model's query template; true when stored */
  applyPrompt(model: string, instruction: string | null): Promise<boolean>;
}

export type Fail = (context: string, e: unknown) => void;

export type RunJob = <T>(
  kind: JobKind,
  label: string,
  start: (onProgress: (p: JobProgress) => void) => { id: number; promise: Promise<T> },
) => Promise<T | undefined>;

/** The guided demo (src/ui/state/guided.ts): its steps as they happen, and the three nDCG@10 it ends with. */
export type GuidedStepId = 'load' | 'split' | 'bm25' | 'base' | 'train' | 'expert';
export type GuidedStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
export interface GuidedStep {
  id: GuidedStepId;
  label: string;
  status: GuidedStatus;
  /** what it found or did (a score, "already there") */
  detail?: string;
}
export interface GuidedDemo {
  status: Exclude<GuidedStatus, 'pending'>;
  steps: GuidedStep[];
  /** nDCG@10 on the held-out queries */
  scores: { bm25?: number; base?: number; expert?: number };
  expertId?: string;
}
export interface GuidedSlice {
  guided: GuidedDemo | null;
  startGuidedDemo(): Promise<void>;
  cancelGuidedDemo(): void;
  closeGuidedDemo(): void;
}
