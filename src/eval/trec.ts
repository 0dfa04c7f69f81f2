/** TREC run files ("qid Q0 docid rank score tag") and BEIR qrels TSV text. */
import { DataError, type Qrels } from '../data/types';
import { parseQrels, textSource } from '../data/beir';
import type { Hit, Run } from './types';
import { rankHits } from './metrics';

/**
 * One line per hit, queries in id order, hits in trec_eval order (score desc, docId desc) with
 * 1-based ranks, at most `depth` per query. Scores are printed as the shortest decimal that reads
 * back to the same double, so the file keeps the exact order and ties.
 */
export function formatTrecRun(run: Run, tag: string, depth = 1000): string {
  if (/\s/.test(tag) || tag.length === 0) throw new Error(`run tag must be one non-empty word, got "${tag}"`);
  const lines: string[] = [];
  const qids = [...run.keys()].sort();
  for (const qid of qids) {
    if (/\s/.test(qid)) throw new Error(`query id "${qid}" contains whitespace`);
    const ranked = rankHits(run.get(qid) ?? [], qid);
    const n = Math.min(depth, ranked.length);
    for (let i = 0; i < n; i++) {
      const h = ranked[i];
      if (/\s/.test(h.docId)) throw new Error(`doc id "${h.docId}" contains whitespace`);
      if (!Number.isFinite(h.score))
        throw new Error(`query "${qid}" doc "${h.docId}": score ${h.score} is not finite`);
      lines.push(`${qid} Q0 ${h.docId} ${i + 1} ${String(h.score)} ${tag}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Reads a TREC run; the rank column is checked for being an integer but order comes from scores. */
export function parseTrecRun(text: string, file = 'run'): Run {
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length === 0) continue;
    const cols = line.split(/\s+/);
    if (cols.length !== 6)
      throw new DataError(
        file,
        i + 1,
        `expected 6 columns "qid Q0 docid rank score tag", got ${cols.length}`,
      );
    const [qid, , docId, rank, scoreText] = cols;
    if (!/^\d+$/.test(rank)) throw new DataError(file, i + 1, `rank "${rank}" is not a non-negative integer`);
    const score = Number(scoreText);
    if (scoreText.length === 0 || !Number.isFinite(score))
      throw new DataError(file, i + 1, `score "${scoreText}" is not a number`);
    let docs = seen.get(qid);
    if (!docs) {
      seen.set(qid, (docs = new Set()));
      run.set(qid, []);
    }
    if (docs.has(docId)) throw new DataError(file, i + 1, `query "${qid}" lists doc "${docId}" twice`);
    docs.add(docId);
    (run.get(qid) as Hit[]).push({ docId, score });
  }
  return run;
}

/** BEIR qrels TSV text (header "query-id corpus-id score") via the data parser. */
export function parseQrelsTsv(text: string, file = 'qrels.tsv'): Promise<Qrels> {
  return parseQrels(textSource(file, text));
}
