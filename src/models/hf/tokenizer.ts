/**
 * Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) through @xenova/transformers, built
 * from the parsed files (never fetched), with truncation that keeps the trailing special tokens.
 */
import type { PreTrainedTokenizer } from '@xenova/transformers';

export class TokenizerError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'TokenizerError';
  }
}

function parseJson(text: string | object, file: string): Record<string, unknown> {
  let v: unknown = text;
  if (typeof text === 'string') {
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new TokenizerError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TokenizerError(file, 'not a JSON object');
  return v as Record<string, unknown>;
}

export class HfTokenizer {
  private constructor(
    private readonly tok: PreTrainedTokenizer,
    private readonly special: ReadonlySet<number>,
    /** the id padding positions hold */
    readonly padId: number,
    /** the tokenizer's eos_token id, if it has one */
    readonly eosId: number | null,
  ) {}

  /** `prefix` (e.g. a folder path) is put before the file names in error messages */
  static async create(
    tokenizerJson: string | object,
    tokenizerConfig: string | object,
    prefix = '',
  ): Promise<HfTokenizer> {
    const file = `${prefix}tokenizer.json`;
    const tj = parseJson(tokenizerJson, file);
    const tc = parseJson(tokenizerConfig, `${prefix}tokenizer_config.json`);
    if (typeof tj.model !== 'object' || tj.model === null) throw new TokenizerError(file, 'missing "model"');
    if (!Array.isArray(tj.added_tokens)) tj.added_tokens = [];
    const { AutoTokenizer, PreTrainedTokenizer: Base } = await import('@xenova/transformers');
    const name =
      typeof tc.tokenizer_class === 'string'
        ? tc.tokenizer_class.replace(/Fast$/, '')
        : 'PreTrainedTokenizer';
    const mapping = AutoTokenizer.TOKENIZER_CLASS_MAPPING as unknown as Record<
      string,
      typeof Base | undefined
    >;
    const Cls = mapping[name] ?? Base;
    let tok: PreTrainedTokenizer;
    try {
      tok = new Cls(tj, tc);
    } catch (e) {
      throw new TokenizerError(
        file,
        `cannot build the tokenizer (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    const idOf = (t: string | null | undefined) => (t ? (tok.model.tokens_to_ids.get(t) ?? null) : null);
    const eosId = idOf(tok.getToken('eos_token'));
    const padId = idOf(tok.getToken('pad_token')) ?? eosId ?? 0;
    return new HfTokenizer(tok, new Set(tok.all_special_ids), padId, eosId);
  }

  /**
   * Token ids with the tokenizer's special tokens. Longer than maxTokens: the text is cut and the trailing
   * special tokens (e.g. [SEP], <|endoftext|>) kept. `appendEos` adds that id unless the sequence already ends with it.
   */
  encode(text: string, maxTokens: number, appendEos: number | null = null): number[] {
    let ids = this.tok.encode(text);
    if (appendEos !== null && ids[ids.length - 1] !== appendEos) ids = [...ids, appendEos];
    if (ids.length > maxTokens) {
      const isSpecial = (id: number) => this.special.has(id) || id === appendEos;
      let tail = 0;
      while (tail < ids.length && tail < maxTokens && isSpecial(ids[ids.length - 1 - tail])) tail++;
      ids = [...ids.slice(0, maxTokens - tail), ...ids.slice(ids.length - tail)];
    }
    return ids;
  }

  idOf(token: string): number | null {
    return this.tok.model.tokens_to_ids.get(token) ?? null;
  }
}
