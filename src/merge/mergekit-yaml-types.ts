/** A mergekit YAML recipe as written (mergekit-yaml.ts parses it; mergekit-yaml-recipe.ts turns it into a MergeRecipe). */

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
