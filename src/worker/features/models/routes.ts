/** The models feature: built-in and imported models, their templates, imports, and the similarity check. */
import type { Backend } from '../../../core/backend';
import { fitLimitsOf } from '../../../models/hf/fit';
import type { Host } from '../../host';
import { importFolder, importHub } from './import';
import {
  checkModelRequest,
  type ImportModelRequest,
  type ModelEntry,
  type ModelRequestMap,
  type SimilarityRequest,
  type SimilarityResult,
} from './protocol';
import { similarity } from './similarity';
import { CHECK_TEXTS, hfEmbedderOf, setWeightFormat, type WeightFormatResult } from './weight-format';
import type { WeightFormatRequest } from './protocol';
import type { Feature, JobCtx } from '../feature';

async function importModel(req: ImportModelRequest, ctx: JobCtx, host: Host): Promise<ModelEntry> {
  const deps = host.deps;
  // a hub model is checked against the device before its weights download
  const limits = req.files
    ? undefined
    : await host.backends.run('auto', ctx.signal, async (b: Backend) => fitLimitsOf(b));
  const env = { db: ctx.db, hub: deps.hub ?? {}, builtins: deps.listModels().map((m) => m.id), limits };
  const { rec, loaded } = req.files
    ? await importFolder(req.files, { engine: req.engine, name: req.name }, env, ctx)
    : await importHub(req.hub as string, { name: req.name }, env, ctx);
  host.models.remember(rec.id, loaded);
  return host.entry(rec.id);
}

async function similarityOf(req: SimilarityRequest, ctx: JobCtx, host: Host): Promise<SimilarityResult> {
  ctx.progress('load-model', 0, 1, req.model);
  const e = await host.models.embedder(req.model, ctx.signal);
  const entry = await host.entry(req.model);
  ctx.progress('acquire-backend', 0, 1);
  return host.backends.run(req.backend, ctx.signal, async (b: Backend) => {
    ctx.progress('embed', 0, 1);
    const r = await similarity(e, b, req.a, req.b);
    const active = host.backends.active;
    const engine =
      entry.engine === 'onnxruntime-web'
        ? `onnxruntime-web (${entry.ep ?? 'wasm'})`
        : `studio kernels on ${active?.label ?? b.label}`;
    return { model: req.model, ...r, backend: active, engine };
  });
}

async function weightFormat(req: WeightFormatRequest, ctx: JobCtx, host: Host): Promise<WeightFormatResult> {
  ctx.progress('load-model', 0, 1, req.model);
  const e = hfEmbedderOf((await host.models.load(req.model, ctx.signal)).embedder, req.model);
  const texts = req.check
    ? (await host.deps.loadDemo()).queries.slice(0, CHECK_TEXTS).map((q) => q.text)
    : null;
  const changed = e.weightFormat !== req.format;
  const r = await host.backends.run(req.backend, ctx.signal, (b: Backend) => {
    ctx.progress('embed', 0, 1);
    return setWeightFormat(e, req.model, req.format, b, texts);
  });
  await host.models.saveWeightFormat(req.model, req.format, changed);
  return r;
}

export const models: Feature<ModelRequestMap> = {
  check: checkModelRequest,
  routes: {
    'list-models': { run: (_req, _ctx, host) => host.models.list() },
    'model-details': {
      run: async (req, ctx, host) => {
        ctx.progress('load-model', 0, 1, req.model);
        const templates = await host.models.templates(req.model);
        return { entry: await host.entry(req.model), templates };
      },
    },
    'import-model': { queued: true, run: (req, ctx, host) => importModel(req, ctx, host) },
    'delete-model': {
      queued: true,
      run: async (req, _ctx, host) => {
        await host.models.delete(req.model);
        return null;
      },
    },
    'revalidate-model': {
      queued: true,
      run: (req, ctx, host) => {
        ctx.progress('download', 0, 1, req.model);
        return host.models.revalidate(req.model, ctx.signal);
      },
    },
    'set-templates': { run: (req, _ctx, host) => host.models.setTemplates(req.model, req.templates) },
    similarity: { queued: true, run: (req, ctx, host) => similarityOf(req, ctx, host) },
    'weight-format': { queued: true, run: (req, ctx, host) => weightFormat(req, ctx, host) },
  },
};
