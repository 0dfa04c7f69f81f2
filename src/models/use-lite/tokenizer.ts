/**
 * USE-lite's SentencePiece (unigram) tokenizer, reproducing the TF.js reference encoder
 * (@energetic-ai/embeddings, after tfjs-models/universal-sentence-encoder) id for id:
 *
 * - input: NFKC-normalised; every U+0020 space becomes "▁" and one "▁" is prepended (other whitespace,
 *   tabs and newlines, stays as is); the empty string gives no ids. No case folding.
 * - vocab.json: [piece, score][]; ids 0..5 are reserved (0 = unknown "�", 1 <s>, 2 </s>, 3..5 extra) and
 *   are never matched; a later duplicate piece replaces an earlier one; a null score counts as 0.
 * - lattice: at each code point, every vocabulary piece that starts there; when none does, the one
 *   code point as "unknown" (id 0, score 0). Best path by summed score, scanning end positions left to
 *   right and start positions in increasing order, where a later candidate wins ties (>=) and a best
 *   score of exactly 0 counts as "not set yet" (the reference's quirks, kept for identical ids).
 * - back-tracking steps back by the UTF-16 length of the chosen piece; runs of unknowns merge into one id 0.
 * - no <s>/</s> ids are added; the graph clips to its maxLength (128) tokens.
 *
 * Cutting a long text first (encodeFirst, issue 8 item 11) is exact when every piece holds "▁" only as its
 * first character and no astral character, and the unknown piece is one code unit (cutSafe; true of the
 * shipped vocabulary): then no piece spans a "▁", so every path of the lattice passes the position of a
 * space, the best path up to it depends only on the text before it (NFKC has a boundary before U+0020),
 * back-tracking steps by true piece lengths and so lands on it, and merging unknown runs keeps a prefix:
 * the ids of the text cut before a space are the first ids of the whole text.
 */
import { encodeCut } from '../text-cut';

export type VocabEntry = readonly [piece: string, score: number | null];

export const RESERVED_IDS = 6;
export const UNKNOWN_ID = 0;
const SPACE = '\u2581';

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  id: number;
  score: number;
}

const newNode = (): TrieNode => ({ children: new Map(), id: -1, score: 0 });

export class UseLiteTokenizer {
  private readonly root = newNode();
  /** UTF-16 length of each piece: the reference steps back by it */
  private readonly pieceLength: Int32Array;
  /** whether encodeFirst may cut a long text before tokenising (see the header) */
  readonly cutSafe: boolean;

  constructor(readonly vocab: readonly VocabEntry[]) {
    if (vocab.length <= RESERVED_IDS)
      throw new Error(`USE-lite vocabulary has ${vocab.length} entries, expected thousands`);
    this.pieceLength = new Int32Array(vocab.length);
    vocab.forEach(([piece], id) => {
      this.pieceLength[id] = Math.max(1, piece.length);
    });
    for (let id = RESERVED_IDS; id < vocab.length; id++) {
      const [piece, score] = vocab[id];
      if (!piece) continue;
      let node = this.root;
      for (const ch of piece) {
        let next = node.children.get(ch);
        if (!next) {
          next = newNode();
          node.children.set(ch, next);
        }
        node = next;
      }
      node.id = id;
      node.score = score ?? 0;
    }
    const plain = (piece: string) => piece.indexOf(SPACE, 1) < 0 && !/[\uD800-\uDFFF]/.test(piece);
    this.cutSafe =
      this.pieceLength[UNKNOWN_ID] === 1 && vocab.every(([piece], id) => id < RESERVED_IDS || plain(piece));
  }

  /** The first maxTokens ids of encode(text), tokenising only the start of a long text when cutSafe. */
  encodeFirst(text: string, maxTokens: number, cut = true): number[] {
    const ids =
      cut && this.cutSafe
        ? encodeCut(
            text,
            maxTokens,
            (s) => this.encode(s),
            (e) => e.length >= maxTokens,
          )
        : this.encode(text);
    return ids.length > maxTokens ? ids.slice(0, maxTokens) : ids;
  }

  /** Validates vocab.json's content: an array of [string, number | null] pairs. */
  static fromJson(json: unknown, file = 'vocab.json'): UseLiteTokenizer {
    if (!Array.isArray(json)) throw new Error(`${file}: expected an array of [piece, score] pairs`);
    json.forEach((e: unknown, i) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !(typeof e[1] === 'number' || e[1] === null)) {
        throw new Error(`${file}: entry ${i} is ${JSON.stringify(e)}, expected [piece, score]`);
      }
    });
    return new UseLiteTokenizer(json as VocabEntry[]);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** The text the lattice runs over, as code points. */
  static preprocess(text: string): string[] {
    const normalized = text.normalize('NFKC');
    return normalized ? Array.from(SPACE + normalized.replace(/ /g, SPACE)) : [];
  }

  encode(text: string): number[] {
    const chars = UseLiteTokenizer.preprocess(text);
    const n = chars.length;
    if (n === 0) return [];
    // edges ending at each position, pushed in increasing start order
    const edgeStart: number[][] = Array.from({ length: n + 1 }, () => []);
    const edgeId: number[][] = Array.from({ length: n + 1 }, () => []);
    const edgeScore: number[][] = Array.from({ length: n + 1 }, () => []);
    for (let i = 0; i < n; i++) {
      let node = this.root.children.get(chars[i]);
      let found = false;
      for (let j = i; node;) {
        if (node.id >= 0) {
          edgeStart[j + 1].push(i);
          edgeId[j + 1].push(node.id);
          edgeScore[j + 1].push(node.score);
          found = true;
        }
        j++;
        node = j < n ? node.children.get(chars[j]) : undefined;
      }
      if (!found) {
        edgeStart[i + 1].push(i);
        edgeId[i + 1].push(UNKNOWN_ID);
        edgeScore[i + 1].push(0);
      }
    }
    const best = new Float64Array(n + 1);
    const word = new Int32Array(n + 1);
    for (let end = 1; end <= n; end++) {
      const starts = edgeStart[end];
      for (let k = 0; k < starts.length; k++) {
        const score = edgeScore[end][k] + best[starts[k]];
        if (best[end] === 0 || score >= best[end]) {
          best[end] = score;
          word[end] = edgeId[end][k];
        }
      }
    }
    const reversed: number[] = [];
    for (let at = n; at > 0; at -= this.pieceLength[word[at]]) reversed.push(word[at]);
    const ids: number[] = [];
    for (let i = 0; i < reversed.length; i++) {
      if (!(reversed[i] === UNKNOWN_ID && i > 0 && reversed[i - 1] === UNKNOWN_ID)) ids.push(reversed[i]);
    }
    return ids.reverse();
  }
}
