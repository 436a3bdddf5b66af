"""Hot-spot detection on real messages: prints ONE JSON object (and, on stderr, the top clusters with their
sizes and a few example subjects, for a person to judge).

    .venv/bin/python bench/hotspots.py /work/shared/data/messages/public_messages_with_likes.csv

Every message is a request at its time; its place is the district named in its subject or text (A3区, K8县 …,
as the anonymised data writes them). ``analytics.hotspots.detect`` runs at the end of every week of the
data's span (window 7 days, usual level over the 28 days before, the defaults of the settings); the rising
clusters of all weeks are ranked by score. The JSON keeps counts, message ids and timings only (no text of
the data); the example subjects go to stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yihaotong.config.settings")

PLACE = re.compile(r"[A-Z]\d{1,2}[区县市]")


def load(path: str):
    from yihaotong.analytics.hotspots import Request

    out, likes, subjects = [], {}, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            try:
                at = datetime.strptime(row["time"].strip(), "%Y/%m/%d %H:%M:%S")
            except (KeyError, ValueError):
                continue
            subject = (row.get("subject") or "").strip()
            m = PLACE.search(subject) or PLACE.search(row.get("detail") or "")
            rid = int(row["msg_id"])
            out.append(Request(rid, at, subject, m.group(0) if m else ""))
            likes[rid] = int(row.get("likes") or 0)
            subjects[rid] = subject
    return out, likes, subjects


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("messages")
    ap.add_argument("--window-days", type=int, default=7)
    ap.add_argument("--baseline-days", type=int, default=28)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--min-growth", type=float, default=2.0)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)
    import django

    django.setup()
    from yihaotong.analytics.hotspots import detect

    t = time.perf_counter()
    requests, likes, subjects = load(args.messages)
    requests.sort(key=lambda r: r.at)
    first, last = requests[0].at, requests[-1].at
    best: dict[str, object] = {}
    runs = 0
    now = first + timedelta(days=args.window_days + args.baseline_days)
    t_detect = time.perf_counter()
    while now <= last + timedelta(days=7):
        for c in detect(
            requests,
            now=now,
            window_days=args.window_days,
            baseline_days=args.baseline_days,
            min_count=args.min_count,
            min_growth=args.min_growth,
        ):
            key = c.key
            if key not in best or c.score > best[key][0].score:
                best[key] = (c, now)
        runs += 1
        now += timedelta(days=7)
    detect_s = time.perf_counter() - t_detect
    ranked = sorted(best.values(), key=lambda cn: -cn[0].score)
    # Clusters found in several weeks under different keys but with the same requests count once.
    shown, seen = [], []
    for c, at in ranked:
        ids = set(c.ids)
        if any(len(ids & s) >= 0.6 * min(len(ids), len(s)) for s in seen):
            continue
        seen.append(ids)
        shown.append((c, at))
        if len(shown) >= args.top:
            break
    result = {
        "bench": "hotspots",
        "messages": len(requests),
        "span": [first.date().isoformat(), last.date().isoformat()],
        "weeks_evaluated": runs,
        "settings": {k: getattr(args, k) for k in ("window_days", "baseline_days", "min_count", "min_growth")},
        "clusters_found": len(best),
        "detect_s_total": round(detect_s, 2),
        "detect_ms_per_week": round(detect_s / max(1, runs) * 1000, 1),
        "top": [
            {
                "week_ending": at.date().isoformat(),
                "place": c.place,
                "size": c.count,
                "usual": c.baseline,
                "growth": c.growth,
                "seasonal": c.seasonal,
                "likes": sum(likes.get(i, 0) for i in c.ids),
                "example_ids": c.ids[:5],
            }
            for c, at in shown
        ],
        "total_s": round(time.perf_counter() - t, 2),
        "load_avg": list(os.getloadavg()),
    }
    for i, (c, at) in enumerate(shown, 1):
        print(
            f"\n#{i} {c.label} @{c.place or '—'}  week to {at:%Y-%m-%d}: {c.count} messages "
            f"(usual {c.baseline}, ×{c.growth}){' seasonal' if c.seasonal else ''}",
            file=sys.stderr,
        )
        for rid in sorted(c.ids, key=lambda r: -likes.get(r, 0))[:4]:
            print(f"    {rid} ({likes.get(rid, 0)} likes) {subjects[rid][:60]}", file=sys.stderr)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
