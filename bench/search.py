"""Knowledge-base search at volume: prints ONE JSON object on stdout (progress to stderr).

Builds ``--articles`` articles (default 100,000) from ../shared/data (service_items, kb_policies and kb_qa
docs; repeated with variations: a numbered suffix in the title and a rotated sentence order, so that no
two are identical), indexes them with the production index (``yihaotong.kb.index.SearchIndex``), then runs
the kb_qa and kb_policies dev queries through the production ranking and the production hit building
(``SearchIndex.rewrite`` for pinyin, ``kb.search._hit``: best passage, coverage, highlights; no database).
Reports indexing time and articles per second, the time of a rebuild after a one-article patch, query
p50 / p95 ms, the first and a later pinyin query, and memory (peak RSS growth).

    .venv/bin/python bench/search.py --data ../shared/data [--articles 100000] [--queries 500] [--json-out F]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.kb import derive_title, read_jsonl  # noqa: E402
from yihaotong.kb.analysis import Analyzer  # noqa: E402
from yihaotong.kb.index import DocMeta, IndexDoc, SearchIndex  # noqa: E402


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def base_texts(data: Path) -> list[tuple[str, str]]:
    out = []
    for row in read_jsonl(data / "service_items" / "guangdong_service_items.jsonl"):
        title = row.get("TASK_NAME") or row.get("matter_name") or ""
        parts = [str(row.get(k) or "") for k in ("accept_standard", "handle_location", "handle_time", "matter_type")]
        out.append((title, "。".join(p for p in parts if p and p != "无")))
    for name in ("kb_policies", "kb_qa"):
        for row in read_jsonl(data / name / "docs.jsonl"):
            out.append((derive_title(row["text"]), row["text"]))
    return [(t, c) for t, c in out if t and c]


def articles(data: Path, n: int, rng: random.Random):
    base = base_texts(data)
    for i in range(n):
        title, content = base[i % len(base)]
        copy = i // len(base)
        if copy:
            sentences = [s for s in content.split("。") if s]
            k = copy % max(1, len(sentences))
            content = "。".join(sentences[k:] + sentences[:k])
            title = f"{title}（{copy}）"
        yield IndexDoc(
            id=i + 1,
            title=title[:128],
            content=content,
            meta=DocMeta(category_id=rng.randint(1, 300), owner_unit_id=rng.randint(1, 60), material_type="guide"),
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("YIHAOTONG_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yihaotong.config.settings")
    import django

    django.setup()
    from yihaotong.kb.search import _highlight_terms, _hit

    data = Path(args.data)
    rng = random.Random(7)
    rss0 = rss_mb()
    index = SearchIndex(Analyzer())
    t0 = time.perf_counter()
    for doc in articles(data, args.articles, rng):
        index.upsert(doc)
        if doc.id % 20_000 == 0:
            log(f"analysed {doc.id}")
    t_analysed = time.perf_counter()
    index.build()
    t_built = time.perf_counter()
    log("built", round(t_built - t0, 1), "s")
    # A publication: one article changes, the matrices are rebuilt from the kept analysis.
    t = time.perf_counter()
    index.upsert(IndexDoc(id=1, title="新生儿医保参保登记", content="新生儿出生后三个月内办理居民医保参保登记。"))
    index.build()
    patch_s = time.perf_counter() - t
    queries = [q["query"] for name in ("kb_qa", "kb_policies") for q in read_jsonl(data / name / "dev_queries.jsonl")]
    rng.shuffle(queries)
    queries = queries[: args.queries]
    latencies = []
    for q in queries:
        t = time.perf_counter()
        q = index.rewrite(q)
        scores = index.scores(q)
        top = np.argpartition(-scores, 10)[:10]
        top = top[np.argsort(-scores[top])]
        terms = _highlight_terms(index, q)
        hits = [_hit(index, int(r), float(scores[r]), q, terms, 740000) for r in top if scores[r] > 0]
        latencies.append((time.perf_counter() - t) * 1000)
        assert hits is not None
    # Pinyin: the first Latin query of a process reads the vocabulary's pinyin (kb/pinyin.py), later ones not.
    t = time.perf_counter()
    index.rewrite("shebao jiaofei")
    pinyin_first_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    index.rewrite("gjj tiqu")
    pinyin_next_ms = (time.perf_counter() - t) * 1000
    result = {
        "articles": args.articles,
        "queries": len(queries),
        "analyse_s": round(t_analysed - t0, 1),
        "build_s": round(t_built - t_analysed, 1),
        "index_s": round(t_built - t0, 1),
        "articles_per_s": round(args.articles / (t_built - t0), 1),
        "patch_rebuild_s": round(patch_s, 2),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "pinyin_first_ms": round(pinyin_first_ms, 1),
        "pinyin_next_ms": round(pinyin_next_ms, 2),
        "peak_rss_growth_mb": round(rss_mb() - rss0, 1),
        "cpus": os.cpu_count(),
    }
    text = json.dumps(result)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
