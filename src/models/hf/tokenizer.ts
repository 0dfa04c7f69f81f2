/**
 * Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) through @xenova/transformers, built
 * from the parsed files (never fetched), with truncation that keeps the trailing special tokens.
 */
import type { PreTrainedTokenizer } from '@xenova/transformers';
import { encodeCut } from '../text-cut';
import { cutSafePipeline } from './tokenizer-cut';

/** How many special ids the post-processor puts before and after a text's own tokens. */
interface Frame {
  readonly lead: number;
  readonly trail: number;
}

/** The frame, from encoding "a" with and without special tokens; null when it is not a plain wrap. */
function frameOf(tok: PreTrainedTokenizer): Frame | null {
  const withSpecial = tok.encode('a');
  const bare = tok.encode('a', null, { add_special_tokens: false });
  for (let lead = 0; lead + bare.length <= withSpecial.length; lead++) {
    if (bare.every((id, i) => withSpecial[lead + i] === id))
      return { lead, trail: withSpecial.length - lead - bare.length };
  }
  return null;
}

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
    private readonly frame: Frame | null,
    /** whether a long text may be cut before tokenising (tokenizer-cut.ts says when that is exact) */
    readonly cutsLongTexts: boolean,
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
    const frame = frameOf(tok);
    const plainClass = tok._encode_text === Base.prototype._encode_text;
    const cuts = frame !== null && plainClass && cutSafePipeline(tj);
    return new HfTokenizer(tok, new Set(tok.all_special_ids), padId, eosId, frame, cuts);
  }

  /**
   * Token ids with the tokenizer's special tokens. Longer than maxTokens: the text is cut and the special
   * tokens the post-processor adds at the end (e.g. [SEP], <|endoftext|>) kept, and the appended EOS.
   * `appendEos` adds that id unless the sequence already ends with it. A long text is cut before it is
   * tokenised when `cutsLongTexts` (the same ids, proven in tokenizer-cut.ts); `cut: false` tokenises it whole.
   */
  encode(text: string, maxTokens: number, appendEos: number | null = null, cut = true): number[] {
    if (this.frame === null) return this.encodeUnframed(text, maxTokens, appendEos);
    const { lead, trail } = this.frame;
    const all = (s: string) => this.tok.encode(s);
    let ids =
      cut && this.cutsLongTexts
        ? encodeCut(text, maxTokens, all, (e) => e.length - lead - trail > maxTokens)
        : all(text);
    let tail = trail;
    if (appendEos !== null) {
      if (ids[ids.length - 1] !== appendEos) {
        ids = [...ids, appendEos];
        tail++;
      } else tail = Math.max(tail, 1);
    }
    if (ids.length > maxTokens) {
      tail = Math.min(tail, maxTokens);
      ids = [...ids.slice(0, maxTokens - tail), ...ids.slice(ids.length - tail)];
    }
    return ids;
  }

  /** A post-processor that is not a plain wrap: the whole text, keeping every trailing special id. */
  private encodeUnframed(text: string, maxTokens: number, appendEos: number | null): number[] {
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

  /** ids of a text as it is, no special tokens added (a rendered chat template carries its own) */
  encodeText(text: string): number[] {
    return this.tok.encode(text, null, { add_special_tokens: false });
  }

  /** the text of ids, special tokens dropped */
  decode(ids: readonly number[]): string {
    return ids.length ? this.tok.decode([...ids], { skip_special_tokens: true }) : '';
  }

  /** a special token's text from tokenizer_config.json ('bos_token', 'eos_token', …), null when it has none */
  specialToken(name: string): string | null {
    return this.tok.getToken(name) ?? null;
  }

  idOf(token: string): number | null {
    return this.tok.model.tokens_to_ids.get(token) ?? null;
  }
}
