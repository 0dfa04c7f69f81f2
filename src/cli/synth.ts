/**
 * `stm synth`: pseudo-queries for a corpus (src/synth/pseudo.ts), optionally with hard negatives mined
 * from the same corpus (src/train/mining.ts, sentence-transformers mine_hard_negatives semantics), written
 * as training pairs that `stm train --train` reads as they are.
 */
import { writeFile } from 'node:fs/promises';
import { loadCorpusDir } from '../data/node';
import type { Doc } from '../data/types';
import { resolveModelNode } from '../experts/resolve-node';
import { pseudoQueries } from '../synth/pseudo';
import { docText, formatTrainingPairs } from '../train/data';
import { defaultMiningConfig } from '../train/defaults';
import { mineHardNegatives } from '../train/mining';
import type { TrainingPair } from '../train/types';
import type { SynthArgs } from './args';
import { cliBackend } from './backend';
import type { Reporter } from './progress';
import { checkWritableFile, writeFailed } from './writable';

/**
 * Mines negatives for pairs whose positive is (part of) a corpus document. The ranking is over the whole
 * documents, and each pair is mined with its own document as the positive, so that document is never
 * its negative (an ICT positive is the document less a sentence, which would not match it exactly).
 */
async function mine(
  a: SynthArgs & { negatives: { kind: 'mined'; n: number } },
  docs: readonly Doc[],
  items: readonly { docId: string; query: string; positive: string }[],
  report: Pick<Reporter, 'log' | 'progress'>,
): Promise<TrainingPair[]> {
  const backend = await cliBackend(a.backend, report.log);
  try {
    const embedder = await resolveModelNode(a.model, report.log);
    const full = new Map(docs.map((d) => [d.id, docText(d)]));
    const r = await mineHardNegatives(
      backend,
      embedder,
      items.map((it) => ({ query: it.query, positive: full.get(it.docId)! })),
      docs.map(docText),
      {
        ...defaultMiningConfig(),
        numNegatives: a.negatives.n,
        rangeMin: a.mineRange[0],
        rangeMax: a.mineRange[1],
      },
      { seed: a.seed, onProgress: (p) => report.progress(`mining ${p.phase}`, p.done, p.total) },
    );
    report.log(
      `mining with ${embedder.id}: mean cos positive ${r.meanPositive.toFixed(3)}, negative ${r.meanNegative.toFixed(3)}; ${r.short} pairs with fewer than ${a.negatives.n} negatives`,
    );
    return items.map((it, i) => ({
      query: it.query,
      positive: it.positive,
      negatives: r.pairs[i].negatives,
    }));
  } finally {
    backend.destroy();
  }
}

export async function runSynth(a: SynthArgs, report: Pick<Reporter, 'log' | 'progress'>): Promise<void> {
  const log = report.log;
  const toStdout = a.out === '-';
  // an output file that cannot be written fails now, not after the mining
  if (!toStdout) await checkWritableFile('--out', a.out);
  const docs = await loadCorpusDir(a.dataset);
  log(`corpus ${a.dataset}: ${docs.length} docs`);
  const items = pseudoQueries(
    docs,
    a.dataset,
    {
      method: a.method,
      perDoc: a.perDoc,
      minDocWords: a.minDocWords,
      queryWords: a.queryWords,
      seed: a.seed,
    },
    (done, total) => report.progress(`${a.method} queries`, done, total),
  );
  const used = new Set(items.map((it) => it.docId)).size;
  if (items.length === 0)
    throw new Error(
      `${a.dataset}: no ${a.method} query could be written: no document has ${a.minDocWords}+ words and a ` +
        `${a.method === 'ict' ? 'sentence' : 'title or key phrase'} of ${a.queryWords.min}+ words ` +
        `(lower --min-doc-words or --query-words); nothing was written`,
    );
  log(`${a.method}: ${items.length} queries for ${used} of ${docs.length} docs (seed ${a.seed})`);
  const pairs: TrainingPair[] =
    a.negatives.kind === 'mined'
      ? await mine({ ...a, negatives: a.negatives }, docs, items, report)
      : items.map((it) => ({ query: it.query, positive: it.positive }));
  const text = formatTrainingPairs(pairs);
  if (toStdout) {
    process.stdout.write(text);
  } else {
    try {
      await writeFile(a.out, text);
    } catch (e) {
      throw writeFailed('the pairs file', a.out, e);
    }
    log(`wrote ${a.out}: ${pairs.length} pairs`);
    console.log(a.out);
  }
  const summary = {
    dataset: a.dataset,
    method: a.method,
    docs: docs.length,
    docsUsed: used,
    pairs: pairs.length,
    negatives: a.negatives.kind === 'mined' ? `mined:${a.negatives.n}` : 'none',
    seed: a.seed,
    out: a.out,
  };
  if (a.json) (toStdout ? log : console.log)(JSON.stringify(summary));
}
