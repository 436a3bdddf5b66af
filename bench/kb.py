"""Knowledge-base search quality and latency: prints ONE JSON object on stdout (progress to stderr).

Loads each set's docs.jsonl into the production index (``yihaotong.kb.index.SearchIndex``, the class that
``search_articles`` queries) and runs every query of dev_queries.jsonl through the production ranking
(``SearchIndex.scores``), one at a time. Reports R@1, R@5, R@10, MRR, p50 / p95 latency per query and the
indexing time, per variant. Nothing is learned from the queries.

    .venv/bin/python bench/kb.py --data ../shared/data [--sets kb_policies,kb_qa] [--variants chosen|all|A,B]
        [--json-out FILE]

A doc without a title (both sets) gets the first line of its text, cut at 64 characters, as its title:
the import of real articles requires a title, and this is the stand-in an editor would write.
Engine candidates for comparison: ``bm25s`` (if the bm25s package is installed; the data README's reference
method) and ``sqlite_fts5`` (the database's own full-text index, over the same rjieba words).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from yihaotong.kb.analysis import Analyzer  # noqa: E402
from yihaotong.kb.index import IndexDoc, Params, SearchIndex  # noqa: E402

# Overrides of Params(); "chosen" is the default.
VARIANTS: dict[str, dict] = {
    # Ablation, from plain BM25 over our words to the chosen ranking.
    "words_plain": dict(
        weights=(1.0, 1.0, 1.0, 1.0),
        b=(0.75,) * 4,
        bigram_weight=0.0,
        passage_weight=0.0,
        unigram_weight=0.0,
        split_unknown=False,
    ),
    "words_fields": dict(bigram_weight=0.0, passage_weight=0.0, unigram_weight=0.0, split_unknown=False),
    "words_bigrams": dict(passage_weight=0.0, unigram_weight=0.0, split_unknown=False),
    # The ranking chosen in the first session (words + bigrams + passages).
    "words_bigrams_passages": dict(unigram_weight=0.0, split_unknown=False),
    "no_unigrams": dict(unigram_weight=0.0),
    "no_split_unknown": dict(split_unknown=False),
    "chosen": {},
    # Neighbours of the chosen parameters.
    "bigram_0.5": dict(bigram_weight=0.5),
    "bigram_2.0": dict(bigram_weight=2.0),
    "passage_0.5": dict(passage_weight=0.5),
    "passage_2.0": dict(passage_weight=2.0),
    "passage_400": dict(passage_chars=400),
    "title_3": dict(weights=(3.0, 2.0, 1.5, 1.0)),
    "k1_1.5": dict(k1=1.5),
    "k1_0.9": dict(k1=0.9),
    "unigram_0.3": dict(unigram_weight=0.3),
    "unigram_0.7": dict(unigram_weight=0.7),
    "unigram_1.0": dict(unigram_weight=1.0),
}
_FIRST_LINE = re.compile(r"^(.{4,64}?)(?:\s|。|$)")


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def derive_title(text: str) -> str:
    m = _FIRST_LINE.match(text.strip())
    return (m.group(1) if m else text.strip()[:64]).strip()


def to_docs(rows: list[dict]) -> list[tuple[str, IndexDoc]]:
    out = []
    for i, row in enumerate(rows):
        text = row["text"]
        title = row.get("title") or derive_title(text)
        out.append((row["doc_id"], IndexDoc(id=i + 1, title=title, content=text)))
    return out


def metrics(ranks: list[int | None], latencies: list[float]) -> dict:
    n = len(ranks)

    def recall(k):
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 4)

    return {
        "n": n,
        "r@1": recall(1),
        "r@5": recall(5),
        "r@10": recall(10),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None and r <= 100) / n, 4),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p95_ms": round(float(np.percentile(latencies, 95)), 2),
    }


def run_variant(docs, queries, overrides: dict) -> dict:
    params = replace(Params(), **overrides)
    t0 = time.perf_counter()
    index = SearchIndex(Analyzer(), params)
    for _doc_id, doc in docs:
        index.upsert(doc)
    index.build()
    index_s = time.perf_counter() - t0
    id_of_row = [None] * (len(docs) + 1)
    for doc_id, doc in docs:
        id_of_row[doc.id] = doc_id
    ranks, latencies = [], []
    for q in queries:
        t = time.perf_counter()
        scores = index.scores(q["query"])
        top = np.argsort(-scores, kind="stable")[:100]
        top = [r for r in top if scores[r] > 0]
        latencies.append((time.perf_counter() - t) * 1000)
        relevant = set(q["relevant_doc_ids"])
        rank = next((i + 1 for i, r in enumerate(top) if id_of_row[int(index.ids[r])] in relevant), None)
        ranks.append(rank)
    out = metrics(ranks, latencies)
    out["index_s"] = round(index_s, 3)
    out["docs_per_s"] = round(len(docs) / index_s, 1)
    # Two fixed halves of the queries (by a hash of the query id): a choice made on one half should
    # hold on the other (docs/decisions/0008).
    for half in (0, 1):
        picked = [i for i, q in enumerate(queries) if _half(q["query_id"]) == half]
        part = metrics([ranks[i] for i in picked], [latencies[i] for i in picked])
        out[f"half_{half}"] = {k: part[k] for k in ("n", "r@1", "r@5", "mrr")}
    return out


def _half(query_id: str) -> int:
    return int(hashlib.md5(query_id.encode()).hexdigest(), 16) % 2


def run_bm25s(docs, queries) -> dict:
    """The README's reference: bm25s over jieba tokens of the whole text."""
    import bm25s
    import rjieba

    def tok(text):
        return [t for t in rjieba.cut(text) if t.strip()]

    t0 = time.perf_counter()
    corpus = [tok(d.content) for _i, d in docs]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    index_s = time.perf_counter() - t0
    ranks, latencies = [], []
    for q in queries:
        t = time.perf_counter()
        res, _scores = retriever.retrieve([tok(q["query"])], k=min(100, len(docs)), show_progress=False)
        latencies.append((time.perf_counter() - t) * 1000)
        relevant = set(q["relevant_doc_ids"])
        top = [docs[int(i)][0] for i in res[0]]
        ranks.append(next((i + 1 for i, d in enumerate(top) if d in relevant), None))
    out = metrics(ranks, latencies)
    out["index_s"] = round(index_s, 3)
    return out


