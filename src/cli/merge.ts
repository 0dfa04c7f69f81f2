/**
 * `stm merge`: expert folders merged into a new expert folder, or plain safetensors checkpoints merged
 * tensor by tensor into one checkpoint, by mergekit's methods (src/merge); the recipe from the options or
 * a mergekit YAML (--config), and optionally written back as one (--yaml).
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Backend } from '../core/backend';
import { isExpertDir, readExpertDir, writeExpertDir } from '../experts/files-node';
import { loraOutExpert, mergedLoraCheckpoint, type LoadedExpert } from '../experts/merge';
import { isLoraBase } from '../experts/embedder';
import { HfEmbedder } from '../models/hf/embedder';
import { resolveModelNode } from '../experts/resolve-node';
import { mergeCheckpoints, planCheckpointMerge } from '../merge/checkpoint-merge';
import { exportMergekitYaml, importMergekitYaml } from '../merge/mergekit-yaml';
import { checkRecipe, recipeLabel, type MergeRecipe } from '../merge/recipe';
import { fusedRowSlices, type RowSlices } from '../merge/row-slices';
import { MergeError } from '../merge/types';
import type { SafetensorsDType } from '../models/hf/safetensors';
import { UsageError } from './args';
import { cliBackend } from './backend';
import { recipeFromArgs, type MergeArgs, type MergeDtype } from './merge-args';
import { mergeExpertFiles } from './merge-experts';
import { openSafetensorsWriter, SafetensorsFileReader } from './merge-safetensors';
import type { Reporter } from './progress';
import { checkWritableDir, checkWritableFile, writeFailed } from './writable';

const STORAGE: Record<MergeDtype, SafetensorsDType> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

/** What the merge reads: the recipe (expert ids are the paths until experts are loaded) and its inputs. */
interface Plan {
  recipe: MergeRecipe;
  base: string | null;
  experts: string[];
  dtype: MergeDtype | null;
}

async function planFromArgs(a: MergeArgs, log: (msg: string) => void): Promise<Plan> {
  if (a.config === undefined) {
    const recipe = recipeFromArgs(
      a,
      a.base ?? '',
      a.experts.map((p) => ({ id: p, name: p })),
    );
    if (a.instruction !== undefined) recipe.instruction = a.instruction;
    return { recipe, base: a.base ?? null, experts: a.experts, dtype: null };
  }
  let text: string;
  try {
    text = await readFile(a.config, 'utf8');
  } catch (e) {
    throw new Error(`--config ${a.config}: ${(e as Error).message}`);
  }
  const imported = importMergekitYaml(text, a.config);
  for (const w of imported.warnings) log(`note: ${w}`);
  const recipe = imported.recipe;
  if (a.seed !== undefined) recipe.options.seed = a.seed;
  if (a.instruction !== undefined) recipe.instruction = a.instruction;
  return {
    recipe,
    base: imported.baseModel,
    experts: imported.models,
    dtype: (imported.dtype as MergeDtype | null) ?? null,
  };
}

type Kind = 'experts' | 'checkpoints';

function kindOf(paths: readonly string[], from: string): Kind {
  const kinds = paths.map((p): Kind => {
    if (!existsSync(p))
      throw new UsageError(`${from}: ${p} does not exist (give an expert folder or a .safetensors file)`);
    if (statSync(p).isDirectory()) {
      if (!isExpertDir(p))
        throw new UsageError(`${from}: ${p} is a folder without expert.json (not an expert folder)`);
      return 'experts';
    }
    return 'checkpoints';
  });
  const mixed = kinds.findIndex((k) => k !== kinds[0]);
  if (mixed > 0)
    throw new UsageError(
      `${from} mixes an expert folder and a checkpoint file (${paths[0]}, ${paths[mixed]}); merge one kind at a time`,
    );
  return kinds[0];
}

export interface MergeResult {
  out: string;
  kind: Kind;
  method: string;
  tensors: number;
  recipe: MergeRecipe;
}

/**
 * The row slices of fused tensors (Phi-3) from the config.json beside the first checkpoint file that has
 * one (as a model folder holds them), so those tensors merge slice by slice; null without one.
 */
async function checkpointRowSlices(files: readonly (string | null)[]): Promise<RowSlices | null> {
  for (const f of files) {
    if (f === null) continue;
    const cfg = join(dirname(f), 'config.json');
    if (existsSync(cfg)) return fusedRowSlices(await readFile(cfg, 'utf8'), cfg);
  }
  return null;
}

