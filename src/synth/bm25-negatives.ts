/**
 * Hard negatives for synthetic items without a model: the documents BM25 ranks highest for the item's
 * query, other than the item's own document. They look relevant by their words, so a reviewer checks
 * them (one that does answer the query is marked a false negative and left out of training).
 */
import type { Doc } from '../data/types';
import { Bm25Index } from '../eval/bm25';
import type { SynthItem } from './types';

const text = (d: Doc) => (d.title.trim() ? `${d.title.trim()}\n${d.text}` : d.text);

/**
 * The items with up to `n` BM25-mined negatives each (their own document never among them). Yields to
 * the event loop every 100 items so a cancel (`signal`) can land while it runs.
 */
export async function withBm25Negatives(
  items: readonly SynthItem[],
  docs: readonly Doc[],
  n: number,
  now: string,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<SynthItem[]> {
  if (n <= 0 || items.length === 0) return [...items];
  const index = Bm25Index.build(docs);
  const byId = new Map(docs.map((d) => [d.id, d]));
  const out: SynthItem[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const hits = index
      .search(it.query, n + 1)
      .filter((h) => h.docId !== it.docId)
      .slice(0, n);
    const negatives = hits.map((h, rank) => ({
      text: text(byId.get(h.docId) as Doc),
      docId: h.docId,
      provenance: {
        method: 'mined',
        settings: { retriever: 'bm25', rank: rank + 1 },
        model: 'bm25',
        createdAt: now,
      },
    }));
    out.push({ ...it, negatives: [...it.negatives, ...negatives] });
    if ((i + 1) % 100 === 0 || i + 1 === items.length) {
      onProgress?.(i + 1, items.length);
      await new Promise((r) => setTimeout(r, 0));
      signal?.throwIfAborted();
    }
  }
  return out;
}
