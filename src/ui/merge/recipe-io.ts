/**
 * The Merge panel's mergekit YAML in and out, as pure functions: the sliders' recipe written with the
 * experts' names as model paths, and a mergekit recipe read back onto the stored experts (each
 * models[].model matched by name, then id, case-sensitive first, then case-insensitive).
 */
import type { ExpertRecord } from '../../experts/record';
import { exportMergekitYaml, mergeRecipeFromMergekit, parseMergekitYaml } from '../../merge/mergekit-yaml';
import type { MergeRecipe } from '../../merge/recipe';

/** The name a recipe's expert is written under: its name, or its id when another expert shares the name. */
function modelPath(id: string, experts: readonly ExpertRecord[]): string {
  const rec = experts.find((e) => e.id === id);
  if (!rec) return id;
  const same = experts.filter((e) => e.name === rec.name || e.id === rec.name);
  return same.length === 1 ? rec.name : rec.id;
}

/** The recipe as mergekit YAML: models named by the experts' names, base_model the base model id. */
export function recipeYaml(recipe: MergeRecipe, experts: readonly ExpertRecord[]): string {
  return exportMergekitYaml(recipe, {
    baseModel: recipe.baseModel || null,
    models: recipe.experts.map((e) => modelPath(e.id, experts)),
  });
}

/** A file name for the recipe's download. */
export function recipeFileName(recipe: MergeRecipe): string {
  const names = recipe.experts.map((e) => e.name).join('+');
  return `${`${recipe.method}-${names}`.replace(/[^\w.+-]+/g, '_').slice(0, 100)}.yml`;
}

export type RecipeImport =
  { ok: true; recipe: MergeRecipe; warnings: string[] } | { ok: false; error: string };

/** The stored expert a models[].model names, or why none. */
function matchModel(
  model: string,
  experts: readonly ExpertRecord[],
): { expert: ExpertRecord } | { why: string } {
  const tiers: ((e: ExpertRecord) => boolean)[] = [
    (e) => e.name === model,
    (e) => e.id === model,
    (e) => e.name.toLowerCase() === model.toLowerCase(),
    (e) => e.id.toLowerCase() === model.toLowerCase(),
  ];
  for (const t of tiers) {
    const hits = experts.filter(t);
    if (hits.length === 1) return { expert: hits[0] };
    if (hits.length > 1)
      return {
        why: `names ${hits.length} stored experts ("${hits.map((h) => h.name).join('", "')}"): rename one in the Train tab, or write the expert's id (${hits.map((h) => h.id).join(', ')})`,
      };
  }
  return { why: 'is not a stored expert (no expert has that name or id)' };
}

/**
 * Reads a mergekit YAML onto the stored experts. Any problem (a parse error, an unknown model, another
 * base model, experts that cannot merge together) is one message naming the file and line; nothing is
 * applied then.
 */
export function importRecipeYaml(text: string, file: string, experts: readonly ExpertRecord[]): RecipeImport {
  let parsed, imported;
  try {
    parsed = parseMergekitYaml(text, file);
    imported = mergeRecipeFromMergekit(parsed);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  const lineOf = (model: string) => parsed.models.find((m) => m.model === model)?.line ?? 1;
  const matched: ExpertRecord[] = [];
  const problems: string[] = [];
  for (const x of imported.recipe.experts) {
    const m = matchModel(x.id, experts);
    if ('why' in m) problems.push(`${file}:${lineOf(x.id)}: model "${x.id}" ${m.why}`);
    else matched.push(m.expert);
  }
  if (problems.length) {
    const known = experts.map((e) => `"${e.name}"`).join(', ') || 'none';
    return { ok: false, error: `${problems.join('\n')}\nStored experts: ${known}. Nothing was changed.` };
  }
  const twice = matched.find((e, i) => matched.indexOf(e) !== i);
  if (twice)
    return {
      ok: false,
      error: `${file}:${lineOf(imported.recipe.experts[matched.lastIndexOf(twice)].id)}: expert "${twice.name}" is listed twice; list each model once. Nothing was changed.`,
    };
  const first = matched[0];
  if (first) {
    const baseLine = text.split(/\r?\n/).findIndex((l) => /^base_model\s*:/.test(l)) + 1 || 1;
    if (imported.baseModel !== null && imported.baseModel !== first.baseModel)
      return {
        ok: false,
        error: `${file}:${baseLine}: base_model "${imported.baseModel}" is not the base of the experts (${first.name} is over "${first.baseModel}"); write base_model: ${first.baseModel}. Nothing was changed.`,
      };
    const other = matched.find((e) => e.baseModel !== first.baseModel || e.method !== first.method);
    if (other)
      return {
        ok: false,
        error: `${file}:${lineOf(imported.recipe.experts[matched.indexOf(other)].id)}: model "${other.name}" (${other.method} over ${other.baseModel}) cannot be merged with "${first.name}" (${first.method} over ${first.baseModel}): experts of one base model and one training method merge together. Nothing was changed.`,
      };
  }
  const warnings = [...imported.warnings];
  if (imported.recipe.perLayer || imported.recipe.experts.some((e) => e.perLayer))
    warnings.push(
      `${file}: per-layer values (gradients, filters) are not sliders: each is put on the sliders as its plain value (a gradient's first point, a filter list's catch-all); merge with the CLI (npm run stm -- merge --config) to keep them`,
    );
  const recipe: MergeRecipe = {
    method: imported.recipe.method,
    baseModel: first?.baseModel ?? imported.recipe.baseModel,
    experts: imported.recipe.experts.map((x, i) => ({
      id: matched[i].id,
      name: matched[i].name,
      params: x.params,
    })),
    options: imported.recipe.options,
  };
  return { ok: true, recipe, warnings };
}
