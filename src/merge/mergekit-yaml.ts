/**
 * mergekit YAML recipes in and out. In: the recipe's keys (merge_method, base_model, models[].model +
 * parameters, parameters, dtype) parsed faithfully into a typed recipe — a parameter may be a number, a
 * list (a gradient across layers) or conditional values ({filter, value}, mergekit's name filters) — then
 * turned into a MergeRecipe; unknown keys are errors naming the key, file and line. Per-layer values
 * (gradients and filters of the numeric parameters weight, density, gamma, epsilon, lambda, t) go to the
 * recipe's perLayer fields (layer-params.ts) with mergekit's fallback: a model's filters that match no
 * tensor fall through to the top-level setting and then to the default, as mergekit's ConfigReader does.
 * Out (mergekit-yaml-export.ts, re-exported here): a MergeRecipe (perLayer included) and the models' paths
 * as a recipe mergekit reads; the keys both sides know are in mergekit-yaml-keys.ts. The merged
 * expert's query instruction (recipe.instruction) travels as a `# stm_instruction: "…"` comment, which
 * mergekit skips and the importer reads back. Pure (no Node imports): the studio uses it in the browser.
 */
import type { LayerModelParams, LayerOptions, ParamRule, ParamValue } from './layer-params';
import { parseYaml, YamlError, type YamlNode, type YamlScalar } from './mergekit-yaml-parse';
import { checkRecipe, type MergeRecipe } from './recipe';
import { checkInstruction } from '../prompts/policy';
import { getMergeMethod } from './registry';
import {
  TOP_KEYS,
  IGNORED_TOP_KEYS,
  UNSUPPORTED_TOP_KEYS,
  MODEL_KEYS,
  MODEL_PARAMS,
  GLOBAL_PARAMS,
  NO_EFFECT_PARAMS,
  PARAM_DEFAULTS,
  DTYPES,
  INSTRUCTION_COMMENT,
} from './mergekit-yaml-keys';
import type { MergeOptions, ModelParams } from './types';

export { YamlError } from './mergekit-yaml-parse';
export { INSTRUCTION_COMMENT } from './mergekit-yaml-keys';
export { exportMergekitYaml, yamlNumber, yamlString, type ExportPaths } from './mergekit-yaml-export';

/** A parameter as mergekit's ParameterSetting: a scalar, a gradient, or conditional values. */
export type ParamSetting =
  | { kind: 'scalar'; line: number; value: number | boolean | string }
  | { kind: 'gradient'; line: number; values: number[] }
  | {
      kind: 'conditional';
      line: number;
      conds: { filter: string | null; value: number | boolean | string | number[] }[];
    };

export interface MergekitModel {
  model: string;
  line: number;
  parameters: Record<string, ParamSetting>;
}

/** A mergekit recipe as written (no defaults applied). */
export interface MergekitRecipe {
  file: string;
  mergeMethod: string;
  mergeMethodLine: number;
  baseModel: string | null;
  models: MergekitModel[];
  parameters: Record<string, ParamSetting>;
  dtype: string | null;
  outDtype: string | null;
  /** keys read and left alone (tokenizer settings), each with its line */
  ignored: string[];
  /** STM's query instruction of the merged expert, from a `# stm_instruction: "…"` comment (null: none) */
  instruction?: { value: string | null; line: number };
}

/** The `# stm_instruction: <JSON string or null>` comment of a recipe's text, if any; a bad one names its line. */
function instructionComment(text: string, file: string): MergekitRecipe['instruction'] {
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex((l) => l.trim().startsWith(INSTRUCTION_COMMENT));
  if (at < 0) return undefined;
  const raw = lines[at].trim().slice(INSTRUCTION_COMMENT.length).trim();
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    fail(
      file,
      at + 1,
      `${INSTRUCTION_COMMENT} needs a double-quoted instruction or null, got ${raw || 'nothing'}`,
    );
  }
  if (v !== null && typeof v !== 'string')
    fail(file, at + 1, `${INSTRUCTION_COMMENT} needs a double-quoted instruction or null, got ${raw}`);
  if (typeof v === 'string') {
    try {
      checkInstruction(v, 'the instruction');
    } catch (e) {
      fail(file, at + 1, (e as Error).message);
    }
  }
  return { value: v === null ? null : v.trim(), line: at + 1 };
}

function fail(file: string, line: number, detail: string): never {
  throw new YamlError(file, line, detail);
}

function unknownKey(file: string, line: number, key: string, where: string, known: readonly string[]): never {
  fail(file, line, `unknown key "${key}" in ${where}; known keys: ${known.join(', ')}`);
}

function mapOf(file: string, n: YamlNode, what: string) {
  if (n.kind !== 'map') fail(file, n.line, `${what} must be a mapping (key: value lines)`);
  return n.entries;
}

function str(file: string, n: YamlNode, what: string): string {
  if (n.kind !== 'scalar' || n.value === null || typeof n.value === 'boolean')
    fail(file, n.line, `${what} must be a name or path`);
  return String(n.value);
}

function scalarValue(file: string, n: YamlNode, what: string): number | boolean | string {
  if (n.kind !== 'scalar' || n.value === null) fail(file, n.line, `${what} needs a value`);
  const v = n.value as Exclude<YamlScalar, null>;
  if (typeof v === 'number' && !Number.isFinite(v))
    fail(file, n.line, `${what} is ${v}; give a finite number`);
  return v;
}