async function mergeCheckpointFiles(
  plan: Plan,
  a: MergeArgs,
  be: Backend,
  report: Pick<Reporter, 'log' | 'progress'>,
): Promise<{ tensors: number; recipe: MergeRecipe }> {
  const { recipe } = plan;
  checkRecipe(recipe);
  await checkWritableFile('--out', a.out);
  const readers: SafetensorsFileReader[] = [];
  try {
    let base: SafetensorsFileReader | null = null;
    if (plan.base !== null) {
      if (recipe.method === 'linear') report.log('note: linear does not use a base model; --base is ignored');
      else {
        if (!existsSync(plan.base) || statSync(plan.base).isDirectory())
          throw new UsageError(
            `--base ${plan.base}: merging checkpoints needs the base as a .safetensors file`,
          );
        base = await SafetensorsFileReader.open(plan.base);
        readers.push(base);
      }
    }
    const experts: SafetensorsFileReader[] = [];
    for (const p of plan.experts) {
      const r = await SafetensorsFileReader.open(p);
      readers.push(r);
      experts.push(r);
    }
    const dtype = STORAGE[a.dtype ?? plan.dtype ?? 'float32'];
    // names and shapes are checked before the output is opened or any tensor is merged
    const tensors = planCheckpointMerge(recipe.method, base, experts);
    const writer = await openSafetensorsWriter(a.out, tensors, dtype, {
      format: 'pt',
      merge: recipeLabel(recipe),
    });
    try {
      await mergeCheckpoints(
        {
          method: recipe.method,
          base,
          experts,
          models: recipe.experts.map((e) => e.params),
          options: recipe.options,
          perLayer: { models: recipe.experts.map((e) => e.perLayer), options: recipe.perLayer },
          backend: be,
          slices: await checkpointRowSlices([plan.base, ...plan.experts]),
        },
        async (t, i, n) => {
          await writer.write(t);
          report.progress('merge', i + 1, n);
        },
      );
      await writer.finish();
      return { tensors: tensors.length, recipe };
    } catch (e) {
      await writer.abort();
      if ((e as NodeJS.ErrnoException).code) throw writeFailed('the merged checkpoint', a.out, e);
      throw e;
    }
  } finally {
    for (const r of readers) await r.close();
  }
}

/**
 * A merge of LoRA experts as a LoRA again (--lora-rank / --lora-threshold: truncated SVD per module, the
 * energy kept printed) and, with --full-model, the base's safetensors with W + ΔW folded in.
 */
async function loraOutputs(
  a: MergeArgs,
  merged: LoadedExpert,
  baseModel: string,
  log: (msg: string) => void,
): Promise<LoadedExpert> {
  const wantsLora = a.loraRank !== undefined || a.loraThreshold !== undefined;
  if (!wantsLora && a.fullModel === undefined) return merged;
  if (merged.record.method !== 'lora')
    throw new UsageError(
      `--lora-rank, --lora-threshold and --full-model apply to a merge of LoRA experts; these are ${merged.record.method} experts`,
    );
  const base = await resolveModelNode(baseModel, log, { forTraining: true });
  if (!isLoraBase(base)) throw new MergeError(`the base "${baseModel}" is not a model LoRA runs on`);
  if (a.fullModel !== undefined) {
    if (!(base instanceof HfEmbedder))
      throw new UsageError(
        `--full-model: the base "${baseModel}" has no safetensors file of its own (only Hugging Face models do); export the merge as a LoRA (--lora-rank) or keep the merged expert folder`,
      );
    const file = a.fullModel;
    await checkWritableFile('--full-model', file);
    const chunks: Uint8Array[] = [];
    const r = await mergedLoraCheckpoint(merged, base, (c) => {
      chunks.push(c.slice());
    });
    try {
      await writeFile(file, Buffer.concat(chunks));
    } catch (e) {
      throw writeFailed('the full model', file, e);
    }
    log(`wrote ${file}: ${r.tensors} tensors, ${r.folded} with the merged ΔW folded in`);
  }
  if (!wantsLora) return merged;
  const out = loraOutExpert(
    merged,
    base,
    a.loraRank !== undefined ? { rank: a.loraRank } : { threshold: a.loraThreshold },
    (m, i, n) =>
      log(`LoRA out ${i + 1}/${n} ${m.path}: rank ${m.rank}, energy kept ${(100 * m.energy).toFixed(2)}%`),
  );
  const mean = out.modules.reduce((s, m) => s + m.energy, 0) / Math.max(1, out.modules.length);
  const worst = out.modules.reduce((w, m) => (m.energy < w.energy ? m : w), out.modules[0]);
  log(
    `LoRA out: r ${out.record.config.lora.rank}; energy kept: mean ${(100 * mean).toFixed(2)}%, lowest ${(100 * (worst?.energy ?? 1)).toFixed(2)}% (${worst?.path ?? '-'})`,
  );
  return { record: out.record, weights: out.weights };
}

