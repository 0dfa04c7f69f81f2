/** A MergeRecipe (per-layer values included) and its models' paths as mergekit YAML that mergekit reads. */
import type { ParamRule, ParamValue } from './layer-params';
import { resolvePlain } from './mergekit-yaml-parse';
import {
  MODEL_PARAMS,
  GLOBAL_PARAMS,
  LAYER_GLOBALS,
  DTYPES,
  INSTRUCTION_COMMENT,
} from './mergekit-yaml-keys';
import { checkRecipe, type MergeRecipe } from './recipe';

const PLAIN = /^[A-Za-z0-9_./@+~-][A-Za-z0-9_./@+~ :=-]*$/;

/** A string as YAML: plain when PyYAML reads it back as the same string, else double-quoted. */
export function yamlString(s: string): string {
  const plainOk = PLAIN.test(s) && !/: |:$| #|\s$/.test(s) && typeof resolvePlain(s) === 'string';
  return plainOk ? s : JSON.stringify(s);
}

/** A number as YAML PyYAML reads as a float or int (an exponent needs a "." and a sign there). */
export function yamlNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`cannot write ${x} to a recipe`);
  const s = String(x);
  const m = /^(-?\d+)(?:\.(\d+))?e([-+])(\d+)$/.exec(s);
  return m ? `${m[1]}.${m[2] ?? '0'}e${m[3]}${m[4]}` : s;
}

/** A parameter's YAML lines: `name: 0.5`, `name: [0, 0.5, 1]`, or a block list of {filter, value} rules. */
function paramLines(indent: string, name: string, v: ParamValue): string[] {
  const flow = (x: number | number[]) =>
    typeof x === 'number' ? yamlNumber(x) : `[${x.map(yamlNumber).join(', ')}]`;
  if (typeof v === 'number' || v.every((x) => typeof x === 'number'))
    return [`${indent}${name}: ${flow(v as number | number[])}`];
  const out = [`${indent}${name}:`];
  for (const r of v as ParamRule[]) {
    if (r.filter === undefined) out.push(`${indent}  - value: ${flow(r.value)}`);
    else out.push(`${indent}  - filter: ${yamlString(r.filter)}`, `${indent}    value: ${flow(r.value)}`);
  }
  return out;
}

export interface ExportPaths {
  /** base_model (a path or a model id); null to leave it out (linear without a base) */
  baseModel: string | null;
  /** one per recipe expert, in order */
  models: readonly string[];
}

/** The recipe as mergekit YAML: merge_method, base_model, models[].parameters, parameters, dtype. */
export function exportMergekitYaml(recipe: MergeRecipe, paths: ExportPaths, dtype = 'float32'): string {
  checkRecipe(recipe);
  if (paths.models.length !== recipe.experts.length)
    throw new Error(`exportMergekitYaml: ${recipe.experts.length} experts but ${paths.models.length} paths`);
  if (!DTYPES.includes(dtype))
    throw new Error(`exportMergekitYaml: dtype "${dtype}" is not one of ${DTYPES.join(', ')}`);
  const lines: string[] = [];
  // the merged expert's query instruction, for STM Studio (a comment: mergekit reads none)
  if (recipe.instruction !== undefined)
    lines.push(`${INSTRUCTION_COMMENT} ${JSON.stringify(recipe.instruction)}`);
  lines.push(`merge_method: ${yamlString(recipe.method)}`);
  if (paths.baseModel !== null) lines.push(`base_model: ${yamlString(paths.baseModel)}`);
  lines.push('models:');
  recipe.experts.forEach((e, i) => {
    lines.push(`  - model: ${yamlString(paths.models[i])}`);
    // a per-layer value wins over the plain one (which the importer derives from it again)
    const value = (p: (typeof MODEL_PARAMS)[number]) => e.perLayer?.[p] ?? e.params[p];
    const ps = MODEL_PARAMS.filter((p) => value(p) !== undefined);
    if (ps.length) {
      lines.push('    parameters:');
      for (const p of ps) lines.push(...paramLines('      ', p, value(p)!));
    }
  });
  const layered = (name: string) =>
    (LAYER_GLOBALS as readonly string[]).includes(name)
      ? recipe.perLayer?.[name as (typeof LAYER_GLOBALS)[number]]
      : undefined;
  const opts = Object.entries(GLOBAL_PARAMS).filter(
    ([name, key]) => recipe.options[key] !== undefined || layered(name) !== undefined,
  );
  if (opts.length) {
    lines.push('parameters:');
    for (const [name, key] of opts) {
      const per = layered(name);
      if (per !== undefined) {
        lines.push(...paramLines('  ', name, per));
        continue;
      }
      const v = recipe.options[key]!;
      const note =
        name === 'seed' ? '  # STM Studio: the DARE/DELLA mask seed (mergekit has none and ignores it)' : '';
      lines.push(`  ${name}: ${typeof v === 'boolean' ? String(v) : yamlNumber(v)}${note}`);
    }
  }
  lines.push(`dtype: ${dtype}`);
  return lines.join('\n') + '\n';
}
