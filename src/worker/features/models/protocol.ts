/** Model requests of the worker protocol: their types and validation. */
import type { ModelDetails } from '../../../models/describe';
import { WEIGHT_FORMATS, type WeightFormatChoice } from '../../../models/hf/fit';
import type { RevalidateResult } from '../../../models/hf/revalidate';
import type { WeightFormatResult } from './weight-format';
import type { ModelInfo, Role } from '../../../models/types';
import type { ModelTemplates } from '../../../models/types';
import type { ModelEngine } from './files';
import type { BackendInfo, BackendPref } from '../../events';
import { isPref, isStr, type Need } from '../../protocol-check';

/** A model the studio can run: built in or imported. */
export interface ModelEntry extends ModelInfo {
  source: 'builtin' | 'folder' | 'hub';
  /** folder name, hub id or URL of an imported model */
  origin: string | null;
  /** bytes of its files (null for a built-in not loaded yet) */
  bytes: number | null;
  /** the studio's kernels (on the active backend) or onnxruntime-web (on `ep`) */
  engine: 'studio' | 'onnxruntime-web';
  ep: string | null;
  importedAt: string | null;
  /** null until the model has been loaded once (built-ins) */
  details: ModelDetails | null;
  defaults: ModelTemplates | null;
  /** how its linear weights are uploaded (the user's choice, kept); null where formats do not apply */
  weightFormat: WeightFormatChoice | null;
  /** what it embeds with: the user's templates, else its defaults */
  templates: ModelTemplates | null;
  custom: boolean;
}

export interface TemplatesResult {
  id: string;
  defaults: ModelTemplates;
  templates: ModelTemplates;
  custom: boolean;
}

/** A picked file with its path (webkitRelativePath: "folder/onnx/model.onnx"). */
export interface ModelFile {
  path: string;
  file: File;
}
export interface ImportModelRequest {
  files?: ModelFile[];
  /** hub id "org/name" or an http(s) base URL */
  hub?: string;
  /** folders holding both layouts: 'native' (default) or 'onnx' */
  engine?: ModelEngine;
  name?: string;
}

export interface SimilarityRequest {
  model: string;
  a: { text: string; role: Role };
  b: { text: string; role: Role };
  backend: BackendPref;
}
export interface SimilarityResult {
  model: string;
  similarity: number;
  /** embedding time of both texts, ms */
  ms: number;
  /** the texts as the model saw them (templates applied) */
  texts: [string, string];
  backend: BackendInfo | null;
  engine: string;
}

export interface ModelRequestMap {
  'list-models': [Record<string, never>, ModelEntry[]];
  /** loads the model (once) and describes it, with its templates */
  'model-details': [{ model: string }, { entry: ModelEntry; templates: TemplatesResult }];
  'import-model': [ImportModelRequest, ModelEntry];
  /** deletes an imported model with its files and cached embeddings (runs stay) */
  'delete-model': [{ model: string }, null];
  /** asks the hub again for a downloaded model's files (conditional requests); only on the user's request */
  'revalidate-model': [{ model: string }, RevalidateResult[]];
  /** templates: null resets to the model's own */
  'set-templates': [{ model: string; templates: ModelTemplates | null }, TemplatesResult];
  similarity: [SimilarityRequest, SimilarityResult];
  /** a Hugging Face model's weight format (and, with check, its cosine to f32 on the demo queries) */
  'weight-format': [WeightFormatRequest, WeightFormatResult];
}

export interface WeightFormatRequest {
  model: string;
  format: WeightFormatChoice;
  /** measure the cosine of the demo queries' embeddings to f32 */
  check: boolean;
  backend: BackendPref;
}

const isRole = (v: unknown) => v === 'query' || v === 'passage';
const noBar = (v: unknown) => typeof v === 'string' && !v.includes('|');
const MAX_TEXT = 100_000;
function isTemplates(v: unknown): boolean {
  if (v === null) return true;
  if (typeof v !== 'object') return false;
  const t = v as Record<string, unknown>;
  return (
    typeof t.query === 'string' &&
    typeof t.passage === 'string' &&
    (t.instruction === null || typeof t.instruction === 'string')
  );
}
function isSide(v: unknown): boolean {
  const s = v as { text?: unknown; role?: unknown } | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.text === 'string' &&
    s.text.trim().length > 0 &&
    s.text.length <= MAX_TEXT &&
    isRole(s.role)
  );
}
function checkImport(m: Record<string, unknown>, need: Need): void {
  const files = m.files;
  const hasFiles = Array.isArray(files) && files.length > 0;
  need(hasFiles !== (m.hub !== undefined), 'import-model needs either files or hub');
  if (hasFiles)
    need(
      files.every(
        (f) =>
          typeof f === 'object' &&
          f !== null &&
          isStr((f as ModelFile).path) &&
          typeof (f as ModelFile).file === 'object',
      ),
      'import-model files must be { path, file }',
    );
  else
    need(
      isStr(m.hub) && noBar(m.hub) && (m.hub as string).length < 2000,
      'import-model hub must be an "org/name" id or an http(s) URL',
    );
  need(
    m.engine === undefined || m.engine === 'native' || m.engine === 'onnx',
    'import-model engine must be native or onnx',
  );
  need(
    m.name === undefined || (isStr(m.name) && noBar(m.name) && (m.name as string).length <= 200),
    'import-model name must be a non-empty string without "|"',
  );
}
/** Validates the body of a model request; `need` throws the ProtocolError. */
export function checkModelRequest(t: keyof ModelRequestMap, m: Record<string, unknown>, need: Need): void {
  switch (t) {
    case 'model-details':
    case 'delete-model':
    case 'revalidate-model':
      need(isStr(m.model), `${t} needs model`);
      break;
    case 'import-model':
      checkImport(m, need);
      break;
    case 'set-templates':
      need(isStr(m.model), 'set-templates needs model');
      need(
        isTemplates(m.templates),
        'set-templates templates must be { query, passage, instruction } or null',
      );
      break;
    case 'similarity':
      need(isStr(m.model), 'similarity needs model');
      need(
        isSide(m.a) && isSide(m.b),
        'similarity needs a and b, each { text (non-empty), role: query|passage }',
      );
      need(isPref(m.backend), 'similarity needs backend auto|webgpu|cpu');
      break;
    case 'weight-format':
      need(isStr(m.model), 'weight-format needs model');
      need(
        WEIGHT_FORMATS.includes(m.format as WeightFormatChoice),
        `weight-format format must be one of ${WEIGHT_FORMATS.join(', ')}`,
      );
      need(typeof m.check === 'boolean', 'weight-format check must be true or false');
      need(isPref(m.backend), 'weight-format needs backend auto|webgpu|cpu');
      break;
    case 'list-models':
      break;
  }
}