function numberList(file: string, n: YamlNode, what: string): number[] | null {
  if (n.kind !== 'seq') return null;
  if (n.items.length === 0) fail(file, n.line, `${what} is an empty list`);
  if (!n.items.every((x) => x.kind === 'scalar' && typeof x.value === 'number')) return null;
  return n.items.map((x) => scalarValue(file, x, what) as number);
}

/** One parameter setting, as mergekit's evaluate_setting reads it. */
function setting(file: string, n: YamlNode, what: string, line: number): ParamSetting {
  if (n.kind === 'scalar') return { kind: 'scalar', line, value: scalarValue(file, n, what) };
  const grad = numberList(file, n, what);
  if (grad) return { kind: 'gradient', line, values: grad };
  if (n.kind === 'seq' && n.items.every((x) => x.kind === 'scalar'))
    fail(
      file,
      line,
      `${what} is a per-layer list of values that are not all numbers; only numeric parameters (weight, density, gamma, epsilon, lambda, t) may vary by layer: give one value`,
    );
  const conds = n.kind === 'seq' ? n.items : [n];
  return {
    kind: 'conditional',
    line,
    conds: conds.map((c) => {
      const m = mapOf(file, c, `${what}: each entry of a list of conditions ({filter, value})`);
      for (const [k, e] of m)
        if (k !== 'filter' && k !== 'value')
          unknownKey(file, e.line, k, `a condition of ${what}`, ['filter', 'value']);
      const v = m.get('value');
      if (!v) fail(file, c.line, `a condition of ${what} needs "value"`);
      const f = m.get('filter');
      const filter =
        f && !(f.value.kind === 'scalar' && f.value.value === null)
          ? str(file, f.value, `${what} filter`)
          : null;
      const list = numberList(file, v.value, `${what} value`);
      return { filter, value: list ?? scalarValue(file, v.value, `${what} value`) };
    }),
  };
}

function parameters(
  file: string,
  n: YamlNode,
  where: string,
  allowed: readonly string[],
): Record<string, ParamSetting> {
  if (n.kind === 'scalar' && n.value === null) return {};
  const out: Record<string, ParamSetting> = {};
  for (const [k, e] of mapOf(file, n, where)) {
    if (!allowed.includes(k)) unknownKey(file, e.line, k, where, allowed);
    out[k] = setting(file, e.value, `${where}.${k}`, e.line);
  }
  return out;
}

/** Parses a mergekit YAML recipe; every error names `file` and the line. */
export function parseMergekitYaml(text: string, file = 'recipe.yml'): MergekitRecipe {
  const root = parseYaml(text, file);
  const top = mapOf(file, root, 'a mergekit recipe');
  const ignored: string[] = [];
  for (const [k, e] of top) {
    if (k in UNSUPPORTED_TOP_KEYS) fail(file, e.line, `"${k}": ${UNSUPPORTED_TOP_KEYS[k]}`);
    if (IGNORED_TOP_KEYS.includes(k))
      ignored.push(`${file}:${e.line}: "${k}" does not change the merged tensors; ignored`);
    else if (!TOP_KEYS.includes(k)) unknownKey(file, e.line, k, 'the recipe', TOP_KEYS);
  }
  const method = top.get('merge_method');
  if (!method) fail(file, root.line, 'the recipe has no "merge_method"');
  const mergeMethod = str(file, method.value, 'merge_method');
  const allParams = [...MODEL_PARAMS, ...Object.keys(GLOBAL_PARAMS), ...NO_EFFECT_PARAMS];
  const modelsNode = top.get('models');
  if (!modelsNode) fail(file, root.line, 'the recipe has no "models" list');
  if (modelsNode.value.kind !== 'seq') fail(file, modelsNode.line, '"models" must be a list (- model: ...)');
  const models = modelsNode.value.items.map((item, i): MergekitModel => {
    const m =
      item.kind === 'scalar' && typeof item.value === 'string'
        ? new Map([['model', { line: item.line, value: item }]])
        : mapOf(file, item, `models[${i}]`);
    for (const [k, e] of m)
      if (!MODEL_KEYS.includes(k)) unknownKey(file, e.line, k, `models[${i}]`, MODEL_KEYS);
    const model = m.get('model');
    if (!model) fail(file, item.line, `models[${i}] has no "model"`);
    const p = m.get('parameters');
    return {
      model: str(file, model.value, `models[${i}].model`),
      line: model.line,
      parameters: p ? parameters(file, p.value, `models[${i}].parameters`, MODEL_PARAMS) : {},
    };
  });
  const dtype = (key: string) => {
    const d = top.get(key);
    if (!d) return null;
    const v = str(file, d.value, key);
    if (!DTYPES.includes(v)) fail(file, d.line, `${key} "${v}" is not one of ${DTYPES.join(', ')}`);
    return v;
  };
  const base = top.get('base_model');
  const params = top.get('parameters');
  const instruction = instructionComment(text, file);
  return {
    ...(instruction ? { instruction } : {}),
    file,
    mergeMethod,
    mergeMethodLine: method.line,
    baseModel:
      base && !(base.value.kind === 'scalar' && base.value.value === null)
        ? str(file, base.value, 'base_model')
        : null,
    models,
    parameters: params ? parameters(file, params.value, 'parameters', allParams) : {},
    dtype: dtype('dtype'),
    outDtype: dtype('out_dtype'),
    ignored,
  };
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

/** Reads a mergekit YAML recipe into a MergeRecipe (parseMergekitYaml + mergeRecipeFromMergekit). */
export function importMergekitYaml(text: string, file = 'recipe.yml'): ImportedRecipe {
  return mergeRecipeFromMergekit(parseMergekitYaml(text, file));
}
