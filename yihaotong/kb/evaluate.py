"""``yihaotong eval-search``: measure ``search_articles`` on a labelled set, in a fresh temporary database.

DOCS (one JSON object a line: ``doc_id``, ``text``, optional ``title``, ``department``) are written as CSV
batches of at most 1,000 rows and imported through ``transfer.do_import_articles`` (the import of real
articles), published by a KB editor; then each query of QUERIES (``query_id``, ``query``,
``relevant_doc_ids``) goes through ``search_articles``. Nothing is learned from QUERIES.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from .transfer import MAX_ROWS, do_import_articles

CATEGORY = "OTH-01-02"  # 综合政策咨询: the eval docs carry no category
OWNER = "QY-CENTRE"
_FIRST_LINE = re.compile(r"^(.{4,64}?)(?:\s|。|$)")


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def title_of(row: dict) -> str:
    """Return the doc's title, or the first line of its text (at most 64 characters) as a stand-in."""
    if row.get("title"):
        return str(row["title"]).strip()[:128]
    text = str(row.get("text") or "").strip()
    m = _FIRST_LINE.match(text)
    return (m.group(1) if m else text[:64]).strip()


def _csv_batch(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["title", "category", "content", "material_type", "owner_unit", "issuing_unit"])
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def evaluate_search(docs_path: str | Path, queries_path: str | Path) -> dict:
    """Import DOCS into the (empty, temporary) knowledge base, run QUERIES, return the metrics."""
    from yihaotong.accounts import roles as R
    from yihaotong.accounts.actions import do_create_user
    from yihaotong.directory.actions import do_seed_directory
    from yihaotong.directory.models import Unit

    from .search import SearchFilters, get_index, invalidate_index, search_articles

    do_seed_directory()
    editor = do_create_user(
        username="eval-kb-editor",
        password=None,
        roles=[R.KB_EDITOR],
        unit=Unit.objects.get(code=OWNER),
        display_name="eval",
    )
    docs = read_jsonl(docs_path)
    queries = read_jsonl(queries_path)
    seen: dict[str, int] = {}
    rows, doc_ids = [], []
    for row in docs:
        title = title_of(row) or str(row["doc_id"])
        n = seen[title] = seen.get(title, 0) + 1
        if n > 1:  # titles are unique in a knowledge base
            suffix = f"（{n}）"
            title = title[: 128 - len(suffix)] + suffix
        rows.append([title, CATEGORY, row["text"], "other", OWNER, str(row.get("department") or "")[:128]])
        doc_ids.append(str(row["doc_id"]))
    started = time.perf_counter()
    doc_of_article: dict[int, str] = {}
    rejected = 0
    for start in range(0, len(rows), MAX_ROWS):
        report = do_import_articles(editor, "eval.csv", _csv_batch(rows[start : start + MAX_ROWS]), publish=True)
        rejected += report.rejected
        for r in report.rows:
            if not r.ok:
                print(f"eval-search: doc {doc_ids[start + r.row - 2]} rejected: {r.errors}", file=sys.stderr)
        for i, r in enumerate(report.rows):
            if r.article_id:
                doc_of_article[r.article_id] = doc_ids[start + i]
    import_s = time.perf_counter() - started
    invalidate_index()
    started = time.perf_counter()
    get_index()
    index_s = time.perf_counter() - started
    filters = SearchFilters(validity="all")
    ranks, latencies = [], []
    for q in queries:
        t = time.perf_counter()
        result = search_articles(q["query"], actor=editor, filters=filters, limit=10)
        latencies.append((time.perf_counter() - t) * 1000)
        relevant = set(q["relevant_doc_ids"])
        found = [doc_of_article.get(h.article_id) for h in result.hits]
        ranks.append(next((i + 1 for i, d in enumerate(found) if d in relevant), None))
    n = len(queries)

    def recall(k: int) -> float:
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 4) if n else 0.0

    return {
        "n": n,
        "r@1": recall(1),
        "r@5": recall(5),
        "r@10": recall(10),
        "mrr": round(sum(1.0 / r for r in ranks if r) / n, 4) if n else 0.0,
        "p50_ms": round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0,
        "p95_ms": round(float(np.percentile(latencies, 95)), 2) if latencies else 0.0,
        "index_s": round(index_s, 3),
        "import_s": round(import_s, 3),
        "docs": len(docs),
        "rejected": rejected,
    }
