"""Analytics at city scale: prints ONE JSON object on stdout (progress on stderr).

Generates N work orders (default 10,000,000) over two years directly in PostgreSQL with ``generate_series``
(channels, request types, a skewed category mix, streets, lead units, lifecycles with deadlines, warnings and
callbacks drawn in SQL; subjects sampled from the message files given as arguments), then the rollup
buckets of those orders with GROUPING SETS (the same metrics and dimensions that ``analytics.rollup``
keeps from the events, without writing ~8 events per order), and times:

- every dashboard figure (``analytics.selectors``: indicators with month-on-month and year-on-year, the
  unit league, the street tiles, the trend by channel, causes, warnings now) for a month and a year, and
  the whole dashboard page rendered in-process for a leader;
- the monthly report (``do_generate_monthly_report``) and its workbook;
- the CSV and .xlsx export of 1,000,000 orders (``analytics.drill``), each in a child process, with its
  wall time and peak RSS.

    .venv/bin/python bench/analytics.py --orders 100000 \\
        /work/shared/data/messages/public_messages_with_likes.csv
    nice -n 10 .venv/bin/python bench/analytics.py \\
        --database-url postgres://postgres@127.0.0.1:5432/yht_analytics_10m \\
        --json-out bench/results/analytics_10m.json /work/shared/data/messages/*.csv

The database is dropped and created again (names must contain 'analytics'); ``--reuse`` skips the load.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def log(*parts) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


def recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    from bench.lifecycle import _pg_params

    p = _pg_params(url)
    name = p.pop("dbname")
    if "analytics" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the name has no 'analytics'")
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in p.items() if v is not None}) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup(url: str) -> None:
    from bench.lifecycle import configure_environment, django_setup_and_migrate

    configure_environment("postgres", url)
    django_setup_and_migrate()


def subjects_from(paths: list[str]) -> list[str]:
    out = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            for row in csv.DictReader(f):
                s = (row.get("subject") or row.get("留言主题") or "").strip()
                if s:
                    out.append(s[:120])
    return out


# --- generation ------------------------------------------------------------------------------------------

CHANNELS = [("transfer", 0.80), ("call", 0.12), ("web", 0.07), ("letter", 0.01)]
TYPES = [
    ("consultation", 0.30),
    ("help", 0.25),
    ("complaint", 0.25),
    ("suggestion", 0.10),
    ("report", 0.05),
    ("praise", 0.02),
    ("other", 0.03),
]


def _pick(expr_rand: str, options: list[tuple[str, float]]) -> str:
    """A CASE over cumulative weights of a random draw (a column alias)."""
    parts, acc = [], 0.0
    for value, w in options[:-1]:
        acc += w
        parts.append(f"WHEN {expr_rand} < {acc:.6f} THEN {value}")
    return f"CASE {' '.join(parts)} ELSE {options[-1][0]} END"


def generate(n: int, subjects: list[str], *, chunk: int = 1_000_000) -> dict:
    from django.db import connection

    from yihaotong.directory.models import Category, RequestType, Unit, Urgency
    from yihaotong.workorders.models import WorkOrder

    rt = {r.code: r.pk for r in RequestType.objects.all()}
    urgency = Urgency.objects.get(code="normal").pk
    leaves = list(Category.objects.filter(level=3).values_list("pk", flat=True)) or list(
        Category.objects.values_list("pk", flat=True)
    )
    streets = list(Unit.objects.filter(kind="street").order_by("code").values_list("pk", flat=True))
    depts = list(Unit.objects.filter(kind="department").order_by("code").values_list("pk", flat=True))
    table = WorkOrder._meta.db_table
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET max_parallel_workers_per_gather = 0")
        cur.execute("SELECT setseed(0.4242)")
        cur.execute("DROP TABLE IF EXISTS bench_subject")
        cur.execute("CREATE UNLOGGED TABLE bench_subject (i int PRIMARY KEY, s text)")
        with cur.copy("COPY bench_subject (i, s) FROM STDIN") as cp:
            for i, s in enumerate(subjects):
                cp.write_row((i, s))
        ns = max(1, len(subjects))
        types = [(str(rt[c]), w) for c, w in TYPES if c in rt]
        channels = [(f"'{c}'", w) for c, w in CHANNELS]
        # created over two years ending at the bench's "now" (2026-06-30); lifecycles by a few draws per row.
        for start in range(1, n + 1, chunk):
            end = min(n, start + chunk - 1)
            cur.execute(
                f"""
                INSERT INTO {table} (id, number, query_code_hash, state, channel, source, upstream_ref,
                  request_type_id, urgency_id, category_id, subject, text, address, street_id, community_id,
                  requester_name, requester_phone, is_anonymous, is_confidential, identity_disclosure_agreed,
                  consent_publish, reply_wanted, created_by_id, created_at, accepted_at, dispatched_at, signed_at,
                  replied_at, reply_approved_at, closed_at, updated_at, lead_unit_id, sign_due, handle_due,
                  handle_unit, handle_started_at, callback_due, sign_warn_at, handle_warn_at, callback_warn_at,
                  warn_at, due_at, next_warning_at, warning_level, paused_at, extension_days, repeat_count,
                  redo_count, dissatisfied_count, supervision_level, master_id, disposition_reason, article_ref,
                  public_reply, satisfaction, is_review_candidate)
                SELECT g, 'B' || lpad(g::text, 10, '0'), md5(g::text), st, ch, '', '',
                  ty, %(urg)s, cat, sub, sub, '', street, NULL,
                  '', '', false, false, false, false, true, NULL, created, created,
                  CASE WHEN st <> 'answered' THEN created + interval '2 hours' END,
                  CASE WHEN st NOT IN ('answered', 'dispatched') THEN created + interval '2 hours' + sign_h END,
                  CASE WHEN st IN ('pending_callback', 'closed') THEN created + handle_d END,
                  CASE WHEN st IN ('pending_callback', 'closed') THEN created + handle_d + interval '4 hours' END,
                  CASE WHEN st = 'closed' THEN created + handle_d + interval '1 day' END,
                  created, CASE WHEN st <> 'answered' THEN lead END,
                  created + interval '1 day', created + interval '7 days', 'wd', created, NULL, NULL, NULL, NULL,
                  NULL, CASE WHEN st IN ('dispatched', 'in_progress') THEN created + interval '7 days' END, NULL,
                  CASE WHEN st IN ('dispatched', 'in_progress') AND r4 < 0.2 THEN 'red'
                       WHEN st IN ('dispatched', 'in_progress') AND r4 < 0.4 THEN 'yellow' ELSE 'none' END,
                  NULL, 0, 0, CASE WHEN sat = 'dissatisfied' THEN 1 ELSE 0 END,
                  CASE WHEN sat = 'dissatisfied' THEN 1 ELSE 0 END,
                  CASE WHEN r4 > 0.97 THEN 'remind' ELSE 'none' END, NULL, '', '', '', sat, false
                FROM (
                  SELECT g, created, ch, ty, cat, street, lead, st, r4, sign_h, handle_d, sub,
                    CASE WHEN st <> 'closed' THEN ''
                         WHEN r5 < 0.80 THEN 'satisfied' WHEN r5 < 0.92 THEN 'basically' ELSE 'dissatisfied' END AS sat
                  FROM (
                    SELECT g,
                      timestamptz '2024-07-01 00:00+08' + (g::float8 / %(n)s) * interval '730 days'
                        + (random() * interval '8 hours') AS created,
                      {_pick("r1", channels)} AS ch,
                      {_pick("r2", types)} AS ty,
                      (%(leaves)s::bigint[])[1 + floor(power(random(), 2.2) * %(nl)s)::int] AS cat,
                      (%(streets)s::bigint[])[1 + floor(random() * %(nst)s)::int] AS street,
                      CASE WHEN random() < 0.45 THEN (%(streets)s::bigint[])[1 + floor(random() * %(nst)s)::int]
                           ELSE (%(depts)s::bigint[])[1 + floor(power(random(), 1.6) * %(nd)s)::int] END AS lead,
                      CASE WHEN g > %(n)s - %(n)s / 60 THEN
                             CASE WHEN r3 < 0.3 THEN 'dispatched' WHEN r3 < 0.8 THEN 'in_progress'
                                  ELSE 'pending_callback' END
                           WHEN r3 < 0.05 THEN 'answered' ELSE 'closed' END AS st,
                      random() AS r4, random() AS r5,
                      (random() * interval '30 hours') AS sign_h,
                      (interval '1 day' * (0.5 + power(random(), 1.5) * 12)) AS handle_d,
                      bs.s AS sub
                    FROM (SELECT g, random() AS r1, random() AS r2, random() AS r3
                          FROM generate_series(%(a)s::bigint, %(b)s::bigint) g) base
                    JOIN bench_subject bs ON bs.i = (base.g * 7919) %% %(ns)s
                  ) x
                ) y
                """,
                {
                    "urg": urgency,
                    "n": n,
                    "leaves": leaves,
                    "nl": len(leaves),
                    "streets": streets,
                    "nst": len(streets),
                    "depts": depts,
                    "nd": len(depts),
                    "ns": ns,
                    "a": start,
                    "b": end,
                },
            )
            log(f"orders {end:,} / {n:,} ({time.perf_counter() - t0:.0f} s)")
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})")
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    build_buckets()
    with connection.cursor() as cur:
        cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute("VACUUM ANALYZE analytics_bucket")
        cur.execute("SELECT count(*) FROM analytics_bucket")
        buckets = cur.fetchone()[0]
    return {"orders": n, "load_s": round(load_s, 1), "rollup_s": round(time.perf_counter() - t1, 1), "buckets": buckets}


# The rollup of the generated orders, with the metrics and dimensions of analytics.rollup: one scan per
# event time (created, dispatched, signed, approved, closed); dims by GROUPING SETS; unpivoted into buckets.
DIMS_SQL = {
    "all": "''",
    "channel": "o.channel",
    "type": "rt.code",
    "category1": "c1.code",
    "street": "s.code",
    "unit": "u.code",
}


def build_buckets() -> None:
    from django.db import connection

    groups = {
        "created_at": {"created": "true", "accepted": "true", "answered": "o.state = 'answered'"},
        "dispatched_at": {"dispatched": "true"},
        "signed_at": {"signed": "true", "signed_on_time": "o.signed_at <= o.sign_due"},
        "replied_at": {"replied": "true", "replied_on_time": "o.replied_at <= o.handle_due"},
        "reply_approved_at": {"reply_approved": "true"},
        "closed_at": {
            "closed": "true",
            "closed_on_time": "o.replied_at <= o.handle_due",
            "cb_valid": "true",
            "cb_contacted": "true",
            "cb_solved": "o.satisfaction <> 'dissatisfied'",
            "cb_satisfied": "o.satisfaction = 'satisfied'",
            "cb_basically": "o.satisfaction = 'basically'",
            "cb_dissatisfied": "o.satisfaction = 'dissatisfied'",
            "redo": "o.redo_count > 0",
            "supervised": "o.supervision_level <> 'none'",
            "warn_red": "o.replied_at > o.handle_due",
        },
    }
    unit_free = {"created", "accepted", "answered"}
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET work_mem = '256MB'")
        cur.execute("TRUNCATE analytics_bucket")
        for col, metrics in groups.items():
            dims = [d for d in DIMS_SQL if not (d == "unit" and set(metrics) <= unit_free)]
            sets = ", ".join(f"(day, {DIMS_SQL[d]})" if d != "all" else "(day)" for d in dims)
            aggs = ", ".join(f"count(*) FILTER (WHERE {cond}) AS m_{m}" for m, cond in metrics.items())
            total = (
                ", sum(extract(epoch FROM o.reply_approved_at - o.created_at) / 86400.0 * 5 / 7) AS t_total"
                if col == "reply_approved_at"
                else ", 0.0 AS t_total"
            )
            grouping = ", ".join(f"GROUPING({DIMS_SQL[d]}) AS g_{d}" for d in DIMS_SQL if d != "all" and d in dims)
            cols = ", ".join(f"{DIMS_SQL[d]} AS k_{d}" for d in DIMS_SQL if d != "all" and d in dims)
            cur.execute("DROP TABLE IF EXISTS bench_agg")
            cur.execute(
                f"""
                CREATE UNLOGGED TABLE bench_agg AS
                SELECT (o.{col} AT TIME ZONE 'Asia/Shanghai')::date AS day, {cols}, {grouping}, {aggs}{total}
                FROM workorders_workorder o
                JOIN directory_requesttype rt ON rt.id = o.request_type_id
                LEFT JOIN directory_category c ON c.id = o.category_id
                LEFT JOIN directory_category c2 ON c2.id = c.parent_id
                LEFT JOIN directory_category c1 ON c1.id = coalesce(c2.parent_id, c.parent_id, c.id)
                LEFT JOIN directory_unit s ON s.id = o.street_id
                LEFT JOIN directory_unit u ON u.id = o.lead_unit_id
                WHERE o.{col} IS NOT NULL
                GROUP BY GROUPING SETS ({sets})
                """
            )
            for m in metrics:
                for d in dims:
                    if d == "all":
                        where = " AND ".join(f"g_{x} = 1" for x in dims if x != "all")
                        key = "''"
                    else:
                        where = f"g_{d} = 0 AND " + " AND ".join(f"g_{x} = 1" for x in dims if x not in ("all", d))
                        key = f"k_{d}"
                    val = "t_total" if m == "reply_approved" else "0.0"
                    cur.execute(
                        f"""INSERT INTO analytics_bucket (day, metric, dim, key, n, total)
                            SELECT day, %s, %s, coalesce({key}, ''), m_{m}, {val} FROM bench_agg
                            WHERE {where} AND m_{m} > 0 AND ({key} IS NOT NULL)""",
                        [m, d],
                    )
            log(f"buckets of {col}: {time.perf_counter() - t:.0f} s")
        cur.execute("DROP TABLE IF EXISTS bench_agg")
        # Causes of dissatisfaction: a handful of words, spread over the dissatisfied callbacks.
        cur.execute(
            """INSERT INTO analytics_bucket (day, metric, dim, key, n, total)
               SELECT day, 'cause', 'cause', w, greatest(1, (n * f)::bigint), 0.0
               FROM (SELECT day, n FROM analytics_bucket WHERE dim = 'all' AND metric = 'cb_dissatisfied') d,
                    (VALUES ('态度', 0.3), ('拖延', 0.25), ('未解决', 0.2), ('推诿', 0.15), ('噪音', 0.1)) AS w(w, f)"""
        )


# --- timings ---------------------------------------------------------------------------------------------


def timed(fn, repeat: int = 5) -> dict:
    fn()  # warm-up (caches of reference rows, plans)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def time_dashboard() -> dict:
    from django.test import Client

    from yihaotong.accounts.models import User
    from yihaotong.analytics import selectors as Q
    from yihaotong.analytics.periods import parse_period
    from yihaotong.directory.models import Unit

    today = parse_period("day", "2026-06-30", today=__import__("datetime").date(2026, 6, 30)).start
    month = parse_period("month", "2026-05", today=today)
    year = parse_period("year", "2025", today=today)
    unit = Unit.objects.filter(kind="street").order_by("code").first().code
    figures = {
        "indicators_month": lambda: Q.indicators(month),
        "indicators_year": lambda: Q.indicators(year),
        "indicators_unit_month": lambda: Q.indicators(month, dim="unit", key=unit, unit=True),
        "indicators_channel_year": lambda: Q.indicators(year, dim="channel", key="call"),
        "league_month": lambda: Q.league(month),
        "league_year": lambda: Q.league(year),
        "street_tiles_month": lambda: Q.street_tiles(month),
        "trend_by_channel_month": lambda: Q.series(month, ["created"], dim="channel", by_key=True),
        "trend_by_channel_year": lambda: Q.series(year, ["created"], dim="channel", by_key=True),
        "causes_month": lambda: Q.distribution(month, "cause", "cause", limit=10),
        "warnings_now": Q.open_now,
    }
    out = {name: timed(fn) for name, fn in figures.items()}
    leader = User.objects.filter(groups__name="leader").first()
    if leader is not None:
        c = Client()
        c.force_login(leader)
        for name, q in (("page_month", "period=month&value=2026-05"), ("page_year", "period=year&value=2025")):
            out[name] = timed(lambda q=q: c.get(f"/analytics/?{q}"), repeat=3)
    return out


def time_report() -> dict:
    from yihaotong.analytics.actions import do_generate_monthly_report
    from yihaotong.analytics.report import workbook

    t = time.perf_counter()
    report = do_generate_monthly_report(None, "2026-05")
    gen = time.perf_counter() - t
    t = time.perf_counter()
    data = workbook(report)
    return {"generate_s": round(gen, 2), "workbook_s": round(time.perf_counter() - t, 2), "xlsx_bytes": len(data)}


EXPORT_CHILD = r"""
import os, sys, time, resource, datetime
sys.path.insert(0, sys.argv[1])
from bench.lifecycle import configure_environment
configure_environment("postgres", sys.argv[2])
import django; django.setup()
from yihaotong.accounts.models import User
from yihaotong.analytics import drill
from yihaotong.workorders.selectors import OrderFilter, list_orders
leader = User.objects.filter(groups__name="leader").first()
start = datetime.date.fromisoformat(sys.argv[4])
qs = list_orders(leader, OrderFilter(created_from=start, created_to=datetime.date(2026, 6, 30)))
t = time.perf_counter(); rows = 0; size = 0
if sys.argv[3] == "csv":
    with open(os.devnull, "w") as out:
        for piece in drill.csv_stream(qs, limit=int(sys.argv[5])):
            out.write(piece); size += len(piece.encode()); rows += piece.count("\n")
    rows -= 1
