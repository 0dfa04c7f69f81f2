/**
 * A parsed mergekit recipe (mergekit-yaml.ts) turned into the studio's MergeRecipe: mergekit's defaults
 * applied, per-layer values (gradients and name filters of weight, density, gamma, epsilon, lambda, t) to
 * the recipe's perLayer fields with mergekit's fallback order, everything else checked to be one value.
 * Errors name the file, key and line.
 */
import type { LayerModelParams, LayerOptions, ParamRule, ParamValue } from './layer-params';
import { GLOBAL_PARAMS, MODEL_PARAMS, NO_EFFECT_PARAMS, PARAM_DEFAULTS } from './mergekit-yaml-keys';
import { YamlError } from './mergekit-yaml-parse';
import type { MergekitModel, MergekitRecipe, ParamSetting } from './mergekit-yaml-types';
import { checkRecipe, type MergeRecipe } from './recipe';
import { getMergeMethod } from './registry';
import type { MergeOptions, ModelParams } from './types';

function fail(file: string, line: number, detail: string): never {
  throw new YamlError(file, line, detail);
}

/**
 * A setting that must be one value (true/false parameters, the seed): a scalar, or conditional values with
 * a single rule for every name; a gradient or name filters are refused naming the key and line.
 */
function scalarOf(file: string, s: ParamSetting, what: string): number | boolean | string {
  if (s.kind === 'scalar') return s.value;
  if (
    s.kind === 'conditional' &&
    s.conds.length === 1 &&
    (s.conds[0].filter === null || s.conds[0].filter === '*')
  ) {
    const v = s.conds[0].value;
    if (!Array.isArray(v)) return v;
  }
  fail(
    file,
    s.line,
    `${what} is a per-layer value (${s.kind === 'gradient' ? 'a list interpolated across layers' : 'name filters'}); only numeric parameters (weight, density, gamma, epsilon, lambda, t) may vary by layer: give one value`,
  );
}

const isCatchAll = (r: ParamRule) => r.filter === undefined || r.filter === '*';

/** A numeric setting as a ParamValue (a number, a gradient, or {filter, value} rules). */
function paramValue(file: string, s: ParamSetting, what: string): ParamValue {
  if (s.kind === 'scalar') {
    if (typeof s.value !== 'number')
      fail(file, s.line, `${what} must be a number, got ${JSON.stringify(s.value)}`);
    return s.value;
  }
  if (s.kind === 'gradient') return s.values;
  return s.conds.map((c): ParamRule => {
    if (typeof c.value !== 'number' && !Array.isArray(c.value))
      fail(
        file,
        s.line,
        `${what}: a condition's value must be a number or a list of numbers, got ${JSON.stringify(c.value)}`,
      );
    return c.filter === null ? { value: c.value } : { filter: c.filter, value: c.value };
  });
}

/**
 * A numeric parameter read as mergekit's ConfigReader.parameter reads it: the settings in order (a model's
 * own, then the top level's), each evaluated per tensor; name filters that match nothing fall through to
 * the next setting and at last to the default. The chain becomes one ParamValue: a plain number or a
 * gradient when the first setting is one, else the rules of each setting in turn until one has a rule for
 * every name, then a default rule. A single rule for every name is written as its value.
 */
function layerValue(
  file: string,
  settings: readonly { s: ParamSetting; what: string }[],
  dflt: number | undefined,
): ParamValue {
  const rules: ParamRule[] = [];
  for (const { s, what } of settings) {
    const v = paramValue(file, s, what);
    if (!Array.isArray(v) || v.every((x) => typeof x === 'number')) {
      if (rules.length === 0) return v as number | number[];
      rules.push({ value: v as number | number[] });
      break;
    }
    rules.push(...(v as ParamRule[]));
    if ((v as ParamRule[]).some(isCatchAll)) break;
  }
  if (!rules.some(isCatchAll) && dflt !== undefined) rules.push({ value: dflt });
  if (rules.length === 1 && isCatchAll(rules[0])) return rules[0].value;
  return rules;
}

/**
 * The plain value a recipe keeps beside a per-layer one (labels, sliders, callers that do not resolve per
 * tensor): the value for every name (the first rule without a filter), else the first rule's; of a
 * gradient its first point — what mergekit gives the first layer and the tensors outside the layers.
 */
export function plainParam(v: ParamValue): number {
  if (typeof v === 'number') return v;
  if (v.every((x) => typeof x === 'number')) return (v as number[])[0];
  const rules = v as ParamRule[];
  const r = rules.find(isCatchAll) ?? rules[0];
  return typeof r.value === 'number' ? r.value : r.value[0];
}

