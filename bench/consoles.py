"""Console render benchmark: prints ONE JSON object on stdout (progress, slow statements and plans go to stderr).

Server-side render time of the staff consoles at scale on PostgreSQL: the intake desk, the caller-history
pop-up (the htmx partial for a phone number with history), the dispatch queue, the handling unit's inbox
and the order list. Each page is rendered in-process through Django's test ``Client`` (logged in with
``force_login`` as the role that uses it: middleware, session, view, template, every query), timed per
request, after a warm-up. No browser, no network: this is the server's share of what a user waits for.

The 1,000,000 orders come from ``bench/lifecycle.py --scale`` (its loader is imported, not copied); this
script adds what the consoles read and the bulk load leaves out: one contact per order (plus direct answers
and repeat calls) for the caller history, and a few dozen new orders taken at the desk today (the queue and
its duplicate pool; the bulk history ends on 2025-12-31, so nothing in it is new).

    python bench/consoles.py --database-url postgres://postgres@127.0.0.1:5432/yht_scale --orders 1000000
    python bench/consoles.py --reuse --database-url postgres://postgres@127.0.0.1:5432/yht_scale \\
        --json-out bench/results/consoles_1m.json

See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import lifecycle as L  # noqa: E402 - the scale loader, set-up helpers, CpuMeter and explain

log = L.log

HX = {"HTTP_HX_REQUEST": "true"}
GOAL_MS = 100.0
HISTORY_GOAL_MS = 50.0
NEW_ORDERS = 60  # orders taken at the desk "today": the dispatch queue holds them
HISTORY_PHONES = 20  # the caller-history pop-up is timed on the phones with the most orders


# ---------------------------------------------------------------------------------------------------------
# data: the scale database and what the consoles need on top of it


def prepare_database(args) -> dict:
    """Load the scale database (lifecycle's loader) unless --reuse finds it loaded; migrate either way."""
    url = args.database_url
    if not args.reuse:
        L.recreate_pg_database(url, allow_any_name=args.force_drop)
    L.configure_environment("postgres", url)
    L.django_setup_and_migrate()
    from yihaotong.workorders.models import WorkOrder

    if args.reuse and WorkOrder.objects.exists():
        return {"reused": True, "orders": WorkOrder.objects.count()}
    t = time.perf_counter()
    L.seed_cast_and_handlers([2023, 2024, 2025, 2026])
    seed_s = round(time.perf_counter() - t, 1)
    loaded = L.bulk_load(args.orders, args.seed)
    log(f"loaded: {loaded}")
    return {"reused": False, "seed_s": seed_s, **loaded}


CONTACT_COLUMNS = (
    "channel, source, received_at, operator_id, phone, name, is_anonymous, address, street_id, summary, text, "
    "request_type_id, urgency_id, outcome, article_ref, answer_text, emergency_service, transferred_at, "
    "disposition_reason, order_id"
)


def load_contacts() -> dict:
    """One contact per bulk-loaded order (the call that created it), a repeat call on 3 % of them and a
    direct answer to the same caller before 2 %: built in the server from the orders (INSERT … SELECT)."""
    from django.db import connection, transaction

    from yihaotong.intake.models import Contact

    existing = Contact.objects.count()
    if existing:
        return {"contacts": existing, "loaded": False}
    t = time.perf_counter()

    def insert(received_at: str, summary: str, outcome: str, answer: str, order_id: str, where: str) -> None:
        cur.execute(
            f"INSERT INTO intake_contact ({CONTACT_COLUMNS}) "  # noqa: S608 - constant text
            f"SELECT channel, '', {received_at}, created_by_id, requester_phone, requester_name, is_anonymous, "
            f"address, street_id, {summary}, '', request_type_id, urgency_id, '{outcome}', '', '{answer}', '', "
            f"NULL, '', {order_id} FROM workorders_workorder WHERE NOT is_confidential {where}"
        )

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")  # the rows are consistent by construction
        insert("created_at - interval '3 minutes'", "subject", "work_order", "", "id", "")
        insert("created_at + interval '26 hours'", "'催办：' || subject", "attached", "", "id", "AND mod(id, 33) = 7")
        insert(
            "created_at - interval '2 days'",
            "'咨询：' || subject",
            "direct_answer",
            "已按政策答复",
            "NULL",
            "AND mod(id, 50) = 3",
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE intake_contact")
    return {"contacts": Contact.objects.count(), "loaded": True, "load_s": round(time.perf_counter() - t, 1)}


def history_phones() -> list[dict]:
    """The phones with the most orders (every bulk phone has a dozen or so; these have the most)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT requester_phone, count(*) FROM workorders_workorder WHERE requester_phone <> '' "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s",
            [HISTORY_PHONES],
        )
        return [{"phone": p, "orders": n} for p, n in cur.fetchall()]


def take_new_orders(phones: list[str], rng: random.Random) -> dict:
    """Orders taken at the desk today through the real intake action (contact + order, 待派单), so that the
    dispatch queue has rows and duplicates to score; a few come from the history phones (open orders)."""
    from django.utils import timezone

    from yihaotong.accounts.models import User
    from yihaotong.directory.data import demo_text as T
    from yihaotong.intake import actions as IA
    from yihaotong.workorders import actions as WA
    from yihaotong.workorders.models import WorkOrder

    now = timezone.now()
    already = WorkOrder.objects.filter(created_at__gte=now - timedelta(days=1), state="pending_dispatch").count()
    if already >= NEW_ORDERS:
        return {"new_orders": already, "created": 0}
    operator = User.objects.get(username="operator")
    created = 0
    for i in range(NEW_ORDERS - already):
        tpl = rng.choice(T.ORDER_TEMPLATES)
        road, _street = rng.choice(T.ROADS)
        place = f"{road}{rng.randint(1, 199)}号"
        # the first 15 come from 5 of the history phones (open orders in their pop-up); the rest from others
        phone = phones[i % 5] if i < 15 else rng.choice(T.PHONE_PREFIXES) + f"{rng.randint(0, 9999):04d}"
        contact = IA.ContactInput(
            channel="call",
            summary=tpl["subject"],
            text=tpl["text"].format(place=place),
            phone=phone,
            name=rng.choice(T.SURNAMES) + rng.choice(T.GIVEN_NAMES),
            address=place,
            request_type=tpl["request_type"],
            urgency="normal",
        )
        order = WA.OrderInput(
            channel="call",
            request_type=contact.request_type,
            subject=contact.summary,
            text=contact.text,
            address=place,
            requester_name=contact.name,
            requester_phone=phone,
        )
        IA.do_create_order_from_contact(operator, contact, order, now=now - timedelta(minutes=NEW_ORDERS - i))
        created += 1
    return {"new_orders": already + created, "created": created}


def busiest_unit_handler():
    """The handler ('bh-<code>') of the unit with the most active assignments, and that count."""
    from django.db import connection

    from yihaotong.accounts.models import User

    with connection.cursor() as cur:
        cur.execute(
            "SELECT unit_id, count(*) FROM workorders_assignment WHERE state IN ('pending_sign', 'signed') "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        )
        unit_id, active = cur.fetchone()
    return User.objects.get(username__startswith="bh-", unit_id=unit_id), active


# ---------------------------------------------------------------------------------------------------------
# timing


class Statements:
    """Counts and times the SQL of one render (an execute_wrapper); keeps the statements of the slowest."""

    def __init__(self):
        self.items: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.items.append(((time.perf_counter() - t) * 1000, sql, params))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))], 2)


def time_page(name: str, client, path: str, *, headers: dict, paths: list[str] | None, reps: int, warmup: int):
    from django.db import connection

    paths = paths or [path]
    totals, sql_ms, queries, sizes = [], [], [], []
    slowest: tuple[float, list] = (-1.0, [])
    for i in range(warmup + reps):
        url = paths[i % len(paths)]
        rec = Statements()
        with connection.execute_wrapper(rec):
            t = time.perf_counter()
            response = client.get(url, **headers)
            elapsed = (time.perf_counter() - t) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{name}: GET {url} answered {response.status_code}")
        if i < warmup:
            continue
        totals.append(elapsed)
        sql_ms.append(sum(ms for ms, _s, _p in rec.items))
        queries.append(len(rec.items))
        sizes.append(len(response.content))
        if elapsed > slowest[0]:
            slowest = (elapsed, rec.items)
    return totals, sql_ms, queries, sizes, slowest


def explain_statement(sql: str, params) -> dict:
    from django.db import connection

    try:
        text = connection.ops.compose_sql(sql, params)
        return L.explain(text)
    except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
        return {"error": str(exc)}


def page_specs(users: dict, phones: list[str], unit_code: str) -> list[dict]:
    history = [f"/desk/history?phone={p}" for p in phones]
    return [
        {"name": "desk", "role": "operator", "user": users["operator"], "path": "/desk/", "goal_ms": GOAL_MS},
        {
            "name": "desk_history",
            "role": "operator",
            "user": users["operator"],
            "path": history[0],
            "paths": history,
            "headers": HX,
            "goal_ms": HISTORY_GOAL_MS,
        },
        {"name": "queue", "role": "dispatcher", "user": users["dispatcher"], "path": "/queue/", "goal_ms": GOAL_MS},
        {
            "name": "queue_poll",
            "role": "dispatcher",
            "user": users["dispatcher"],
            "path": "/queue/",
            "headers": HX,
            "goal_ms": GOAL_MS,
        },
        {"name": "inbox", "role": "handler", "user": users["handler"], "path": "/inbox/", "goal_ms": GOAL_MS},
        {
            "name": "inbox_in_progress",
            "role": "handler",
            "user": users["handler"],
            "path": "/inbox/?section=in_progress",
            "goal_ms": GOAL_MS,
        },
        {"name": "orders", "role": "dispatcher", "user": users["dispatcher"], "path": "/orders/", "goal_ms": GOAL_MS},
        {
            "name": "orders_unit",
            "role": "handler",
            "user": users["handler"],
            "path": f"/orders/?assigned_unit={unit_code}&state=dispatched,in_progress&sort=due",
            "goal_ms": GOAL_MS,
        },
    ]


def run(args) -> dict:
    import django

    result: dict = {"mode": "consoles", "database": "postgres"}
    t = time.perf_counter()
    result["load"] = prepare_database(args)
    from django.db import connection
    from django.test import Client

    from yihaotong.accounts.models import User

    rng = random.Random(args.seed)
    result["contacts"] = load_contacts()
    top = history_phones()
    phones = [p["phone"] for p in top]
    result["new_orders"] = take_new_orders(phones, rng)
    handler, active = busiest_unit_handler()
    result["setup_s"] = round(time.perf_counter() - t, 1)
    users = {u.username: u for u in User.objects.filter(username__in=["operator", "dispatcher"])}
    users["handler"] = handler
    from yihaotong.workorders.models import WorkOrder

    result["history_phones"] = {
        "phones": len(top),
        "orders_per_phone": {"min": top[-1]["orders"], "max": top[0]["orders"]},
        "open_orders_of_first": WorkOrder.objects.filter(
            requester_phone=phones[0], state__in=["pending_dispatch", "dispatched", "in_progress"]
        ).count(),
    }
    result["handler"] = {"username": handler.username, "unit": handler.unit.code, "active_assignments": active}
    with connection.cursor() as cur:
        cur.execute("SHOW jit")
        result["jit"] = cur.fetchone()[0]

    only = {s.strip() for s in args.only.split(",") if s.strip()}
    specs = [s for s in page_specs(users, phones, handler.unit.code) if not only or s["name"] in only]
    clients: dict[str, Client] = {}
    cpu = L.CpuMeter()
    pages = {}
    t = time.perf_counter()
    for spec in specs:
        client = clients.get(spec["role"])
        if client is None:
            client = clients[spec["role"]] = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            client.force_login(spec["user"])
        log(f"timing {spec['name']} ({spec['role']}: {spec['path']}) …")
        totals, sql_ms, queries, sizes, slowest = time_page(
            spec["name"],
            client,
            spec["path"],
            headers=spec.get("headers", {}),
            paths=spec.get("paths"),
            reps=args.reps,
            warmup=args.warmup,
        )
        cpu.sample_load()
        row = {
            "path": spec["path"],
            "role": spec["role"],
            "htmx": bool(spec.get("headers")),
            "reps": len(totals),
            "p50_ms": pct(totals, 50),
            "p95_ms": pct(totals, 95),
            "p99_ms": pct(totals, 99),
            "max_ms": round(max(totals), 2),
            "mean_ms": round(statistics.fmean(totals), 2),
            "sql_p50_ms": pct(sql_ms, 50),
            "sql_p95_ms": pct(sql_ms, 95),
            "queries_per_render": {"min": min(queries), "max": max(queries)},
            "bytes": {"min": min(sizes), "max": max(sizes)},
            "goal_p95_ms": spec["goal_ms"],
        }
        row["meets_goal"] = row["p95_ms"] < spec["goal_ms"]
        statements = sorted(slowest[1], key=lambda s: -s[0])
        row["slowest_render"] = {
            "ms": round(slowest[0], 2),
            "top_statements": [{"ms": round(ms, 2), "sql": sql[:300]} for ms, sql, _p in statements[:3]],
        }
        if (not row["meets_goal"] or args.explain_all) and statements and not args.no_explain:
            ms, sql, params = statements[0]
            plan = explain_statement(sql, params)
            row["slowest_render"]["explain"] = {k: v for k, v in plan.items() if k != "tree"}
            log(
                f"  slowest statement of {spec['name']} ({ms:.1f} ms):\n  {sql}\n  " + "\n  ".join(plan.get("tree", []))
            )
        log(
            f"  {spec['name']}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms (goal {spec['goal_ms']:.0f}), "
            f"sql p95 {row['sql_p95_ms']} ms, {row['queries_per_render']['max']} queries"
        )
        pages[spec["name"]] = row
    result["pages"] = pages
    result["all_meet_goals"] = all(p["meets_goal"] for p in pages.values())
    result["timing_s"] = round(time.perf_counter() - t, 1)
    result["cpu"] = cpu.report()
    result["db"] = L.db_info()
    result.update(
        python=platform.python_version(),
        django=django.get_version(),
        cpus=os.cpu_count(),
        seed=args.seed,
        reps=args.reps,
        warmup=args.warmup,
    )
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=L.DEFAULT_SCALE_URL, help="PostgreSQL; the name must contain 'scale'")
    ap.add_argument("--orders", type=int, default=1_000_000, help="orders to bulk-load (without --reuse)")
    ap.add_argument("--reuse", action="store_true", help="reuse a loaded scale database (no drop, no load)")
    ap.add_argument("--reps", type=int, default=60, help="timed renders per page (after the warm-up)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed renders per page first")
    ap.add_argument("--only", default="", help="comma-separated page names to time")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--explain-all", action="store_true", help="EXPLAIN the slowest statement of every page")
    ap.add_argument("--no-explain", action="store_true", help="no EXPLAIN even for pages that miss their goal")
    ap.add_argument(
        "--force-drop", action="store_true", help="allow dropping a database without bench/scale in its name"
    )
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args(argv)
    name = L._pg_params(args.database_url)["dbname"]
    if "scale" not in name and not args.force_drop:
        ap.error(f"the database name {name!r} has no 'scale' in it (--force-drop to use it anyway)")

    real_stdout = sys.stdout
    var_dir = None
    try:
        with contextlib.redirect_stdout(sys.stderr):  # nothing but the JSON reaches stdout
            result = run(args)
    finally:
        with contextlib.suppress(Exception):  # Django may not be set up if the run failed early
            from django.db import connections

            connections.close_all()
        var_dir = os.environ.get("YIHAOTONG_VAR_DIR")
        if var_dir and Path(var_dir).name.startswith("yht-bench-"):
            shutil.rmtree(var_dir, ignore_errors=True)
    text = json.dumps(result, ensure_ascii=False, indent=1, default=str)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    print(text, file=real_stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