def run_sqlite_fts5(docs, queries) -> dict:
    """The database's own full-text search: SQLite FTS5 (bm25()) over rjieba words joined by spaces."""
    import sqlite3

    analyzer = Analyzer()
    t0 = time.perf_counter()
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(title, content, tokenize='unicode61')")
    db.executemany(
        "INSERT INTO d(rowid, title, content) VALUES (?, ?, ?)",
        [(doc.id, " ".join(analyzer.words(doc.title)), " ".join(analyzer.words(doc.content))) for _i, doc in docs],
    )
    db.commit()
    index_s = time.perf_counter() - t0
    id_of_row = {doc.id: doc_id for doc_id, doc in docs}
    ranks, latencies = [], []
    for q in queries:
        t = time.perf_counter()
        terms = {w.replace('"', "") for w in analyzer.words(q["query"])}
        match = " OR ".join(f'"{w}"' for w in terms if w)
        rows = (
            db.execute("SELECT rowid FROM d WHERE d MATCH ? ORDER BY bm25(d, 2.0, 1.0) LIMIT 100", (match,)).fetchall()
            if match
            else []
        )
        latencies.append((time.perf_counter() - t) * 1000)
        relevant = set(q["relevant_doc_ids"])
        ranks.append(next((i + 1 for i, (r,) in enumerate(rows) if id_of_row[r] in relevant), None))
    out = metrics(ranks, latencies)
    out["index_s"] = round(index_s, 3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("YIHAOTONG_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--sets", default="kb_policies,kb_qa")
    ap.add_argument("--variants", default="chosen")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    if args.variants == "all":
        names = ["bm25s", "sqlite_fts5", *VARIANTS]
    else:
        names = [v.strip() for v in args.variants.split(",") if v.strip()]
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "split": args.split,
        "sets": {},
    }
    for name in args.sets.split(","):
        folder = Path(args.data) / name
        docs = to_docs(read_jsonl(folder / "docs.jsonl"))
        queries = read_jsonl(folder / f"{args.split}_queries.jsonl")
        result["sets"][name] = {"docs": len(docs), "variants": {}}
        for variant in names:
            if variant == "bm25s":
                try:
                    out = run_bm25s(docs, queries)
                except ImportError:
                    log("bm25s is not installed: skipped")
                    continue
            elif variant == "sqlite_fts5":
                out = run_sqlite_fts5(docs, queries)
            else:
                out = run_variant(docs, queries, VARIANTS[variant])
            log(name, variant, out)
            result["sets"][name]["variants"][variant] = out
    text = json.dumps(result, ensure_ascii=False)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
