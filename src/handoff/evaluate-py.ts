/**
 * evaluate.py of a hand-off project: MTEB (1.x) retrieval on the studio's BEIR folders, one custom
 * AbsTaskRetrieval per task, queries under the expert's query template (its default or chosen instruction)
 * and passages under its passage template — the texts the studio embeds. nDCG@10 is MTEB's main score.
 */
import { pyDocText, pyValue } from './py';
import type { HandoffSettings, HandoffTask } from './spec';

export function evaluatePy(s: HandoffSettings, tasks: readonly HandoffTask[]): string {
  const taskList = tasks.map((t) => ({ name: t.name, path: t.path, split: t.split }));
  return `#!/usr/bin/env python3
"""MTEB retrieval evaluation of the STM Studio expert "${pyDocText(s.expertName)}" on the studio's tasks.

  python evaluate.py                         # the trained adapter in output/final
  python evaluate.py --model ${pyDocText(s.baseModel)}   # the base, for comparison
  python evaluate.py --task med=/data/med:test --task cran=/data/cran:test

Each task is a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv). Queries get the expert's query
template (QUERY_TEMPLATE: its instruction), documents PASSAGE_TEMPLATE, as in the studio. Results (MTEB JSON,
scores.<split>[0].ndcg_at_10 ...) go to --output.
"""
import argparse
import csv
import gzip
import json
import os
import re
import sys

QUERY_TEMPLATE = ${pyValue(s.evalQueryTemplate)}
PASSAGE_TEMPLATE = ${pyValue(s.passageTemplate)}
TASKS = ${pyValue(taskList)}


def fill(template, text, title=""):
    """The studio's applyTemplate: {title} and what follows it dropped when there is no title."""
    title = (title or "").strip()
    t = template if title else re.sub(r"\\{title\\}\\s*", "", template)
    return t.replace("{title}", title).replace("{text}", text).strip()


def opener(path):
    if os.path.exists(path):
        return open(path, encoding="utf-8")
    if os.path.exists(path + ".gz"):
        return gzip.open(path + ".gz", "rt", encoding="utf-8")
    sys.exit(f"{path}: not found (a BEIR folder has corpus.jsonl, queries.jsonl, qrels/<split>.tsv)")


def read_jsonl(path):
    with opener(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{n}: not JSON ({e})")


def load_beir(folder, split):
    qrels = {}
    with opener(os.path.join(folder, "qrels", f"{split}.tsv")) as f:
        for row in csv.reader(f, delimiter="\\t"):
            if len(row) < 3 or row[0] in ("query-id", "query_id"):
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    queries = {
        str(q["_id"]): fill(QUERY_TEMPLATE, q["text"])
        for q in read_jsonl(os.path.join(folder, "queries.jsonl"))
        if str(q["_id"]) in qrels
    }
    corpus = {
        str(d["_id"]): fill(PASSAGE_TEMPLATE, d.get("text", ""), d.get("title", ""))
        for d in read_jsonl(os.path.join(folder, "corpus.jsonl"))
    }
    return corpus, queries, qrels


def make_task(name, folder, split):
    from mteb.abstasks.AbsTaskRetrieval import AbsTaskRetrieval
    from mteb.abstasks.TaskMetadata import TaskMetadata

    class StudioTask(AbsTaskRetrieval):
        metadata = TaskMetadata(
            name=name,
            description=f"STM Studio task {name}: the BEIR folder {folder}, split {split}",
            dataset={"path": folder, "revision": "local"},
            type="Retrieval",
            category="s2p",
            eval_splits=[split],
            eval_langs=["eng-Latn"],
            main_score="ndcg_at_10",
        )

        def load_data(self, **kwargs):
            if self.data_loaded:
                return
            corpus, queries, qrels = load_beir(folder, split)
            self.corpus, self.queries, self.relevant_docs = {split: corpus}, {split: queries}, {split: qrels}
            self.data_loaded = True

    return StudioTask()


def parse_task(spec):
    m = re.fullmatch(r"([^=]+)=(.+?)(?::([^:/\\\\]+))?", spec)
    if not m:
        sys.exit(f"--task {spec}: expected name=folder[:split]")
    return {"name": m.group(1), "path": m.group(2), "split": m.group(3) or "test"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="output/final", help="trained adapter folder, or a hub id (default %(default)s)")
    ap.add_argument("--task", action="append", default=[], help="name=beir_folder[:split] (default: TASKS)")
    ap.add_argument("--output", default="results", help="MTEB results folder (default %(default)s)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--trust-remote-code", action="store_true")
    args = ap.parse_args()

    import mteb
    from sentence_transformers import SentenceTransformer

    tasks = [parse_task(t) for t in args.task] or TASKS
    if not tasks:
        sys.exit("no tasks: pass --task name=beir_folder[:split]")
    model = SentenceTransformer(args.model, trust_remote_code=args.trust_remote_code)
    # the templates are applied to the texts above: no model prompt on top of them
    model.prompts = {}
    model.default_prompt_name = None
    bench = mteb.MTEB(tasks=[make_task(t["name"], t["path"], t["split"]) for t in tasks])
    results = bench.run(model, output_folder=args.output, encode_kwargs={"batch_size": args.batch_size})
    for r in results:
        for split, scores in r.scores.items():
            print(f"{r.task_name}\\t{split}\\tnDCG@10 {scores[0]['ndcg_at_10']:.4f}\\tMAP@100 {scores[0]['map_at_100']:.4f}")


if __name__ == "__main__":
    main()
`;
}
