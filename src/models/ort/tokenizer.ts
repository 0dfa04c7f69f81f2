/**
 * A Hugging Face tokenizer built with @xenova/transformers from the parsed tokenizer.json and
 * tokenizer_config.json (never fetched by the library), with truncation that keeps trailing special tokens.
 */
import type { PreTrainedTokenizer } from '@xenova/transformers';
import { OrtModelError } from './session';

export function parseJsonFile(bytes: ArrayBuffer, file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new OrtModelError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new OrtModelError(file, 'not a JSON object');
  return v as Record<string, unknown>;
}

export class OrtTokenizer {
  private constructor(
    private readonly tok: PreTrainedTokenizer,
    private readonly special: ReadonlySet<number>,
    readonly padId: number,
    readonly eosId: number | null,
  ) {}

  static async create(tj: Record<string, unknown>, tc: Record<string, unknown>, dir: string): Promise<OrtTokenizer> {
    const file = `${dir}tokenizer.json`;
    if (typeof tj.model !== 'object' || tj.model === null) throw new OrtModelError(file, 'missing "model"');
    const { AutoTokenizer, PreTrainedTokenizer: Base } = await import('@xenova/transformers');
    const name = typeof tc.tokenizer_class === 'string' ? tc.tokenizer_class.replace(/Fast$/, '') : '';
    const mapping = AutoTokenizer.TOKENIZER_CLASS_MAPPING as unknown as Record<string, typeof Base | undefined>;
    const Cls = mapping[name] ?? Base;
    let tok: PreTrainedTokenizer;
    try {
      tok = new Cls({ added_tokens: [], ...tj }, tc);
    } catch (e) {
      throw new OrtModelError(file, `cannot build the tokenizer (${e instanceof Error ? e.message : String(e)})`);
    }
    const idOf = (t: string | null | undefined) => (t ? (tok.model.tokens_to_ids.get(t) ?? null) : null);
    const eosId = idOf(tok.getToken('eos_token'));
    const padId = idOf(tok.getToken('pad_token')) ?? eosId ?? 0;
    return new OrtTokenizer(tok, new Set(tok.all_special_ids), padId, eosId);
  }

  /**
   * Ids with the tokenizer's special tokens; `appendEos` adds that id unless already last. Longer than
   * maxTokens: the text is cut and the trailing special tokens kept.
   */
  encode(text: string, maxTokens: number, appendEos: number | null = null): number[] {
    let ids: number[] = this.tok.encode(text);
    if (appendEos !== null && ids[ids.length - 1] !== appendEos) ids = [...ids, appendEos];
    if (ids.length > maxTokens) {
      let tail = 0;
      while (tail < maxTokens && (this.special.has(ids[ids.length - 1 - tail]) || ids[ids.length - 1 - tail] === appendEos)) tail++;
      ids = [...ids.slice(0, maxTokens - tail), ...ids.slice(ids.length - tail)];
    }
    return ids;
  }
}
