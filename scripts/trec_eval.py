#!/usr/bin/env python3
"""Independent trec_eval-style scorer (plain Python 3, no third-party packages).

Usage: trec_eval.py QRELS_TSV RUN_FILE [--k 10,100]

QRELS_TSV is BEIR-style: a header line, then "query-id<TAB>corpus-id<TAB>score".
RUN_FILE is TREC format: "qid Q0 docid rank score tag" (rank ignored, as in trec_eval).
Prints JSON {"ndcg@k": mean, "recall@k": mean, ..., "queries": n}.

Semantics follow trec_eval -c with ndcg_cut / recall: documents ordered by score descending and
equal scores by document id descending; gain = grade (non-positive grades give nothing); ideal
ranking from the positive grades; relevant means grade >= 1; every query of the qrels counts,
and one missing from the run scores 0.
"""
import json
import math
import sys
from collections import defaultdict


def read_qrels(path):
    judgements = defaultdict(dict)
    with open(path, encoding="utf-8") as fh:
        header_seen = False
        for raw in fh:
            raw = raw.rstrip("\r\n")
            if not raw.strip():
                continue
            fields = raw.split("\t")
            if not header_seen:
                header_seen = True
                if fields[0].strip().lower() == "query-id":
                    continue
            qid, docid, grade = (f.strip() for f in fields)
            judgements[qid][docid] = int(grade)
    return judgements


def read_run(path):
    ranked = defaultdict(list)
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            parts = raw.split()
            if not parts:
                continue
            qid, _q0, docid, _rank, score = parts[:5]
            ranked[qid].append((float(score), docid))
    return ranked


def dcg(gains):
    total = 0.0
    for position, gain in enumerate(gains, start=1):
        if gain > 0:
            total += gain / math.log2(position + 1)
    return total


def score_query(judged, retrieved, k):
    # Python compares (score, docid) tuples: reverse=True gives score desc, then docid desc.
    order = [docid for _score, docid in sorted(retrieved, key=lambda pair: pair, reverse=True)][:k]
    gains = [judged.get(docid, 0) for docid in order]
    best = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    ideal = dcg(best)
    ndcg = dcg(gains) / ideal if ideal > 0 else 0.0
    relevant = {docid for docid, g in judged.items() if g >= 1}
    found = sum(1 for docid in order if docid in relevant)
    recall = found / len(relevant) if relevant else 0.0
    return ndcg, recall


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cutoffs = [10, 100]
    if len(argv) >= 5 and argv[3] == "--k":
        cutoffs = [int(x) for x in argv[4].split(",")]
    qrels = read_qrels(argv[1])
    run = read_run(argv[2])
    queries = [qid for qid, judged in qrels.items() if judged]
    sums = defaultdict(float)
    for qid in queries:
        for k in cutoffs:
            ndcg, recall = score_query(qrels[qid], run.get(qid, []), k)
            sums["ndcg@%d" % k] += ndcg
            sums["recall@%d" % k] += recall
    result = {name: total / len(queries) for name, total in sums.items()} if queries else {}
    result["queries"] = len(queries)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