async function mergeExpertFolders(
  plan: Plan,
  a: MergeArgs,
  be: Backend,
  log: (msg: string) => void,
): Promise<{ tensors: number; recipe: MergeRecipe }> {
  if (a.dtype !== undefined)
    throw new UsageError(
      "--dtype sets a merged checkpoint's storage type; an expert folder is always float32",
    );
  await checkWritableDir('--out', a.out);
  const loaded: LoadedExpert[] = [];
  for (const p of plan.experts) loaded.push(await readExpertDir(p));
  const baseModel = loaded[0].record.baseModel;
  if (plan.base !== null && plan.base !== '' && plan.base !== baseModel)
    throw new MergeError(
      `the base "${plan.base}" is not the experts' base model "${baseModel}" (expert "${loaded[0].record.name}"); give --base ${baseModel} or leave it out`,
    );
  const recipe: MergeRecipe = {
    ...plan.recipe,
    baseModel,
    experts: plan.recipe.experts.map((e, i) => ({
      ...e,
      id: loaded[i].record.id,
      name: loaded[i].record.name,
    })),
  };
  checkRecipe(recipe);
  const id = basename(a.out);
  const { record, weights } = await mergeExpertFiles(recipe, loaded, {
    id,
    name: a.name ?? `merge: ${recipeLabel(recipe)}`,
    createdAt: new Date().toISOString(),
    backend: be,
    loadBase: () => resolveModelNode(baseModel, log, { forTraining: true }),
  });
  const out = await loraOutputs(a, { record, weights }, baseModel, log);
  let files: string[];
  try {
    files = await writeExpertDir(a.out, out.record, out.weights);
  } catch (e) {
    throw writeFailed('the expert folder', a.out, e);
  }
  log(`wrote ${a.out}: ${files.join(', ')}`);
  return { tensors: out.weights.size, recipe };
}

export async function runMerge(
  a: MergeArgs,
  report: Pick<Reporter, 'log' | 'progress'>,
): Promise<MergeResult> {
  const log = report.log;
  const t0 = Date.now();
  const plan = await planFromArgs(a, log);
  if (plan.experts.length === 0) throw new UsageError('merge: no experts to merge');
  const kind = kindOf(plan.experts, a.config === undefined ? '--experts' : `--config ${a.config}`);
  if (kind === 'checkpoints' && a.instruction !== undefined)
    throw new UsageError('--instruction is for merging experts (a checkpoint has no query template)');
  if (a.yaml) await checkWritableFile('--yaml', a.yaml);
  const be = await cliBackend(a.backend, log);
  let done: { tensors: number; recipe: MergeRecipe };
  try {
    done =
      kind === 'experts'
        ? await mergeExpertFolders(plan, a, be, log)
        : await mergeCheckpointFiles(plan, a, be, report);
  } finally {
    be.destroy();
  }
  const seconds = (Date.now() - t0) / 1000;
  log(
    `merged ${plan.experts.length} ${kind} by ${recipeLabel(done.recipe)}: ${done.tensors} tensors in ${seconds.toFixed(2)} s`,
  );
  if (a.yaml) {
    const yaml = exportMergekitYaml(
      done.recipe,
      {
        baseModel:
          kind === 'experts' ? done.recipe.baseModel : done.recipe.method === 'linear' ? null : plan.base,
        models: plan.experts,
      },
      kind === 'experts' ? 'float32' : (a.dtype ?? plan.dtype ?? 'float32'),
    );
    try {
      await writeFile(a.yaml, yaml);
    } catch (e) {
      throw writeFailed('the mergekit recipe', a.yaml, e);
    }
    log(`wrote ${a.yaml}`);
  }
  console.log(a.out);
  if (a.json)
    console.log(
      JSON.stringify({
        out: a.out,
        kind,
        method: done.recipe.method,
        experts: plan.experts,
        tensors: done.tensors,
        seconds,
        ...(a.yaml ? { yaml: a.yaml } : {}),
      }),
    );
  return { out: a.out, kind, method: done.recipe.method, tensors: done.tensors, recipe: done.recipe };
}
