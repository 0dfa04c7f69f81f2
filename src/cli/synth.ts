/**
 * `stm synth`: queries for a corpus — pseudo-queries (src/synth/pseudo.ts) or written by an LLM (an
 * endpoint or a decoder run here, src/cli/synth-llm.ts) — optionally with hard negatives mined from the
 * same corpus (src/train/mining.ts, sentence-transformers mine_hard_negatives semantics) or written by the
 * LLM from a mined one (the paper's prompt), as training pairs that `stm train --train` reads as they are.
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
import type { SynthItem } from '../synth/types';
import type { SynthArgs } from './synth-args';
import { endpointWriter, localWriter, runLlmNegatives, runLlmQueries, type LlmWriter } from './synth-llm';
import { cliBackend } from './backend';
import type { Reporter } from './progress';
import { checkWritableFile, writeFailed } from './writable';

/**
 * Mines negatives for pairs whose positive is (part of) a corpus document. The ranking is over the whole
 * documents, and each pair is mined with its own document as the positive, so that document is never
 * its negative (an ICT positive is the document less a sentence, which would not match it exactly).
 */
async function mine(
  a: SynthArgs,
  n: number,
  docs: readonly Doc[],
  items: readonly { docId: string; query: string; positive: string }[],
  report: Pick<Reporter, 'log' | 'progress'>,
): Promise<{ pairs: TrainingPair[]; model: string }> {
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
        numNegatives: n,
        rangeMin: a.mineRange[0],
        rangeMax: a.mineRange[1],
      },
      { seed: a.seed, onProgress: (p) => report.progress(`mining ${p.phase}`, p.done, p.total) },
    );
    report.log(
      `mining with ${embedder.id}: mean cos positive ${r.meanPositive.toFixed(3)}, negative ${r.meanNegative.toFixed(3)}; ${r.short} pairs with fewer than ${n} negatives`,
    );
    const pairs = items.map((it, i) => ({
      query: it.query,
      positive: it.positive,
      negatives: r.pairs[i].negatives,
    }));
    return { pairs, model: embedder.id };
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
  const writer = await openWriter(a, report);
  try {
    const items = await writeQueries(a, docs, writer, report);
    const used = new Set(items.map((it) => it.docId)).size;
    if (items.length === 0)
      throw new Error(
        a.method === 'llm'
          ? `${a.dataset}: the LLM wrote no usable query; nothing was written`
          : `${a.dataset}: no ${a.method} query could be written: no document has ${a.minDocWords}+ words and a ` +
              `${a.method === 'ict' ? 'sentence' : 'title or key phrase'} of ${a.queryWords.min}+ words ` +
              `(lower --min-doc-words or --query-words); nothing was written`,
      );
    log(`${a.method}: ${items.length} queries for ${used} of ${docs.length} docs (seed ${a.seed})`);
    const pairs = await withNegatives(a, docs, items, writer, report);
    await writeOut(a, pairs, docs.length, used, report);
  } finally {
    writer?.release();
  }
}

async function openWriter(
  a: SynthArgs,
  report: Pick<Reporter, 'log' | 'progress'>,
): Promise<LlmWriter | null> {
  const w = a.writer;
  if (!w) return null;
  return w.kind === 'endpoint'
    ? endpointWriter(w.llm, report)
    : localWriter(w.source, w.temperature, a.backend, report);
}

function writeQueries(
  a: SynthArgs,
  docs: readonly Doc[],
  writer: LlmWriter | null,
  report: Pick<Reporter, 'log' | 'progress'>,
): Promise<SynthItem[]> | SynthItem[] {
  if (a.method === 'llm')
    return runLlmQueries(docs, writer!, { k: a.perDoc, set: a.dataset, seed: a.seed }, report);
  return pseudoQueries(
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
}

/** The pairs with their negatives: none, mined, or one mined and one written from it by the LLM. */
async function withNegatives(
  a: SynthArgs,
  docs: readonly Doc[],
  items: SynthItem[],
  writer: LlmWriter | null,
  report: Pick<Reporter, 'log' | 'progress'>,
): Promise<TrainingPair[]> {
  const neg = a.negatives;
  if (neg.kind === 'none') return items.map((it) => ({ query: it.query, positive: it.positive }));
  if (neg.kind === 'mined') return (await mine(a, neg.n, docs, items, report)).pairs;
  // the paper's prompt takes a mined negative and asks for a harder one that still does not answer
  const { pairs, model } = await mine(a, 1, docs, items, report);
  const createdAt = new Date().toISOString();
  const withMined: SynthItem[] = items.map((it, i) => ({
    ...it,
    negatives: (pairs[i].negatives ?? []).map((text) => ({
      text,
      provenance: { method: 'mined', settings: { range: a.mineRange.join(':') }, model, createdAt },
    })),
  }));
  const written = await runLlmNegatives(withMined, writer!, { seed: a.seed }, report);
  // the written negative first (it is the one asked for), the mined one after it
  return written.map((it) => ({
    query: it.query,
    positive: it.positive,
    negatives: [...it.negatives]
      .sort((x, y) => Number(y.provenance.method === 'llm') - Number(x.provenance.method === 'llm'))
      .map((n) => n.text),
  }));
}

async function writeOut(
  a: SynthArgs,
  pairs: TrainingPair[],
  docs: number,
  used: number,
  report: Pick<Reporter, 'log'>,
): Promise<void> {
  const log = report.log;
  const toStdout = a.out === '-';
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
    docs,
    docsUsed: used,
    pairs: pairs.length,
    negatives: a.negatives.kind === 'mined' ? `mined:${a.negatives.n}` : a.negatives.kind,
    ...(a.writer ? { writer: a.writer.kind === 'local' ? a.writer.source : a.writer.llm.endpoint } : {}),
    seed: a.seed,
    out: a.out,
  };
  if (a.json) (toStdout ? log : console.log)(JSON.stringify(summary));
}
