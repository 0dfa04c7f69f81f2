/**
 * `stm split`: deals the judged queries of one qrels split of a BEIR folder into new splits (seeded,
 * disjoint by query, largest-remainder sizes: src/data/split.ts) and writes a new BEIR folder: corpus and
 * queries copied byte for byte from the source, qrels/<name>.tsv for each new split (header line first).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { loadBeirDir } from '../data/node';
import { formatQrelsTsv, splitQueries } from '../data/split';
import type { SplitArgs } from './args';

/** The source's corpus and queries files as they are named there (plain or .gz). */
function sourceFiles(dir: string): string[] {
  return ['corpus.jsonl', 'corpus.jsonl.gz', 'queries.jsonl', 'queries.jsonl.gz'].filter((f) =>
    existsSync(join(dir, f)),
  );
}

/** Refuses an output folder that is the source, inside it, or holds anything. */
function checkOut(src: string, out: string): void {
  const rel = relative(resolve(src), resolve(out));
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)))
    throw new Error(
      `--out ${out} is ${rel === '' ? 'the source folder' : 'inside the source folder'} ${src}: choose a new folder (the source is never changed)`,
    );
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new Error(`--out ${out} is a file: choose a new folder`);
    const inside = readdirSync(out);
    if (inside.length > 0)
      throw new Error(
        `--out ${out} is not empty (${inside.length} entr${inside.length === 1 ? 'y' : 'ies'}, e.g. ${inside[0]}): choose a new or empty folder; nothing was written`,
      );
  }
}

export async function runSplit(a: SplitArgs, log: (msg: string) => void): Promise<void> {
  checkOut(a.dataset, a.out);
  const ds = await loadBeirDir(a.dataset);
  const r = splitQueries(ds, a.from, a.into, a.seed);
  const files = sourceFiles(a.dataset);
  await mkdir(join(a.out, 'qrels'), { recursive: true });
  for (const f of files) {
    await copyFile(join(a.dataset, f), join(a.out, f));
    await chmod(join(a.out, f), 0o644); // a read-only source stays read-only there, not here
  }
  const written = [...files];
  for (const p of a.into) {
    await writeFile(join(a.out, 'qrels', `${p.name}.tsv`), formatQrelsTsv(r.splits[p.name]));
    written.push(`qrels/${p.name}.tsv`);
  }
  const total = ds.qrels[a.from].size;
  log(`wrote ${a.out}: ${written.join(', ')}`);
  console.log(
    `${basename(resolve(a.dataset))}/${a.from}: ${total} judged queries, seed ${a.seed} -> ${a.out} (corpus and queries unchanged)`,
  );
  const w = Math.max(...a.into.map((p) => p.name.length));
  for (const p of a.into) {
    let judgments = 0;
    for (const rel of r.splits[p.name].values()) judgments += rel.size;
    console.log(
      `  ${p.name.padEnd(w)}  ${String(r.sizes[p.name]).padStart(6)} queries  ${String(judgments).padStart(7)} judgements  (fraction ${p.fraction}, exact ${(p.fraction * total).toFixed(2)})`,
    );
  }
  if (a.json)
    console.log(
      JSON.stringify({
        dataset: a.dataset,
        from: a.from,
        seed: a.seed,
        out: a.out,
        queries: total,
        splits: Object.fromEntries(a.into.map((p) => [p.name, r.sizes[p.name]])),
      }),
    );
}
