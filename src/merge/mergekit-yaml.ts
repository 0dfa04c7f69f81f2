/**
 * mergekit YAML recipes in and out. In: the recipe's keys (merge_method, base_model, models[].model +
 * parameters, parameters, dtype) parsed faithfully into a typed recipe — a parameter may be a number, a
 * list (a gradient across layers) or conditional values ({filter, value}, mergekit's name filters) — then
 * turned into a MergeRecipe; unknown keys are errors naming the key, file and line. Per-layer values
 * (gradients and filters of the numeric parameters weight, density, gamma, epsilon, lambda, t) go to the
 * recipe's perLayer fields (layer-params.ts) with mergekit's fallback: a model's filters that match no
 * tensor fall through to the top-level setting and then to the default, as mergekit's ConfigReader does.
 * The typed recipe becomes a MergeRecipe in mergekit-yaml-recipe.ts. Out (mergekit-yaml-export.ts, re-exported here): a MergeRecipe (perLayer included) and the models' paths
 * as a recipe mergekit reads; the keys both sides know are in mergekit-yaml-keys.ts. The merged
 * expert's query instruction (recipe.instruction) travels as a `# stm_instruction: "…"` comment, which
 * mergekit skips and the importer reads back. Pure (no Node imports): the studio uses it in the browser.
 */
import { parseYaml, YamlError, type YamlNode, type YamlScalar } from './mergekit-yaml-parse';
import { checkInstruction } from '../prompts/policy';
import {
  TOP_KEYS,
  IGNORED_TOP_KEYS,
  UNSUPPORTED_TOP_KEYS,
  MODEL_KEYS,
  MODEL_PARAMS,
  GLOBAL_PARAMS,
  NO_EFFECT_PARAMS,
  DTYPES,
  INSTRUCTION_COMMENT,
} from './mergekit-yaml-keys';
import { mergeRecipeFromMergekit, type ImportedRecipe } from './mergekit-yaml-recipe';
import type { MergekitModel, MergekitRecipe, ParamSetting } from './mergekit-yaml-types';

export { YamlError } from './mergekit-yaml-parse';
export { INSTRUCTION_COMMENT } from './mergekit-yaml-keys';
export { exportMergekitYaml, yamlNumber, yamlString, type ExportPaths } from './mergekit-yaml-export';
export { mergeRecipeFromMergekit, plainParam, type ImportedRecipe } from './mergekit-yaml-recipe';
export type { MergekitModel, MergekitRecipe, ParamSetting } from './mergekit-yaml-types';

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

/** Reads a mergekit YAML recipe into a MergeRecipe (parseMergekitYaml + mergeRecipeFromMergekit). */
export function importMergekitYaml(text: string, file = 'recipe.yml'): ImportedRecipe {
  return mergeRecipeFromMergekit(parseMergekitYaml(text, file));
}
