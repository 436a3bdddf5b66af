"""Intake-intelligence benchmark, part B (gazetteer, same-matter scoring, sensitive data): prints ONE JSON
object on stdout. Pure functions only: no database, no Django set-up.

    python bench/duplicates.py [--messages ../shared/data/routing/dev.csv] [--sample 300] [--seed 1]

- ``gazetteer``: ``match_address`` on addresses generated from the gazetteer itself (every road and
  landmark: as is, with a house number, in traditional characters, with full-width digits, with one
  character replaced); the share mapped to the place's street, and microseconds per call. This measures
  the tolerance of the matching, not the truth of the road → street mapping (which is approximate).
- ``sensitive``: ``detect`` and ``redact`` on a 50,000-character text, milliseconds.
- ``duplicates``: ``rank_matters`` of one query against 300 candidates, milliseconds per query.
- with ``--messages`` (a CSV with ``subject`` and ``detail`` columns, read by path, never copied): a
  same-matter retrieval proxy. The subject of message i is the query, the details of ``--sample`` messages
  (i among them) are the candidates; R@1, R@5 and MRR of finding message i's own detail, by ``similarity``.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from yihaotong.routing import duplicates, gazetteer, sensitive  # noqa: E402
from yihaotong.routing.data import gazetteer as data  # noqa: E402
from yihaotong.routing.data.hanzi import T2S  # noqa: E402

S2T = {simp: trad for trad, simp in T2S.items()}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _timed(fn, *args, repeat: int = 1):
    start = time.perf_counter()
    for _ in range(repeat):
        result = fn(*args)
    return result, (time.perf_counter() - start) / repeat


def bench_gazetteer(rng: random.Random) -> dict:
    gazetteer.match_address("warm-up")  # builds the index once
    forms = {
        "as_is": lambda name: name,
        "house_number": lambda name: f"成都市青羊区{name}12号附2号",
        "traditional": lambda name: "".join(S2T.get(ch, ch) for ch in name) + "12号",
        "full_width": lambda name: f"{name}12号".translate(FULL_WIDTH),
        "one_typo": lambda name: _typo(name, rng) + "12号",
    }
    results = {}
    timings = []
    for form, make in forms.items():
        right = 0
        for name, code, _kind in data.PLACES:
            address = make(name)
            found, seconds = _timed(gazetteer.match_address, address)
            timings.append(seconds)
            right += found.street_code == code
        results[form] = round(right / len(data.PLACES), 3)
    long_text = "噪音扰民" * 1250
    _found, long_seconds = _timed(gazetteer.match_address, long_text, repeat=5)
    return {
        "places": len(data.PLACES),
        "accuracy": results,
        "us_per_call_median": round(statistics.median(timings) * 1e6, 1),
        "us_per_call_p95": round(sorted(timings)[int(len(timings) * 0.95)] * 1e6, 1),
        "ms_5000_chars_unknown": round(long_seconds * 1e3, 2),
    }


def _typo(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + "口" + name[i + 1 :]


def bench_sensitive() -> dict:
    chunk = "市民张先生反映草市街12号附近夜间施工，电话13800005678，身份证510105198506121058，邮箱a@b.cn 😀 "
    text = (chunk * (50_000 // len(chunk) + 1))[:50_000]
    sensitive.detect("warm-up")
    found, detect_seconds = _timed(sensitive.detect, text, repeat=3)
    _redacted, redact_seconds = _timed(sensitive.redact, text, repeat=3)
    return {
        "chars": len(text),
        "findings": len(found),
        "ms_detect_50k": round(detect_seconds * 1e3, 1),
        "ms_redact_50k": round(redact_seconds * 1e3, 1),
    }


def bench_duplicates(messages: list[tuple[str, str]], rng: random.Random, sample: int) -> dict:
    if not messages:
        base = [
            "小区门口垃圾桶满了好几天没人清理",
            "工地夜间施工噪音扰民",
            "楼上卫生间漏水到我家",
            "孩子入学需要准备什么材料",
        ]
        messages = [(text, text * 3) for text in base] * 100
    candidates = [
        (i, duplicates.Matter(text=detail, subject=subject, street_code="510105002" if i % 3 else None))
        for i, (subject, detail) in enumerate(messages[:300])
    ]
    query = duplicates.Matter(text=messages[0][1], subject=messages[0][0], street_code="510105002")
    _ranked, seconds = _timed(lambda: duplicates.rank_matters(query, candidates, limit=5), repeat=5)
    out = {"candidates": len(candidates), "ms_rank_300": round(seconds * 1e3, 1)}
    return out


def retrieval_proxy(messages: list[tuple[str, str]], rng: random.Random, sample: int) -> dict:
    usable = [(s, d) for s, d in messages if s.strip() and d.strip()]
    pool = rng.sample(usable, min(sample, len(usable)))
    features = [duplicates.text_features(detail) for _s, detail in pool]
    ranks = []
    for i, (subject, _detail) in enumerate(pool):
        q = duplicates.text_features(subject)
        scores = [duplicates.feature_similarity(q, f) for f in features]
        own = scores[i]
        ranks.append(1 + sum(1 for j, sc in enumerate(scores) if sc > own or (sc == own and j < i)))
    n = len(ranks)
    return {
        "queries": n,
        "pool": len(pool),
        "r_at_1": round(sum(r == 1 for r in ranks) / n, 3),
        "r_at_5": round(sum(r <= 5 for r in ranks) / n, 3),
        "mrr": round(sum(1 / r for r in ranks) / n, 3),
    }


def read_messages(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        return [(row.get("subject") or "", row.get("detail") or "") for row in csv.DictReader(f)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=Path, help="CSV with subject and detail columns (read, never copied)")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    messages = read_messages(args.messages) if args.messages else []
    report = {
        "bench": "routing-part-b",
        "python": platform.python_version(),
        "gazetteer": bench_gazetteer(rng),
        "sensitive": bench_sensitive(),
        "duplicates": bench_duplicates(messages, rng, args.sample),
    }
    if messages:
        report["same_matter_proxy"] = {"file": args.messages.name, **retrieval_proxy(messages, rng, args.sample)}
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