else:
    f = drill.xlsx_file(qs, limit=int(sys.argv[5])); size = os.path.getsize(f.name); f.close(); rows = int(sys.argv[5])
print(round(time.perf_counter() - t, 2), rows, size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def time_export(url: str, fmt: str, rows: int, n: int) -> dict:
    # The newest orders: a created_from that covers ``rows`` of the 2 years of ``n`` orders (+10 %).
    import datetime as dt

    days = min(730, int(730 * rows / n * 1.1) + 1)
    start = (dt.date(2026, 6, 30) - dt.timedelta(days=days)).isoformat()
    cmd = [sys.executable, "-c", EXPORT_CHILD, str(ROOT), url, fmt, start, str(rows)]
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    secs, written, size, rss_kb = float(out[0]), int(out[1]), int(out[2]), int(out[3])
    return {
        "rows": written,
        "seconds": secs,
        "process_s": round(time.perf_counter() - t, 1),
        "bytes": size,
        "peak_rss_mb": round(rss_kb / 1024, 1),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("messages", nargs="*", help="CSV files with a 'subject' column (text of the generated orders)")
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/yht_analytics_bench")
    ap.add_argument("--reuse", action="store_true", help="keep the loaded database")
    ap.add_argument("--export-rows", type=int, default=1_000_000)
    ap.add_argument("--skip-xlsx", action="store_true")
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)
    result: dict = {
        "bench": "analytics",
        "orders": args.orders,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    result["load_before"] = list(os.getloadavg())
    if not args.reuse:
        recreate(args.database_url)
    setup(args.database_url)
    from django.core.cache import cache  # noqa: F401 - settings loaded

    from yihaotong.workorders.models import WorkOrder

    if not args.reuse or not WorkOrder.objects.exists():
        from bench.lifecycle import seed_cast_and_handlers

        seed_cast_and_handlers([2024, 2025, 2026])
        subjects = subjects_from(args.messages) or ["测试诉求"]
        log(f"{len(subjects)} subjects; generating {args.orders:,} orders")
        result["generation"] = generate(args.orders, subjects)
    log("timing the dashboard")
    result["dashboard_ms"] = time_dashboard()
    log("timing the monthly report")
    result["monthly_report"] = time_report()
    rows = min(args.export_rows, args.orders)
    log(f"timing the export of {rows:,} rows")
    result["export_csv"] = time_export(args.database_url, "csv", rows, args.orders)
    if not args.skip_xlsx:
        result["export_xlsx"] = time_export(args.database_url, "xlsx", rows, args.orders)
    from bench.lifecycle import db_info

    result["database"] = db_info()
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["load_after"] = list(os.getloadavg())
    result["goals"] = {"dashboard_figure_ms": 1000, "report_s": 30, "export_1m_s": 120, "export_rss_mb": 300}
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    resource.getrusage(resource.RUSAGE_SELF)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
