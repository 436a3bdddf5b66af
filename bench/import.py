"""Upstream transfer import benchmark: prints ONE JSON object on stdout (progress to stderr).

Builds 10,000 upstream rows (a CSV export as a platform would send it) from the citizen messages of
``shared/data/messages`` (subject + detail; cycled, with the upstream id numbering the copies), then
imports them through the real import path: ``channels.actions.do_stage_import`` (read the file, check
every row) and ``do_run_import`` (what the huey task runs: chunks of one transaction, the chunk's numbers
reserved before it, its orders made together by ``workorders.bulk.do_create_orders``). Then the same file
again: every row is found by its upstream id and reported unchanged (the idempotent path). Rows per
second = rows / wall time of staging plus running, on a fresh database.

    nice .venv/bin/python bench/import.py ../shared/data/messages --database sqlite
    nice .venv/bin/python bench/import.py ../shared/data/messages --database postgres \
        [--database-url postgres://postgres@127.0.0.1:5432/h_channels_bench] [--rows 10000] [--json-out FILE]

The machine is shared: the JSON carries the load average before and after the run, and the CPU time of
this process (on SQLite that is all the work, the database included; on PostgreSQL the server's share is
not in it, and is reported apart from the backend's /proc entry when the server is local), so that a
starved run can be told from a slow one. ``counts_match``: orders = transfers = "create" events = rows
created = rows accepted = rows found unchanged the second time.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lifecycle import configure_environment, db_info, django_setup_and_migrate, recreate_pg_database  # noqa: E402

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/h_channels_bench"
FILES = ("messages_with_replies.csv", "public_messages_with_likes.csv")


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def read_messages(folder: Path) -> list[tuple[str, str]]:
    out = []
    for name in FILES:
        path = folder / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f):
                subject = (r.get("subject") or "").strip()
                detail = (r.get("detail") or "").strip()
                if subject or detail:
                    out.append((subject or detail[:40], detail or subject))
    if not out:
        raise SystemExit(f"no messages found in {folder} (expected {', '.join(FILES)})")
    return out


def build_csv(messages, n: int, categories: list[str], streets: list[str], start) -> bytes:
    from yihaotong.channels.rows import COLUMNS, MAX_SUBJECT, MAX_TEXT

    types = ["投诉", "求助", "咨询", "建议", "complaint", "help"]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([zh for _f, zh, _en in COLUMNS])
    for i in range(n):
        subject, text = messages[i % len(messages)]
        received = start + timedelta(minutes=7 * i)
        values = {
            "upstream_id": f"SZ-{i:06d}",
            "subject": subject[:MAX_SUBJECT],
            "text": text[:MAX_TEXT],
            "request_type": types[i % len(types)],
            "category": categories[i % len(categories)],
            "urgency": "紧急" if i % 20 == 0 else "一般",
            "address": "",
            "street": streets[i % len(streets)],
            "requester_name": "" if i % 4 == 0 else f"市民{i % 997}",
            "requester_phone": "" if i % 4 == 0 else f"138{i:08d}"[:11],
            "is_anonymous": "是" if i % 4 == 0 else "否",
            "upstream_received_at": received.strftime("%Y-%m-%d %H:%M:%S"),
            "upstream_due": (received + timedelta(days=15)).strftime("%Y-%m-%d"),
        }
        w.writerow([values[f] for f, _zh, _en in COLUMNS])
    return out.getvalue().encode("utf-8")


def server_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend so far (a local server's /proc), else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("select pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("messages", type=Path, help="the shared/data/messages folder")
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", default=DEFAULT_PG_URL)
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--json-out", type=Path)
    args = p.parse_args(argv)

    load_before = os.getloadavg()
    if args.database == "postgres":
        recreate_pg_database(args.database_url, allow_any_name=False)
    var_dir = configure_environment(args.database, args.database_url if args.database == "postgres" else None)
    try:
        django_setup_and_migrate()
        from django.utils import timezone

        from tests.factories import build_cast
        from yihaotong.accounts import roles as R
        from yihaotong.accounts.actions import do_create_user
        from yihaotong.channels.actions import do_run_import, do_save_platform, do_stage_import
        from yihaotong.channels.models import ImportBatch, Transfer
        from yihaotong.directory.models import Category, Unit, UnitKind
        from yihaotong.workorders.models import Event, WorkOrder

        cast = build_cast()
        account = do_create_user(username="mayor-line", password=None, roles=[R.INTEGRATION], is_service=True)
        do_save_platform(code="mayor", name="市长公开电话", account=account)
        categories = list(Category.objects.filter(is_active=True, level=3).values_list("code", flat=True))
        streets = list(Unit.objects.filter(kind=UnitKind.STREET).values_list("code", flat=True))
        messages = read_messages(args.messages)
        data = build_csv(messages, args.rows, categories, streets, timezone.now() - timedelta(days=30))
        log(f"{args.rows} rows, {len(data) / 1e6:.1f} MB of CSV from {len(messages)} messages")

        def timed_import(name):
            s0 = server_cpu_seconds()
            t0, c0 = time.perf_counter(), time.process_time()
            batch = do_stage_import(cast.operator, "mayor", name, data)
            t1 = time.perf_counter()
            batch = do_run_import(batch.pk)
            t2, c2 = time.perf_counter(), time.process_time()
            s2 = server_cpu_seconds()
            cpu_seconds.append(c2 - c0)
            server_seconds.append(None if s0 is None or s2 is None else s2 - s0)
            return batch, t1 - t0, t2 - t1

        cpu_seconds: list[float] = []
        server_seconds: list[float | None] = []
        batch, stage_s, run_s = timed_import("export.csv")
        log(f"first import: stage {stage_s:.1f}s, run {run_s:.1f}s")
        again, stage2_s, run2_s = timed_import("export-again.csv")
        log(f"second import: stage {stage2_s:.1f}s, run {run2_s:.1f}s")
        total = stage_s + run_s
        accepted = args.rows - batch.rejected
        result = {
            "benchmark": "import",
            "rows": args.rows,
            "csv_mb": round(len(data) / 1e6, 2),
            "first_import": {
                "stage_seconds": round(stage_s, 2),
                "run_seconds": round(run_s, 2),
                "rows_per_second": round(args.rows / total, 1),
                "process_cpu_seconds": round(cpu_seconds[0], 2),
                "rows_per_process_cpu_second": round(args.rows / cpu_seconds[0], 1),
                "server_backend_cpu_seconds": _round(server_seconds[0]),
                "created": batch.created,
                "rejected": batch.rejected,
                "state": batch.state,
            },
            "second_import_same_file": {
                "stage_seconds": round(stage2_s, 2),
                "run_seconds": round(run2_s, 2),
                "rows_per_second": round(args.rows / (stage2_s + run2_s), 1),
                "process_cpu_seconds": round(cpu_seconds[1], 2),
                "server_backend_cpu_seconds": _round(server_seconds[1]),
                "unchanged": again.unchanged,
                "created": again.created,
            },
            "orders_in_database": WorkOrder.objects.count(),
            "transfers_in_database": Transfer.objects.count(),
            "create_events_in_database": Event.objects.filter(kind="create").count(),
            "batches": ImportBatch.objects.count(),
            "counts_match": WorkOrder.objects.count()
            == Transfer.objects.count()
            == Event.objects.filter(kind="create").count()
            == batch.created
            == accepted
            == again.unchanged,
            "goal_rows_per_second": 500,
            "database": db_info(),
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "loadavg_before": [round(x, 2) for x in load_before],
                "loadavg_after": [round(x, 2) for x in os.getloadavg()],
                "niceness": os.nice(0),
            },
        }
    finally:
        if args.database == "sqlite":
            shutil.rmtree(var_dir, ignore_errors=True)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