function num(file: string, s: ParamSetting, what: string): number {
  const v = scalarOf(file, s, what);
  if (typeof v !== 'number') fail(file, s.line, `${what} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function bool(file: string, s: ParamSetting, what: string): boolean {
  const v = scalarOf(file, s, what);
  if (typeof v !== 'boolean') fail(file, s.line, `${what} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export interface ImportedRecipe {
  recipe: MergeRecipe;
  /** base_model as written (null when the recipe has none) */
  baseModel: string | null;
  /** models[].model as written, in order */
  models: string[];
  dtype: string | null;
  /** notes for the user: ignored keys, parameters the method does not read */
  warnings: string[];
}

/**
 * The MergeRecipe a mergekit recipe describes: each model's parameters (the top-level weight, density,
 * gamma, epsilon are defaults for every model, as in mergekit), the global parameters; experts are named
 * by their paths (id = name = the path; the caller may replace them with what it loads).
 */
export function mergeRecipeFromMergekit(r: MergekitRecipe): ImportedRecipe {
  const { file } = r;
  let method;
  try {
    method = getMergeMethod(r.mergeMethod);
  } catch (e) {
    fail(file, r.mergeMethodLine, (e as Error).message);
  }
  const warnings = [...r.ignored];
  const uses = (p: string) =>
    (method.modelParams as readonly string[]).includes(p) ||
    (method.globalParams as readonly string[]).includes(p);
  // the base is not an expert (linear, which has no base, averages every listed model)
  const isBase = (m: MergekitModel) => method.name !== 'linear' && m.model === r.baseModel;
  const baseIsModel = r.models.some(isBase);
  const experts = r.models
    .filter((m) => !isBase(m))
    .map((m) => {
      const params: ModelParams = { weight: NaN };
      const perLayer: LayerModelParams = {};
      for (const p of MODEL_PARAMS) {
        const settings = [
          { s: m.parameters[p], what: `models[${r.models.indexOf(m)}].parameters.${p}` },
          { s: r.parameters[p], what: `parameters.${p}` },
        ].filter((x): x is { s: ParamSetting; what: string } => x.s !== undefined);
        if (settings.length === 0) continue;
        if (!uses(p)) {
          warnings.push(`${file}:${settings[0].s.line}: ${r.mergeMethod} does not read "${p}"; ignored`);
          continue;
        }
        const v = layerValue(file, settings, PARAM_DEFAULTS[p]);
        params[p] = plainParam(v);
        if (typeof v !== 'number') perLayer[p] = v;
      }
      if (Number.isNaN(params.weight)) {
        if (method.modelParams.includes('weight'))
          fail(file, m.line, `model "${m.model}" has no "weight" (${r.mergeMethod} needs one per model)`);
        delete (params as Partial<ModelParams>).weight;
      }
      return {
        id: m.model,
        name: m.model,
        params,
        ...(Object.keys(perLayer).length ? { perLayer } : {}),
      };
    });
  if (baseIsModel)
    warnings.push(`${file}: the base model is also listed under models; it is the base, not an expert`);
  const options: MergeOptions = {};
  const perLayer: LayerOptions = {};
  for (const [k, s] of Object.entries(r.parameters)) {
    if ((MODEL_PARAMS as readonly string[]).includes(k) || NO_EFFECT_PARAMS.includes(k)) continue;
    const key = GLOBAL_PARAMS[k as keyof typeof GLOBAL_PARAMS];
    if (k !== 'seed' && !uses(key)) {
      warnings.push(`${file}:${s.line}: ${r.mergeMethod} does not read "${k}"; ignored`);
      continue;
    }
    const what = `parameters.${k}`;
    if (key === 'normalize' || key === 'rescale' || key === 'filterWise' || key === 'normalizeWeights')
      options[key] = bool(file, s, what);
    else if (key === 'lambda' || key === 't') {
      const v = layerValue(file, [{ s, what }], PARAM_DEFAULTS[key]);
      options[key] = plainParam(v);
      if (typeof v !== 'number') perLayer[key] = v;
    } else options[key] = num(file, s, what);
  }
  if (method.needsBase && r.baseModel === null)
    fail(file, r.mergeMethodLine, `${r.mergeMethod} needs a base_model`);
  const recipe: MergeRecipe = {
    method: r.mergeMethod,
    baseModel: r.baseModel ?? '',
    experts,
    options,
    ...(Object.keys(perLayer).length ? { perLayer } : {}),
    ...(r.instruction ? { instruction: r.instruction.value } : {}),
  };
  try {
    checkRecipe(recipe);
  } catch (e) {
    fail(file, r.mergeMethodLine, (e as Error).message);
  }
  return { recipe, baseModel: r.baseModel, models: experts.map((e) => e.id), dtype: r.dtype, warnings };
}
