"""Work-order lifecycle benchmark: prints ONE JSON object on stdout (progress and plans go to stderr).

Mode 1, replay (default): a fresh database, the directory, calendar and users, then one district-year of
contacts and orders driven through the real actions in time order (a priority queue of (time, step)), with
the warning sweep every simulated hour. Every action call is timed.

    python bench/lifecycle.py --database sqlite
    python bench/lifecycle.py --database postgres [--database-url postgres://postgres@127.0.0.1:5432/yht_bench]
        [--contacts 53766] [--orders 52873] [--year-start 2025-01-01] [--seed 1] [--json-out FILE]

Mode 2, scale (PostgreSQL only): a fresh database with 1,000,000 orders bulk-loaded by COPY, then the
handler inbox and the centre's order list timed through ``selectors.list_orders`` + ``core.api.paginate`` (with the
API's count cap of 10,000).

    python bench/lifecycle.py --scale --database-url postgres://postgres@127.0.0.1:5432/yht_scale --orders 1000000

See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from array import array
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # so that ``tests.factories`` imports when run as ``python bench/lifecycle.py``

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/yht_bench"
DEFAULT_SCALE_URL = "postgres://postgres@127.0.0.1:5432/yht_scale"


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------
# database set-up (before django.setup)


def _pg_params(url: str) -> dict:
    u = urlsplit(url)
    if u.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"not a PostgreSQL URL: {url}")
    name = u.path.lstrip("/")
    if not name:
        raise SystemExit("the database URL names no database")
    return {
        "dbname": name,
        "user": u.username or "postgres",
        "password": u.password,
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 5432,
    }


def recreate_pg_database(url: str, *, allow_any_name: bool) -> None:
    """Drop and create the database of ``url`` (only names containing 'bench' or 'scale' unless allowed)."""
    import psycopg
    from psycopg import sql

    p = _pg_params(url)
    name = p.pop("dbname")
    if not allow_any_name and "bench" not in name and "scale" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name has no 'bench' or 'scale' (--force-drop)")
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in p.items() if v is not None}) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_environment(database: str, url: str | None, var_dir: str | None = None) -> str:
    """Point the settings at a fresh database; return a temp dir to remove at the end."""
    var_dir = var_dir or tempfile.mkdtemp(prefix="yht-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yihaotong.config.settings"
    os.environ["DEBUG"] = "0"  # DEBUG=1 would record every query in connection.queries
    os.environ["YIHAOTONG_VAR_DIR"] = var_dir
    for key in ("YIHAOTONG_MODE", "YIHAOTONG_SQLITE", "HUEY_SQLITE", "REDIS_URL"):
        os.environ.pop(key, None)
    if database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = url
    return var_dir


def django_setup_and_migrate() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("migrate", verbosity=0, interactive=False)


def db_info() -> dict:
    from django.db import connection

    info = {"vendor": connection.vendor}
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("select version()")
            info["server"] = cur.fetchone()[0].split(" on ")[0]
            cur.execute("select pg_database_size(current_database())")
            info["size_mb"] = round(cur.fetchone()[0] / 1e6, 1)
        else:
            cur.execute("select sqlite_version()")
            info["server"] = "SQLite " + cur.fetchone()[0]
            name = connection.settings_dict["NAME"]
            info["size_mb"] = round(
                sum(os.path.getsize(p) for p in (name, name + "-wal") if os.path.exists(p)) / 1e6, 1
            )
    return info


# ---------------------------------------------------------------------------------------------------------
# users and routing


def seed_cast_and_handlers(years: list[int]):
    """The directory, the calendar, one user per centre role (tests.factories.build_cast) and, for every
    handling unit, a handler ('bh-<code>', role handler) and a unit admin ('ba-<code>', unit_admin+handler)."""
    from tests.factories import build_cast
    from yihaotong.accounts import roles as R
    from yihaotong.accounts.actions import do_create_user
    from yihaotong.directory.models import Unit, UnitKind
    from yihaotong.worktime.actions import do_seed_calendar_from_package

    do_seed_calendar_from_package(years=sorted(set(years)))
    cast = build_cast()
    handlers, admins = {}, {}
    for unit in Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET]).order_by("sort", "id"):
        handlers[unit.pk] = do_create_user(
            username=f"bh-{unit.code}", password=None, roles=[R.HANDLER], unit=unit, display_name=f"{unit.name}承办人"
        )
        admins[unit.pk] = do_create_user(
            username=f"ba-{unit.code}",
            password=None,
            roles=[R.UNIT_ADMIN, R.HANDLER],
            unit=unit,
            display_name=f"{unit.name}联络员",
        )
    return cast, handlers, admins


class Router:
    """Catalogue routing: the entry of the category or its nearest ancestor; by_territory → the street."""

    def __init__(self):
        from yihaotong.directory.actions import current_catalogue
        from yihaotong.directory.models import CatalogueEntry, Category, Unit, UnitKind

        version = current_catalogue()
        self.entries = {
            e.category_id: e
            for e in CatalogueEntry.objects.filter(version=version)
            .select_related("lead_unit")
            .prefetch_related("support_units")
        }
        self.cats = {c.pk: c for c in Category.objects.all()}
        self.by_code = {c.code: c for c in self.cats.values()}
        self.streets = {u.code: u for u in Unit.objects.filter(kind=UnitKind.STREET)}
        self.departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT))
        self._memo: dict = {}

    def route(self, category_code: str, street):
        key = (category_code, street.pk)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        node = self.by_code[category_code]
        result = (street, [])
        while node is not None:
            entry = self.entries.get(node.pk)
            if entry is not None:
                lead = street if (entry.by_territory or not entry.lead_unit_id) else entry.lead_unit
                supports = [u for u in entry.support_units.all() if u.pk != lead.pk]
                result = (lead, supports)
                break
            node = self.cats.get(node.parent_id)
        self._memo[key] = result
        return result


# ---------------------------------------------------------------------------------------------------------
# mode 1: replay


class Timings:
    """Per-kind call durations (float64 arrays: 8 bytes a call, ~3 MB for a year) and error counts."""

    def __init__(self):
        self.ms: dict[str, array] = defaultdict(lambda: array("d"))
        self.errors: Counter = Counter()
        self.error_samples: dict[str, str] = {}
        self.queries: dict[str, list[int]] = defaultdict(list)

    def summary(self) -> dict:
        out = {}
        for kind in sorted(self.ms):
            values = sorted(self.ms[kind])
            n = len(values)
            if not n:
                continue

            def q(p, values=values, n=n):
                return round(values[min(n - 1, int(p * n))], 3)

            row = {
                "count": n,
                "p50_ms": q(0.50),
                "p95_ms": q(0.95),
                "p99_ms": q(0.99),
                "max_ms": round(values[-1], 3),
                "mean_ms": round(sum(values) / n, 3),
                "total_s": round(sum(values) / 1000, 2),
            }
            if self.errors[kind]:
                row["errors"] = self.errors[kind]
            if self.queries.get(kind):
                row["queries_per_call"] = round(sum(self.queries[kind]) / len(self.queries[kind]), 1)
            out[kind] = row
        for kind in self.errors:
            if kind not in out:
                out[kind] = {"count": 0, "errors": self.errors[kind]}
        return out


class SqlProfile:
    """Time every SQL statement (an execute_wrapper), grouped by its text with placeholders."""

    def __init__(self):
        self.total: Counter = Counter()
        self.count: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split())
            if len(key) > 300:
                key = key[:140] + " … " + key[-150:]
            self.total[key] += time.perf_counter() - t
            self.count[key] += 1

    def top(self, n: int = 15) -> list[dict]:
        return [
            {"sql": k, "calls": self.count[k], "total_s": round(v, 2), "mean_ms": round(v / self.count[k] * 1000, 3)}
            for k, v in self.total.most_common(n)
        ]


class CpuMeter:
    """CPU seconds of this process and of the PostgreSQL backend serving it (read from /proc), and the
    load average: on a shared 2-core machine, wall time alone does not say who was waiting for whom."""

    def __init__(self):
        from django.db import connection

        self.backend_pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("select pg_backend_pid()")
                self.backend_pid = cur.fetchone()[0]
        self.tick = os.sysconf("SC_CLK_TCK")
        self.load: list[float] = []
        self.start = self.read()

    def _backend(self) -> float | None:
        if self.backend_pid is None:
            return None
        try:
            fields = Path(f"/proc/{self.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.tick
        except (OSError, IndexError, ValueError):
            return None

    def read(self) -> tuple:
        return time.process_time(), self._backend()

    def sample_load(self) -> None:
        self.load.append(os.getloadavg()[0])

    def report(self) -> dict:
        py, db = self.read()
        self.sample_load()
        out = {"python_cpu_s": round(py - self.start[0], 2)}
        if db is not None and self.start[1] is not None:
            out["db_backend_cpu_s"] = round(db - self.start[1], 2)
        out["loadavg_1m"] = {
            "min": round(min(self.load), 2),
            "mean": round(sum(self.load) / len(self.load), 2),
            "max": round(max(self.load), 2),
        }
        return out


class _FixedCpu:
    """The summed CPU figures of the workers of a parallel replay, reported like ``CpuMeter``."""

    def __init__(self, cpu: dict, loads: list[float]):
        self.cpu, self.load = cpu, loads or [os.getloadavg()[0]]

    def sample_load(self) -> None:
        self.load.append(os.getloadavg()[0])

    def report(self) -> dict:
        out = {k: round(v, 2) for k, v in self.cpu.items()}
        out["loadavg_1m"] = {
            "min": round(min(self.load), 2),
            "mean": round(sum(self.load) / len(self.load), 2),
            "max": round(max(self.load), 2),
        }
        return out


class Hours:
    """Office hours for simulated people: units work on working days, the centre every day."""

    def __init__(self, cal, rng: random.Random):
        from yihaotong.worktime.calendar import TZ

        self.cal = cal
        self.rng = rng
        self.tz = TZ

    def unit(self, t: datetime) -> datetime:
        """Move ``t`` into a unit's working hours (08:30–17:30 of a working day)."""
        local = t.astimezone(self.tz)
        d = local.date()
        start = local.replace(hour=8, minute=30, second=0, microsecond=0)
        end = local.replace(hour=17, minute=30, second=0, microsecond=0)
        if self.cal.is_working_day(d) and start <= local < end:
            return t
        if not (self.cal.is_working_day(d) and local < start):
            d = self.cal.next_working_day(d)
        base = datetime(d.year, d.month, d.day, 8, 30, tzinfo=self.tz)
        return base + timedelta(minutes=self.rng.uniform(0, 120))

    def centre(self, t: datetime) -> datetime:
        """Move ``t`` into the centre's staffed hours (08:00–22:00 every day; the phones run 7×24)."""
        local = t.astimezone(self.tz)
        if 8 <= local.hour < 22:
            return t
        d = local.date() if local.hour < 8 else local.date() + timedelta(days=1)
        return datetime(d.year, d.month, d.day, 8, 0, tzinfo=self.tz) + timedelta(minutes=self.rng.uniform(0, 60))


# Shares of the minorities (per order unless stated).
P = {
    "anonymous": 0.06,  # no phone, no reply wanted: closed without callback
    "support": 0.25,  # of orders whose catalogue entry names supporting units (≈ 10 % of all orders)
    "return": 0.03,  # the lead unit asks to return; the centre approves and redispatches
    "extension": 0.05,  # of working-day orders: the lead unit asks for 2–5 more working days
    "extension_approved": 0.85,
    "remind": 0.10,  # a supervisor's reminder (催办) while in progress
    "contact_log": 0.30,  # the handler logs a call to the requester before replying
    "send_back": 0.05,  # the reviewer sends the reply back once
    "no_answer": 0.06,  # the first callback attempt is not answered
    "dissatisfied": 0.08,  # → redo round, second reply, second review, second callback
}
HOUR_WEIGHTS = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 4, 4, 3.5, 3, 2, 1.5]
CHANNELS = (["transfer", "web", "letter", "call"], [84, 5, 1.5, 9.5])


def arrival_times(rng: random.Random, n: int, start: datetime, days: int, tz) -> list[datetime]:
    """``n`` sorted instants over ``days`` days: a daily profile (busy 9–17), quieter weekends."""
    buckets, weights = [], []
    for d in range(days):
        day = (start + timedelta(days=d)).date()
        f = 0.7 if day.weekday() >= 5 else 1.0
        for h, w in enumerate(HOUR_WEIGHTS):
            buckets.append((day, h))
            weights.append(w * f)
    chosen = rng.choices(range(len(buckets)), weights=weights, k=n)
    out = []
    for i in chosen:
        day, h = buckets[i]
        out.append(datetime(day.year, day.month, day.day, h, tzinfo=tz) + timedelta(seconds=rng.uniform(0, 3600)))
    out.sort()
    return out


class Replay:
    def __init__(self, args, resume: dict | None = None):
        from django.db import connection

        from yihaotong.directory.data import demo_text as T
        from yihaotong.worktime.calendar import TZ
        from yihaotong.worktime.loader import get_calendar

        self.args = args
        self.resume = resume
        self.rng = random.Random(args.seed)
        self.T = T
        self.tz = TZ
        self.connection = connection
        self.sql_profile: SqlProfile | None = None
        y0 = date.fromisoformat(args.year_start)
        t0 = time.perf_counter()
        if resume is None:
            self.cast, self.handlers, _admins = seed_cast_and_handlers([y0.year, y0.year + 1])
        else:
            self.cast, self.handlers = self._users_from_db()
        self.router = Router()
        self.hours = Hours(get_calendar(), self.rng)
        self.setup_s = resume["setup_s"] if resume else time.perf_counter() - t0
        self.timings = Timings()
        self.query_sample = args.query_sample
        self.start = datetime(y0.year, y0.month, y0.day, tzinfo=TZ)
        self.days = (date(y0.year + 1, y0.month, y0.day) - y0).days if (y0.month, y0.day) != (2, 29) else 365
        self.sweeps = 0
        self.barrier_wait = 0.0  # wall seconds spent waiting for the other workers at the sweeps
        self.warnings = 0
        self.actions = 0
        self.flows_done = 0
        self.flows_dropped = 0
        self.flows_resumed = 0
        self.interruptions: list[dict] = []
        self.cpu_prev = {"python_cpu_s": 0.0, "db_backend_cpu_s": 0.0}
        self.autovacuum_off: bool | None = None
        self.vacuum = {"checks": 0, "runs": 0, "s": 0.0}
        self.vacuum_last = 0.0

    @staticmethod
    def _users_from_db():
        from types import SimpleNamespace

        from yihaotong.accounts.models import User

        by_name = {
            u.username: u
            for u in User.objects.filter(username__in=["operator", "dispatcher", "reviewer", "callback", "supervisor"])
        }
        handlers = {u.unit_id: u for u in User.objects.filter(username__startswith="bh-")}
        return SimpleNamespace(**by_name), handlers

    # -- interruption and resume ------------------------------------------------------------------------

    def state(self, i: int, when: datetime, next_sweep: datetime, elapsed: float) -> dict:
        """Everything needed to go on after this point if the process is killed (the database has the rest)."""
        cpu = self.cpu.report()
        return {
            "version": 1,
            "args": {k: getattr(self.args, k) for k in RESUME_ARGS},
            "env": {"DATABASE_URL": os.environ.get("DATABASE_URL", ""), "var_dir": os.environ["YIHAOTONG_VAR_DIR"]},
            "rng": self.rng.getstate(),
            "i": i,
            "when": when,
            "next_sweep": next_sweep,
            "elapsed": elapsed,
            "setup_s": self.setup_s,
            "counters": {k: getattr(self, k) for k in ("sweeps", "warnings", "actions", "flows_done", "flows_dropped")},
            "flows_resumed": self.flows_resumed,
            "interruptions": self.interruptions,
            "timings": {
                "ms": {k: v.tobytes() for k, v in self.timings.ms.items()},
                "errors": dict(self.timings.errors),
                "error_samples": self.timings.error_samples,
                "queries": dict(self.timings.queries),
            },
            "cpu": {
                "python_cpu_s": cpu["python_cpu_s"] + self.cpu_prev["python_cpu_s"],
                "db_backend_cpu_s": cpu.get("db_backend_cpu_s", 0.0) + self.cpu_prev["db_backend_cpu_s"],
                "load": self.cpu.load,
            },
            "sql_profile": (dict(self.sql_profile.total), dict(self.sql_profile.count)) if self.sql_profile else None,
        }

    def checkpoint(self, i: int, when: datetime, next_sweep: datetime, elapsed: float) -> None:
        import pickle

        path = Path(self.args.json_out + ".state")
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(self.state(i, when, next_sweep, elapsed)))
        tmp.replace(path)

    def restore(self) -> tuple[datetime, datetime, float]:
        """Restore counters and timings; return (resume instant, next sweep, wall seconds before)."""
        from django.db.models import Max

        from yihaotong.intake.models import Contact
        from yihaotong.workorders.models import Event

        st = self.resume
        self.rng.setstate(st["rng"])
        for k, v in st["counters"].items():
            setattr(self, k, v)
        for k, raw in st["timings"]["ms"].items():
            arr = array("d")
            arr.frombytes(raw)
            self.timings.ms[k] = arr
        self.timings.errors.update(st["timings"]["errors"])
        self.timings.error_samples.update(st["timings"]["error_samples"])
        for k, v in st["timings"]["queries"].items():
            self.timings.queries[k] = list(v)
        self.cpu_prev = {"python_cpu_s": st["cpu"]["python_cpu_s"], "db_backend_cpu_s": st["cpu"]["db_backend_cpu_s"]}
        self.cpu.load = list(st["cpu"]["load"]) + self.cpu.load
        if self.sql_profile is not None and st["sql_profile"]:
            self.sql_profile.total.update(st["sql_profile"][0])
            self.sql_profile.count.update(st["sql_profile"][1])
        self.flows_resumed = st["flows_resumed"]
        # Actions done after the last checkpoint are in the database but were not timed: go on after them.
        last_event = Event.objects.aggregate(m=Max("at"))["m"]
        last_contact = Contact.objects.aggregate(m=Max("received_at"))["m"]
        t_resume = max(x for x in (st["when"], last_event, last_contact) if x is not None)
        untimed = Event.objects.filter(at__gt=st["when"]).count()
        self.interruptions = list(st["interruptions"]) + [
            {"checkpoint_sim": st["when"].isoformat(), "resumed_sim": t_resume.isoformat(), "untimed_events": untimed}
        ]
        return t_resume, st["next_sweep"], st["elapsed"]

    def resume_flow(self, order, t: datetime):
        """Drive an order that was in flight when the run was interrupted along the main path to closed."""
        from yihaotong.workorders import actions as A

        rng, hours, cast = self.rng, self.hours, self.cast
        oid = order.pk
        state = order.state
        urgent = order.urgency.code != "normal"
        disp, rev, cb = cast.dispatcher, cast.reviewer, cast.callback
        lead_id = order.lead_unit_id
        if state == "pending_dispatch":
            street = order.street or self.router.streets[sorted(self.router.streets)[0]]
            lead, _s = self.router.route(order.category.code, street)
            lead_id = lead.pk
            t = hours.centre(t + timedelta(minutes=rng.uniform(5, 60)))
            due = t + timedelta(hours=24) if order.urgency.code == "critical" else None
            yield (
                t,
                "dispatch_order",
                lambda: A.do_dispatch_order(disp, oid, lead_unit_id=lead_id, handle_due=due, now=t),
            )
            state = "dispatched"
        handler = self.handlers[lead_id]
        if state == "dispatched":
            if urgent:
                t = t + timedelta(minutes=rng.uniform(3, 25))
            else:
                t = hours.unit(t + timedelta(minutes=rng.uniform(20, 600)))
            yield t, "sign_assignment", lambda: A.do_sign_assignment(handler, oid, now=t)
            state = "in_progress"
        if state == "in_progress":
            t = (
                t + timedelta(hours=rng.uniform(2, 20))
                if urgent
                else hours.unit(t + timedelta(hours=rng.uniform(4, 72)))
            )
            yield (
                t,
                "reply_order",
                lambda: A.do_reply_order(
                    handler,
                    oid,
                    internal_notes="已现场核查并处理。",
                    public_text="已处理完毕。",
                    requester_contacted=True,
                    solved=True,
                    now=t,
                ),
            )
            state = "replied"
        if state == "replied":
            t = hours.centre(t + timedelta(minutes=rng.uniform(30, 600)))
            yield t, "review_reply", lambda: A.do_review_reply(rev, oid, approve=True, now=t)
            state = "pending_callback"
        if state == "pending_callback":
            t = hours.centre(t + timedelta(minutes=rng.uniform(60, 60 * 20)))
            if not order.requester_phone:
                yield t, "close_order", lambda: A.do_close_order(cb, oid, reason="匿名诉求，无需回访", now=t)
            else:
                yield (
                    t,
                    "record_callback",
                    lambda: A.do_record_callback(
                        cb, oid, outcome="reached", contacted=True, solved=True, satisfaction="satisfied", now=t
                    ),
                )

    # -- timing -----------------------------------------------------------------------------------------

    def call(self, kind: str, fn):
        """Run one action, timed; return its result (DomainError propagates after being counted)."""
        from yihaotong.core.errors import DomainError

        sample = self.query_sample and len(self.timings.queries[kind]) < self.query_sample
        if sample:
            from django.test.utils import CaptureQueriesContext

            ctx = CaptureQueriesContext(self.connection)
            ctx.__enter__()
        t = time.perf_counter()
        try:
            result = fn()
        except DomainError as exc:
            self.timings.errors[kind] += 1
            self.timings.error_samples.setdefault(kind, f"{type(exc).__name__}: {exc.message} {exc.errors}")
            raise
        finally:
            elapsed = (time.perf_counter() - t) * 1000
            if sample:
                ctx.__exit__(None, None, None)
                self.timings.queries[kind].append(len(ctx.captured_queries))
                if self.args.show_queries and len(self.timings.queries[kind]) == 1:
                    log(f"--- queries of one {kind}:")
                    for q in ctx.captured_queries:
                        log("   ", q["sql"][:220])
        self.timings.ms[kind].append(elapsed)
        if kind != "sweep_warnings":
            self.actions += 1
        return result

    # -- flows ------------------------------------------------------------------------------------------

    def contact_flow(self, t: datetime):
        from yihaotong.intake import actions as IA

        rng, T = self.rng, self.T
        tpl = rng.choice(T.ORDER_TEMPLATES)
        data = IA.ContactInput(
            channel="call",
            summary=tpl["subject"],
            phone=rng.choice(T.PHONE_PREFIXES) + f"{rng.randint(0, 9999):04d}",
            name=rng.choice(T.SURNAMES) + rng.choice(T.GIVEN_NAMES),
            request_type="consult",
        )
        op = self.cast.operator
        yield (
            t,
            "answer_contact",
            lambda: IA.do_answer_contact(
                op, data, answer_text="已按知识库条目答复来电人。", article_ref=f"KB-{rng.randint(1, 1300)}", now=t
            ),
        )

    def order_flow(self, t: datetime):  # noqa: C901 - one order's whole life, step by step
        from yihaotong.workorders import actions as A

        rng, T, hours, cast = self.rng, self.T, self.hours, self.cast
        tpl = rng.choice(T.ORDER_TEMPLATES)
        road, street_code = rng.choice(T.ROADS)
        place = rng.choice(T.PLACE_PATTERNS.get(tpl["address_hint"], ["{road}"])).format(
            road=road, no=rng.randint(1, 199)
        )
        anonymous = rng.random() < P["anonymous"]
        channel = rng.choices(*CHANNELS)[0]
        data = A.OrderInput(
            channel=channel,
            request_type=tpl["request_type"],
            urgency=tpl["urgency"],
            category=tpl["category"],
            subject=tpl["subject"],
            text=tpl["text"].format(place=place),
            address=place,
            street=street_code,
            requester_name="" if anonymous else rng.choice(T.SURNAMES) + rng.choice(T.GIVEN_NAMES),
            requester_phone="" if anonymous else rng.choice(T.PHONE_PREFIXES) + f"{rng.randint(0, 9999):04d}",
            is_anonymous=anonymous,
            reply_wanted=not anonymous,
            consent_publish=rng.random() < 0.3,
            source={"transfer": "市长公开电话", "web": "网络理政平台", "call": "96963", "letter": "书记信箱"}[channel],
        )
        urgent = tpl["urgency"] != "normal"
        op, disp, rev, cb, sup = cast.operator, cast.dispatcher, cast.reviewer, cast.callback, cast.supervisor

        order, _code = yield t, "create_order", lambda: A.do_create_order(op, data, now=t)
        oid = order.pk
        street = self.router.streets[street_code]
        lead, supports = self.router.route(tpl["category"], street)
        supports = supports[:1] if (supports and rng.random() < P["support"]) else []

        # 派单
        t = t + timedelta(minutes=rng.uniform(5, 30) if urgent else rng.uniform(5, 120))
        t = t if urgent else hours.centre(t)
        due = t + timedelta(hours=24) if tpl["urgency"] == "critical" else None
        order = yield (
            t,
            "dispatch_order",
            lambda: A.do_dispatch_order(
                disp, oid, lead_unit_id=lead.pk, support_unit_ids=[s.pk for s in supports], handle_due=due, now=t
            ),
        )
        handle_due = order.handle_due
        handler = self.handlers[lead.pk]

        # 退单 → 改派
        if rng.random() < P["return"]:
            t = hours.unit(t + timedelta(minutes=rng.uniform(30, 600)))
            app = yield (
                t,
                "request_return",
                lambda: A.do_request_return(handler, oid, reason="该事项不属于本单位职责，建议改派。", now=t),
            )
            t = hours.centre(t + timedelta(minutes=rng.uniform(10, 120)))
            yield t, "decide_return", lambda: A.do_decide_return(disp, app.pk, approve=True, note="同意改派", now=t)
            new_lead = street if lead.pk != street.pk else rng.choice(self.router.departments)
            lead, supports = new_lead, []
            handler = self.handlers[lead.pk]
            t = hours.centre(t + timedelta(minutes=rng.uniform(5, 60)))
            due = t + timedelta(hours=24) if tpl["urgency"] == "critical" else None
            order = yield (
                t,
                "redispatch_order",
                lambda: A.do_dispatch_order(disp, oid, lead_unit_id=lead.pk, handle_due=due, now=t),
            )
            handle_due = order.handle_due

        # 签收
        if urgent:
            t = t + timedelta(minutes=rng.uniform(3, 25))
        else:
            t = hours.unit(t + timedelta(minutes=rng.uniform(20, 60 * 20 if rng.random() < 0.9 else 60 * 40)))
        yield t, "sign_assignment", lambda: A.do_sign_assignment(handler, oid, now=t)
        signed = t

        # 协办: the supporting unit signs and replies to the lead before the lead replies
        for s in supports:
            sh = self.handlers[s.pk]
            t = hours.unit(t + timedelta(minutes=rng.uniform(10, 240)))
            yield t, "sign_assignment_support", lambda sh=sh, t=t: A.do_sign_assignment(sh, oid, now=t)
            t = hours.unit(t + timedelta(minutes=rng.uniform(60, 60 * 24)))
            yield (
                t,
                "reply_order_support",
                lambda sh=sh, t=t: A.do_reply_order(sh, oid, internal_notes="协办意见：已配合现场核查。", now=t),
            )

        # the reply time, drawn now so that reminders and extensions fall before it
        if urgent:
            reply_at = max(t, signed + timedelta(hours=rng.uniform(2, 20)))
        else:
            span_days = rng.choices([1, 2, 3, 5, 8, 12, 20], weights=[14, 22, 22, 18, 12, 8, 4])[0]
            reply_at = hours.unit(max(t, signed) + timedelta(hours=rng.uniform(4, 24 * span_days)))

        # 延期
        if not urgent and order.handle_unit == "wd" and rng.random() < P["extension"]:
            t = hours.unit(t + timedelta(hours=rng.uniform(1, 24)))
            if handle_due is not None and t < handle_due:
                wd = rng.randint(2, 5)
                app = yield (
                    t,
                    "request_extension",
                    lambda: A.do_request_extension(
                        handler, oid, working_days=wd, reason="需协调多个部门现场会商", now=t
                    ),
                )
                t = hours.centre(t + timedelta(minutes=rng.uniform(30, 300)))
                ok = rng.random() < P["extension_approved"]
                yield t, "decide_extension", lambda: A.do_decide_extension(rev, app.pk, approve=ok, note="", now=t)
                if ok:
                    reply_at = hours.unit(reply_at + timedelta(days=wd))
        # 催办
        if rng.random() < P["remind"]:
            t = hours.centre(max(t, signed) + (max(reply_at, t) - max(t, signed)) * rng.uniform(0.2, 0.8))
            yield t, "supervise_order", lambda: A.do_supervise_order(sup, oid, level="remind", note="请加快办理", now=t)
        t = max(t + timedelta(minutes=5), reply_at)

        # 联系群众, 答复, 审核 (sometimes sent back once)
        reply_kw = dict(
            internal_notes="已现场核查并处理。", public_text=tpl["reply"], requester_contacted=True, solved=True
        )
        if not anonymous and rng.random() < P["contact_log"]:
            yield t, "log_contact", lambda: A.do_log_contact(handler, oid, note="电话联系诉求人，说明办理情况。", now=t)
            t = t + timedelta(minutes=rng.uniform(5, 60))
        yield t, "reply_order", lambda: A.do_reply_order(handler, oid, now=t, **reply_kw)
        t = hours.centre(t + timedelta(minutes=rng.uniform(30, 600)))
        if rng.random() < P["send_back"]:
            yield (
                t,
                "review_reply_sendback",
                lambda: A.do_review_reply(rev, oid, approve=False, comment="答复未说明处理依据，请补充。", now=t),
            )
            t = hours.unit(t + timedelta(minutes=rng.uniform(60, 60 * 24)))
            yield t, "reply_order", lambda: A.do_reply_order(handler, oid, now=t, **reply_kw)
            t = hours.centre(t + timedelta(minutes=rng.uniform(30, 600)))
        yield t, "review_reply", lambda: A.do_review_reply(rev, oid, approve=True, now=t)

        # 回访
        t = hours.centre(t + timedelta(minutes=rng.uniform(60, 60 * 20)))
        if anonymous:
            yield t, "close_order", lambda: A.do_close_order(cb, oid, reason="匿名诉求，无需回访", now=t)
            return
        if rng.random() < P["no_answer"]:
            yield t, "record_callback_no_answer", lambda: A.do_record_callback(cb, oid, outcome="no_answer", now=t)
            t = hours.centre(t + timedelta(minutes=rng.uniform(60, 600)))
        if rng.random() < P["dissatisfied"]:
            yield (
                t,
                "record_callback_dissatisfied",
                lambda: A.do_record_callback(
                    cb,
                    oid,
                    outcome="reached",
                    contacted=True,
                    solved=False,
                    satisfaction="dissatisfied",
                    reason="问题仍未解决",
                    now=t,
                ),
            )
            # 重办: the lead unit handles again, replies, the reply is reviewed, the requester called back
            t = hours.unit(t + timedelta(hours=rng.uniform(8, 72)))
            yield (
                t,
                "reply_order",
                lambda: A.do_reply_order(handler, oid, now=t, **{**reply_kw, "internal_notes": "重办：再次现场处理。"}),
            )
            t = hours.centre(t + timedelta(minutes=rng.uniform(30, 600)))
            yield t, "review_reply", lambda: A.do_review_reply(rev, oid, approve=True, now=t)
            t = hours.centre(t + timedelta(minutes=rng.uniform(60, 60 * 20)))
        sat = rng.choices(["satisfied", "basically"], weights=[87, 13])[0]
        yield (
            t,
            "record_callback",
            lambda: A.do_record_callback(
                cb, oid, outcome="reached", contacted=True, solved=True, satisfaction=sat, now=t
            ),
        )

    # -- the event loop ---------------------------------------------------------------------------------

    def run(self) -> dict:
        args, rng = self.args, self.rng
        n_orders = args.orders
        n_contacts = max(0, args.contacts - args.orders)
        times = arrival_times(rng, n_orders + n_contacts, self.start, self.days, self.tz)
        kinds = bytearray([1] * n_orders + [0] * n_contacts)
        rng.shuffle(kinds)  # which arrival is a direct answer (0) or an order (1)
        if args.workers > 1:
            return self.run_parallel(times, kinds, n_contacts, n_orders)
        self.cpu = CpuMeter()
        self.cpu.sample_load()
        t_start, end = self.loop(times, kinds, sweep=self.sweep)
        total_s = time.perf_counter() - t_start
        return self.report(total_s, n_contacts, n_orders, end)

    def sweep(self, s: datetime, *, finished: bool = False) -> bool:
        """Run the warning sweep of simulated time ``s`` (one process)."""
        from yihaotong.workorders import actions as A

        self.warnings += self.call("sweep_warnings", lambda: A.do_sweep_warnings(now=s))
        self.sweeps += 1
        self.autovacuum()
        return True

    def autovacuum(self) -> None:
        """Stand in for PostgreSQL's autovacuum when the server has it switched off (as on these machines):
        VACUUM ANALYZE a table once its dead rows pass autovacuum's default threshold (50 + 20 % of its live
        rows), checked at a sweep at most once a minute (autovacuum's default naptime). Production runs
        autovacuum; without it the hot tables bloat and their
        statistics go stale through the year. The time is in the total and in ``vacuum``."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        if self.autovacuum_off is None:
            with connection.cursor() as cur:
                cur.execute("SHOW autovacuum")
                self.autovacuum_off = cur.fetchone()[0] != "on"
        if not self.autovacuum_off:
            return
        t = time.perf_counter()
        if t - self.vacuum_last < 60.0:  # autovacuum_naptime: each table is looked at once a minute
            return
        self.vacuum_last = t
        with connection.cursor() as cur:
            cur.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE n_dead_tup > 50 + 0.2 * n_live_tup ORDER BY relname"
            )
            tables = [r[0] for r in cur.fetchall()]
            for table in tables:
                cur.execute(f'VACUUM (ANALYZE) "{table}"')
        self.vacuum["runs"] += len(tables)
        self.vacuum["checks"] += 1
        self.vacuum["s"] += time.perf_counter() - t

    def loop(self, times, kinds, *, sweep, label: str = "") -> tuple[float, datetime]:
        """Drive the arrivals ``times``/``kinds`` and every step of their flows in time order.

        ``sweep(s)`` runs at every sweep boundary; with several workers it is where they meet. Returns the
        start (perf_counter) and the simulated time of the last sweep.
        """
        from yihaotong.core.errors import DomainError
        from yihaotong.worktime.calendar import CalendarMissing

        args = self.args
        heap: list = []
        seq = 0
        sweep_step = timedelta(minutes=args.sweep_minutes)
        next_sweep = self.start + sweep_step
        elapsed_before = 0.0
        i = 0
        total = len(times)
        resume_at = None
        if self.resume is not None:
            resume_at, next_sweep, elapsed_before = self.restore()
            while i < total and times[i] <= resume_at:
                i += 1
        t_start = time.perf_counter() - elapsed_before
        last_report = last_checkpoint = time.perf_counter()

        def advance(gen, value):
            nonlocal seq
            try:
                when, kind, thunk = gen.send(value)
            except StopIteration:
                self.flows_done += 1
                return
            seq += 1
            heapq.heappush(heap, (when, seq, gen, kind, thunk))

        if resume_at is not None:
            from yihaotong.workorders.models import WorkOrder

            open_states = ["pending_dispatch", "dispatched", "in_progress", "replied", "pending_callback"]
            for order in WorkOrder.objects.filter(state__in=open_states).select_related(
                "urgency", "category", "street"
            ):
                self.flows_resumed += 1
                advance(self.resume_flow(order, resume_at), None)
            log(f"resumed at {resume_at}: arrival {i}/{total}, {len(heap)} orders in flight, {self.actions} actions")

        while i < total or heap:
            if heap and (i >= total or heap[0][0] <= times[i]):
                when, _s, gen, kind, thunk = heapq.heappop(heap)
            else:
                when = times[i]
                gen = self.order_flow(when) if kinds[i] else self.contact_flow(when)
                i += 1
                advance(gen, None)
                continue
            while next_sweep <= when:
                sweep(next_sweep)
                next_sweep += sweep_step
            try:
                result = self.call(kind, thunk)
            except (DomainError, CalendarMissing):
                self.flows_dropped += 1
                gen.close()
                continue
            advance(gen, result)
            now = time.perf_counter()
            if now - last_report > args.progress_seconds:
                last_report = now
                self.cpu.sample_load()
                if args.json_out and args.workers == 1 and now - last_checkpoint > args.checkpoint_seconds:
                    # A partial report and the state to resume from (--resume), in case the run is killed.
                    last_checkpoint = now
                    self.checkpoint(i, when, next_sweep, now - t_start)
                    partial = self.report(now - t_start, max(0, args.contacts - args.orders), args.orders, when)
                    partial["partial"] = {"arrivals_done": i, "arrivals": total, "in_flight": len(heap)}
                    Path(args.json_out + ".partial").write_text(json.dumps(partial, ensure_ascii=False, indent=1))
                el = now - t_start
                log(
                    f"[{el:7.0f}s]{label} sim {when.astimezone(self.tz):%Y-%m-%d %H:%M} arrivals {i}/{total} "
                    f"actions {self.actions} ({self.actions / el:.0f}/s) in flight {len(heap)} "
                    f"warnings {self.warnings}" + (f" waited {self.barrier_wait:.1f}s" if args.workers > 1 else "")
                )
        # one last sweep after the last action (with workers: sweeps until every worker is done)
        while not sweep(next_sweep, finished=True):
            next_sweep += sweep_step
        return t_start, next_sweep

    def run_parallel(self, times, kinds, n_contacts: int, n_orders: int) -> dict:
        """Fork ``--workers`` processes; arrival i goes to worker i mod N. At every sweep instant each worker
        sweeps its shard of the due orders (order id modulo N).

        By default a worker waits at an instant only for a worker more than ``--slack-minutes`` behind in
        simulated time: the workers stay within a few hours of each other, and a sweep runs beside the
        others' actions of those hours, as the production sweep runs beside the desks. ``--lockstep``: all
        workers wait for each other before and after every sweep, so simulated time is exactly in step and
        a sweep sees what a single process would see, at the price of the faster workers idling every hour.
        """
        import multiprocessing as mp

        from django.db import connections

        n = self.args.workers
        if self.resume is not None or self.args.profile or self.args.sql_profile:
            raise SystemExit("--workers > 1 does not combine with --resume, --profile or --sql-profile")
        connections.close_all()
        ctx = mp.get_context("fork")
        barrier = ctx.Barrier(n)
        flags = ctx.Array("b", n)
        # loose coupling: each worker's last sweep boundary (POSIX seconds) and whether it is done
        positions = ctx.Array("d", n)
        results = ctx.Queue()
        t_start = time.perf_counter()
        procs = [
            ctx.Process(target=self._worker, args=(w, n, times, kinds, barrier, flags, positions, results))
            for w in range(n)
        ]
        for p in procs:
            p.start()
        parts = [results.get() for _ in procs]
        for p in procs:
            p.join()
        total_s = time.perf_counter() - t_start
        failed = [p for p in parts if "error" in p]
        if failed:
            raise SystemExit(f"a worker failed: {failed[0]['error']}")
        self.timings = Timings()
        cpu = {"python_cpu_s": 0.0, "db_backend_cpu_s": 0.0}
        loads: list[float] = []
        end = self.start
        self.barrier_wait_s = [round(p["barrier_wait_s"], 1) for p in sorted(parts, key=lambda p: p["worker"])]
        for part in sorted(parts, key=lambda p: p["worker"]):
            for kind, values in part["ms"].items():
                self.timings.ms[kind].extend(values)
            self.timings.errors.update(part["errors"])
            for kind, sample in part["error_samples"].items():
                self.timings.error_samples.setdefault(kind, sample)
            for kind, counts in part["queries"].items():
                self.timings.queries[kind].extend(counts)
            for key in ("actions", "sweeps", "warnings", "flows_done", "flows_dropped"):
                setattr(self, key, getattr(self, key) + part[key])
            for key in self.vacuum:
                self.vacuum[key] += part["vacuum"][key]
            if part["autovacuum_off"] is not None:
                self.autovacuum_off = part["autovacuum_off"]
            for key in cpu:
                cpu[key] += part["cpu"].get(key, 0.0)
            loads.extend(part["loads"])
            end = max(end, part["end"])
        self.cpu_prev = {k: 0.0 for k in cpu}
        self.cpu = _FixedCpu(cpu, loads)
        return self.report(total_s, n_contacts, n_orders, end)

    def _worker(self, w: int, n: int, times, kinds, barrier, flags, positions, results) -> None:
        from yihaotong.workorders import actions as A

        try:
            self.rng.seed(self.args.seed * 1000 + w)  # Hours shares this generator
            self.cpu = CpuMeter()
            self.cpu.sample_load()
            mine = range(w, len(times), n)

            slack = timedelta(minutes=self.args.slack_minutes).total_seconds()

            def sweep_shard(s: datetime) -> None:
                # every worker sweeps its share of the due orders (order id modulo N)
                self.warnings += self.call("sweep_warnings", lambda: A.do_sweep_warnings(now=s, shard=(w, n)))
                self.sweeps += w == 0
                if w == 0:
                    self.autovacuum()

            def sweep_loose(s: datetime, *, finished: bool = False) -> bool:
                at = s.timestamp()
                positions[w] = at
                flags[w] = finished
                t = time.perf_counter()
                # wait only for a worker more than the slack behind (never for one that is done)
                while any(not flags[v] and positions[v] < at - slack for v in range(n) if v != w):
                    time.sleep(0.0002)
                self.barrier_wait += time.perf_counter() - t
                everyone_done = all(flags[:])
                sweep_shard(s)
                return everyone_done

            def sweep_lockstep(s: datetime, *, finished: bool = False) -> bool:
                flags[w] = finished
                t = time.perf_counter()
                barrier.wait()
                self.barrier_wait += time.perf_counter() - t
                everyone_done = all(flags[:])
                sweep_shard(s)
                # nobody goes on (or sets its flag for the next sweep) before every shard is swept
                t = time.perf_counter()
                barrier.wait()
                self.barrier_wait += time.perf_counter() - t
                return everyone_done

            _t0, end = self.loop(
                [times[j] for j in mine],
                bytearray(kinds[j] for j in mine),
                sweep=sweep_lockstep if self.args.lockstep else sweep_loose,
                label=f" w{w}",
            )
            cpu = self.cpu.report()
            results.put(
                {
                    "worker": w,
                    "ms": {k: v for k, v in self.timings.ms.items()},
                    "errors": self.timings.errors,
                    "error_samples": self.timings.error_samples,
                    "queries": dict(self.timings.queries),
                    "actions": self.actions,
                    "sweeps": self.sweeps,
                    "warnings": self.warnings,
                    "flows_done": self.flows_done,
                    "flows_dropped": self.flows_dropped,
                    "vacuum": self.vacuum,
                    "autovacuum_off": self.autovacuum_off,
                    "cpu": cpu,
                    "loads": self.cpu.load,
                    "end": end,
                    "barrier_wait_s": self.barrier_wait,
                }
            )
        except BaseException as exc:  # the parent must not wait forever
            barrier.abort()
            flags[w] = True  # nobody waits for a failed worker
            results.put({"worker": w, "error": f"{type(exc).__name__}: {exc}"})
            raise

    def cpu_total(self) -> dict:
        cpu = self.cpu.report()
        cpu["python_cpu_s"] = round(cpu["python_cpu_s"] + self.cpu_prev["python_cpu_s"], 1)
        if "db_backend_cpu_s" in cpu:
            cpu["db_backend_cpu_s"] = round(cpu["db_backend_cpu_s"] + self.cpu_prev["db_backend_cpu_s"], 1)
        return cpu

    def report(self, total_s: float, n_contacts: int, n_orders: int, end: datetime) -> dict:
        import django
        from django.db.models import Count

        from yihaotong.workorders.models import Assignment, Event, WorkOrder

        per_action = self.timings.summary()
        action_ms = sum(sum(v) for k, v in self.timings.ms.items() if k != "sweep_warnings")
        states = dict(WorkOrder.objects.values_list("state").annotate(n=Count("id")).order_by())
        out = {
            "mode": "replay",
            "database": self.args.database,
            "db": db_info(),
            "contacts": self.args.contacts,
            "direct_answers": n_contacts,
            "orders": n_orders,
            "actions": self.actions,
            "total_s": round(total_s, 1),
            "actions_per_s": round(self.actions / total_s, 1),
            "action_time_s": round(action_ms / 1000, 1),
            "sweep_time_s": round(sum(self.timings.ms["sweep_warnings"]) / 1000, 1),
            "vacuum": {
                "server_autovacuum": None if self.autovacuum_off is None else not self.autovacuum_off,
                "checks": self.vacuum["checks"],
                "vacuum_analyze_runs": self.vacuum["runs"],
                "s": round(self.vacuum["s"], 1),
            },
            "setup_s": round(self.setup_s, 1),
            "per_action": per_action,
            "cpu": self.cpu_total(),
            "flows_resumed_after_interruption": self.flows_resumed,
            "interruptions": self.interruptions,
            "sweeps": self.sweeps,
            "sweep_minutes": self.args.sweep_minutes,
            "warnings_raised": self.warnings,
            "flows_completed": self.flows_done,
            "flows_dropped_on_error": self.flows_dropped,
            "error_samples": self.timings.error_samples,
            "simulated": {"from": self.start.isoformat(), "to": end.astimezone(self.tz).isoformat()},
            "final_states": states,
            "rows": {
                "events": Event.objects.count(),
                "assignments": Assignment.objects.count(),
            },
            "seed": self.args.seed,
            "workers": self.args.workers,
            "lockstep": bool(self.args.lockstep) if self.args.workers > 1 else None,
            "slack_minutes": self.args.slack_minutes if self.args.workers > 1 and not self.args.lockstep else None,
            # wall seconds each worker spent waiting for the others at the sweeps' meetings
            "barrier_wait_s": getattr(self, "barrier_wait_s", None),
            "python": platform.python_version(),
            "django": django.get_version(),
            "cpus": os.cpu_count(),
        }
        from yihaotong.notifications.models import Outbox

        out["rows"]["outbox"] = Outbox.objects.count()
        return out


RESUME_ARGS = (
    "database",
    "contacts",
    "orders",
    "year_start",
    "seed",
    "json_out",
    "sweep_minutes",
    "query_sample",
    "sql_profile",
    "keep",
    "progress_seconds",
    "checkpoint_seconds",
)


def run_replay(args) -> dict:
    resume = None
    if args.resume:
        import pickle

        resume = pickle.loads(Path(args.resume).read_bytes())
        for k, v in resume["args"].items():
            setattr(args, k, v)
        url = resume["env"]["DATABASE_URL"] or None
        var_dir = configure_environment(args.database, url, var_dir=resume["env"]["var_dir"])
    else:
        url = None
        if args.database == "postgres":
            url = args.database_url or DEFAULT_PG_URL
            recreate_pg_database(url, allow_any_name=args.force_drop)
        var_dir = configure_environment(args.database, url)
    try:
        t0 = time.perf_counter()
        django_setup_and_migrate()
        migrate_s = time.perf_counter() - t0
        replay = Replay(args, resume=resume)
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile(time.process_time)  # CPU time: waits for the server or for a core excluded
            result = prof.runcall(replay.run)
            prof.dump_stats(args.profile)
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(45)
            log(buf.getvalue())
        elif args.sql_profile:
            from django.db import connection

            sp = replay.sql_profile = SqlProfile()
            with connection.execute_wrapper(sp):
                result = replay.run()
            result["sql_top"] = sp.top(20)
            result["sql_time_s"] = round(sum(sp.total.values()), 1)
            result["sql_statements"] = sum(sp.count.values())
        else:
            result = replay.run()
        result["migrate_s"] = round(migrate_s, 1)
        return result
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            log(f"kept {var_dir}")


# ---------------------------------------------------------------------------------------------------------
# mode 2: scale


SCALE_NOW = datetime(2025, 12, 31, 18, 0)  # local time; the bulk-loaded history ends here
SCALE_YEARS = 3
REQUEST_TYPE_WEIGHTS = {"complaint": 38, "help": 22, "consult": 18, "report": 8, "suggest": 9, "praise": 2, "other": 3}
URGENCY_WEIGHTS = {"normal": 92, "urgent": 7, "critical": 1}
LIMIT_DAYS = {"consult": 3, "help": 7, "suggest": 7, "complaint": 15, "report": 15, "praise": 7, "other": 7}


def _scale_users():
    from yihaotong.accounts.models import User

    users = {u.username: u for u in User.objects.filter(username__in=["operator", "dispatcher"])}
    handlers = {u.unit_id: u for u in User.objects.filter(username__startswith="bh-")}
    admins = {u.unit_id: u for u in User.objects.filter(username__startswith="ba-")}
    return users["operator"], users["dispatcher"], handlers, admins


def bulk_load(n: int, seed: int) -> dict:
    """COPY ``n`` orders (ids 1..n, in created order over SCALE_YEARS years) and ~1.2 assignments each.

    Each order gets a lifecycle drawn like the replay's (dispatch, sign, reply, review, callback delays) and
    is in whatever state that lifecycle reaches at SCALE_NOW, so open orders are the recent ones, with the
    deadlines, warning levels and assignment states that the actions would have left.
    """
    import psycopg
    from django.db import connection

    from yihaotong.directory.data import demo_text as T
    from yihaotong.directory.models import Category, RequestType, Urgency
    from yihaotong.workorders.models import Assignment, WorkOrder
    from yihaotong.worktime.calendar import TZ

    rng = random.Random(seed)
    router = Router()
    op_id = _scale_users()[0].pk
    disp_id = _scale_users()[1].pk
    handlers = _scale_users()[2]
    rtypes = {r.code: r.pk for r in RequestType.objects.all()}
    urgs = {u.code: u.pk for u in Urgency.objects.all()}
    leaf_cats = [c.code for c in Category.objects.filter(level=3)] or [c.code for c in Category.objects.all()]
    cat_ids = {c.code: c.pk for c in Category.objects.all()}
    # A skewed category mix: a few categories carry most orders (as in every hotline's statistics).
    cat_weights = [1 / (i + 1) ** 0.8 for i in range(len(leaf_cats))]
    rng.shuffle(cat_weights)
    rt_codes, rt_w = list(REQUEST_TYPE_WEIGHTS), list(REQUEST_TYPE_WEIGHTS.values())
    urg_codes, urg_w = list(URGENCY_WEIGHTS), list(URGENCY_WEIGHTS.values())
    templates = T.ORDER_TEMPLATES

    now = SCALE_NOW.replace(tzinfo=TZ)
    span = SCALE_YEARS * 365 * 86400.0
    t0 = now - timedelta(seconds=span)
    order_cols = [f.column for f in WorkOrder._meta.concrete_fields]
    asg_cols = [f.column for f in Assignment._meta.concrete_fields if f.column != "id"]
    defaults = {
        "source": "市长公开电话",
        "upstream_ref": "",
        "community_id": None,
        "is_anonymous": False,
        "identity_disclosure_agreed": False,
        "reply_wanted": True,
        "created_by_id": op_id,
        "accepted_at": None,
        "dispatched_at": None,
        "signed_at": None,
        "replied_at": None,
        "reply_approved_at": None,
        "closed_at": None,
        "lead_unit_id": None,
        "sign_due": None,
        "handle_due": None,
        "handle_unit": "",
        "handle_started_at": None,
        "callback_due": None,
        "sign_warn_at": None,
        "handle_warn_at": None,
        "callback_warn_at": None,
        "warn_at": None,
        "due_at": None,
        "next_warning_at": None,
        "warning_level": "none",
        "paused_at": None,
        "extension_days": 0,
        "repeat_count": 0,
        "redo_count": 0,
        "dissatisfied_count": 0,
        "supervision_level": "none",
        "master_id": None,
        "disposition_reason": "",
        "article_ref": "",
        "public_reply": "",
        "satisfaction": "",
        "is_review_candidate": False,
    }
    H = timedelta(hours=1)
    D = timedelta(days=1)
    per_day: Counter = Counter()
    states: Counter = Counter()
    n_asg = 0
    params = connection.get_connection_params()
    conn_kw = {k: v for k, v in params.items() if k in ("dbname", "user", "password", "host", "port") and v}
    started = time.perf_counter()
    with psycopg.connect(**conn_kw) as c1, psycopg.connect(**conn_kw) as c2:
        for c in (c1, c2):
            c.execute("SET session_replication_role = replica")  # our rows are consistent: skip FK triggers
            c.execute("SET synchronous_commit = off")
        cur1, cur2 = c1.cursor(), c2.cursor()
        copy_o = f"COPY workorders_workorder ({', '.join(order_cols)}) FROM STDIN"
        copy_a = f"COPY workorders_assignment ({', '.join(asg_cols)}) FROM STDIN"
        with cur1.copy(copy_o) as co, cur2.copy(copy_a) as ca:
            t = t0
            rate = n / span
            for oid in range(1, n + 1):
                t = t + timedelta(seconds=rng.expovariate(rate))
                created = min(t, now - timedelta(minutes=1))
                age = now - created
                tpl = rng.choice(templates)
                road, street_code = rng.choice(T.ROADS)
                place = rng.choice(T.PLACE_PATTERNS.get(tpl["address_hint"], ["{road}"])).format(
                    road=road, no=rng.randint(1, 199)
                )
                rt = rng.choices(rt_codes, rt_w)[0]
                urg = rng.choices(urg_codes, urg_w)[0]
                cat = rng.choices(leaf_cats, cat_weights)[0]
                street = router.streets[street_code]
                day = created.astimezone(TZ).strftime("%Y%m%d")
                per_day[day] += 1
                row = dict(defaults)
                row.update(
                    id=oid,
                    number=f"QY{day}-{per_day[day]:04d}",
                    query_code_hash=f"{rng.getrandbits(256):064x}",
                    channel=rng.choices(*CHANNELS)[0],
                    request_type_id=rtypes[rt],
                    urgency_id=urgs[urg],
                    category_id=cat_ids[cat],
                    subject=tpl["subject"],
                    text=tpl["text"].format(place=place),
                    address=place,
                    street_id=street.pk,
                    requester_name=rng.choice(T.SURNAMES) + rng.choice(T.GIVEN_NAMES),
                    requester_phone=rng.choice(T.PHONE_PREFIXES) + f"{rng.randint(0, 9999):04d}",
                    is_confidential=rt == "report" or rng.random() < 0.01,
                    consent_publish=rng.random() < 0.3,
                    created_at=created,
                    accepted_at=created,
                    updated_at=created,
                )
                # the lifecycle, and where it stands at `now`
                fate = rng.random()
                urgent = urg != "normal"
                d_dispatch = timedelta(minutes=rng.uniform(5, 30 if urgent else 180))
                d_sign = timedelta(minutes=rng.uniform(5, 30)) if urgent else timedelta(hours=rng.uniform(0.3, 30))
                limit = timedelta(hours=24) if urgent else D * LIMIT_DAYS[rt] * 1.4
                d_reply = (
                    timedelta(hours=rng.uniform(2, 20))
                    if urgent
                    else D
                    * rng.choices([1, 2, 3, 5, 8, 12, 20, 45], weights=[14, 22, 22, 18, 12, 8, 3.7, 0.3])[0]
                    * rng.uniform(0.3, 1)
                )
                d_review = timedelta(minutes=rng.uniform(30, 600))
                d_callback = timedelta(hours=rng.uniform(1, 20))
                if fate < 0.004 and age > D:
                    state = rng.choice(["answered", "rejected", "merged"])
                    row["closed_at"] = created + d_dispatch
                    if state == "rejected":
                        row["disposition_reason"] = "outside_district"
                    elif state == "merged":
                        row["master_id"] = max(1, oid - rng.randint(1, 500)) if oid > 1 else None
                        if row["master_id"] is None:
                            state = "answered"
                    row["state"] = state
                    states[state] += 1
                    co.write_row(tuple(row[c] for c in order_cols))
                    continue
                at_dispatch = created + d_dispatch
                if now < at_dispatch:
                    row["state"] = "pending_dispatch" if rng.random() < 0.8 else "submitted"
                    states[row["state"]] += 1
                    co.write_row(tuple(row[c] for c in order_cols))
                    continue
                lead, supports = router.route(cat, street)
                supports = supports[:1] if (supports and rng.random() < 0.4) else []
                asgs = []
                if rng.random() < 0.03:  # an earlier lead unit returned the order
                    first = street if lead.pk != street.pk else rng.choice(router.departments)
                    asgs.append([first.pk, "lead", "returned", created + d_dispatch, None, created + d_dispatch + H])
                    at_dispatch += timedelta(hours=rng.uniform(2, 30))
                at_sign = at_dispatch + d_sign
                at_reply = at_sign + d_reply
                at_approve = at_reply + d_review
                at_close = at_approve + d_callback
                row.update(
                    lead_unit_id=lead.pk,
                    dispatched_at=at_dispatch,
                    sign_due=at_dispatch + D,
                    sign_warn_at=at_dispatch + D * 0.75,
                    handle_started_at=at_dispatch,
                    handle_due=at_dispatch + limit,
                    handle_warn_at=at_dispatch + limit - (H * 6 if urgent else D),
                    handle_unit="h" if urgent else "wd",
                )
                terminated = fate > 0.997
                if now < at_sign:
                    state, lead_state, due, warn = "dispatched", "pending_sign", row["sign_due"], row["sign_warn_at"]
                elif now < at_reply or (terminated and age < 40 * D):
                    state, lead_state, due, warn = "in_progress", "signed", row["handle_due"], row["handle_warn_at"]
                    row["signed_at"] = at_sign
                elif terminated:
                    state, lead_state, due, warn = "terminated", "withdrawn", None, None
                    row.update(signed_at=at_sign, closed_at=at_reply)
                elif now < at_approve:
                    state, lead_state, due, warn = "replied", "replied", None, None
                    row.update(signed_at=at_sign, replied_at=at_reply)
                elif now < at_close:
                    state, lead_state = "pending_callback", "replied"
                    row.update(
                        signed_at=at_sign,
                        replied_at=at_reply,
                        reply_approved_at=at_approve,
                        callback_due=at_approve + D,
                        callback_warn_at=at_approve + D * 0.5,
                    )
                    due, warn = row["callback_due"], row["callback_warn_at"]
                else:
                    state, lead_state, due, warn = "closed", "replied", None, None
                    row.update(
                        signed_at=at_sign,
                        replied_at=at_reply,
                        reply_approved_at=at_approve,
                        closed_at=at_close,
                        satisfaction=rng.choices(["satisfied", "basically", "dissatisfied"], [80, 12, 8])[0],
                    )
                if due is not None:
                    level = "red" if now >= due else "yellow" if now >= warn else "none"
                    row.update(
                        due_at=due,
                        warn_at=warn,
                        warning_level=level,
                        next_warning_at=warn if now < warn else (due if now < due else None),
                    )
                row["state"] = state
                states[state] += 1
                row["updated_at"] = max(x for x in (created, row["signed_at"], row["closed_at"]) if x is not None)
                sup_state = {"pending_sign": "pending_sign", "signed": "signed"}.get(lead_state, lead_state)
                asgs.append(
                    [lead.pk, "lead", lead_state, at_dispatch, at_sign if lead_state != "pending_sign" else None, None]
                )
                asgs += [[s.pk, "support", sup_state, at_dispatch, None, None] for s in supports]
                co.write_row(tuple(row[c] for c in order_cols))
                for unit_id, role, st, dispatched, signed, returned in asgs:
                    ca.write_row(
                        (
                            oid,
                            unit_id,
                            role,
                            None,
                            st,
                            False,
                            disp_id,
                            dispatched,
                            dispatched + D,
                            handlers[unit_id].pk if signed else None,
                            signed,
                            row["replied_at"] if st == "replied" else None,
                            returned,
                            "不属于本单位职责" if returned else "",
                            "",
                        )
                    )
                    n_asg += 1
                if oid % 100_000 == 0:
                    log(f"  loaded {oid:,} orders, {n_asg:,} assignments ({time.perf_counter() - started:.0f}s)")
        c1.commit()
        c2.commit()
    load_s = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('workorders_workorder', 'id'), %s)", [n])
        for table in ("workorders_workorder", "workorders_assignment"):
            cur.execute(f"VACUUM ANALYZE {table}")  # noqa: S608 - constant names
        cur.execute(
            "SELECT pg_total_relation_size('workorders_workorder'), pg_total_relation_size('workorders_assignment')"
        )
        wo_size, asg_size = cur.fetchone()
    return {
        "orders": n,
        "assignments": n_asg,
        "states": dict(states.most_common()),
        "load_s": round(load_s, 1),
        "vacuum_analyze_s": round(time.perf_counter() - started - load_s, 1),
        "workorder_mb": round(wo_size / 1e6),
        "assignment_mb": round(asg_size / 1e6),
        "history": {"from": t0.isoformat(), "to": now.isoformat()},
    }


def plan_lines(plan: dict, depth: int = 0) -> list[str]:
    """A compact text of an EXPLAIN (ANALYZE, FORMAT JSON) plan tree."""
    node = plan["Node Type"]
    for key in ("Strategy", "Sort Method"):
        if key in plan and plan[key] not in ("Plain",):
            node += f" ({plan[key]})"
    bits = [node]
    if "Index Name" in plan:
        bits.append(f"using {plan['Index Name']}")
    if "Relation Name" in plan:
        bits.append(f"on {plan['Relation Name']}")
    bits.append(
        f"rows={plan.get('Actual Rows')} loops={plan.get('Actual Loops')} time={plan.get('Actual Total Time')}ms"
    )
    if plan.get("Rows Removed by Filter"):
        bits.append(f"removed_by_filter={plan['Rows Removed by Filter']}")
    if plan.get("Heap Fetches"):
        bits.append(f"heap_fetches={plan['Heap Fetches']}")
    lines = ["  " * depth + " ".join(bits)]
    for child in plan.get("Plans", []):
        lines += plan_lines(child, depth + 1)
    return lines


def explain(sql: str) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        doc = cur.fetchone()[0]
    doc = doc[0] if isinstance(doc, list) else json.loads(doc)[0]
    lines = plan_lines(doc["Plan"])
    nodes = sorted({ln.strip().split(" using ")[0].split(" on ")[0].split(" rows=")[0] for ln in lines})
    out = {
        "execution_ms": doc.get("Execution Time"),
        "planning_ms": doc.get("Planning Time"),
        "nodes": nodes,
        "tree": lines,
    }
    if "JIT" in doc:
        out["jit_ms"] = round(sum(v for v in doc["JIT"].get("Timing", {}).values() if isinstance(v, (int, float))), 1)
    return out


class QueryKind:
    def __init__(self, name: str, make):
        self.name = name
        self.make = make  # rng -> (actor, OrderFilter, label)
        self.total = array("d")
        self.count_ms = array("d")
        self.page_ms = array("d")
        self.rows = array("l")
        self.slowest = (-1.0, None)
        self.by_label: dict[str, array] = defaultdict(lambda: array("d"))


class Proposed:
    """Query changes proposed in the report, applied in this process only (the app code is not changed),
    so that their effect is measured through the same ORM path. ``--variants`` picks them:

    ids    resolve street / request-type codes to ids before filtering (``street_id = 94`` instead of a
           join on ``directory_unit.code``), so that the planner sees constants it has statistics for
    all_q  centre staff who see every order get no WHERE term (not ``id IS NOT NULL``, which defeats
           index-only counts)
    cap    paginate counts at most 10,000 rows (``SELECT COUNT(*) FROM (... LIMIT 10001)``), shown as 10000+
    norel  no select_related joins in the list query: the four small lookup tables are attached from an
           in-process cache (planning a 6-table join costs more than executing it)
    """

    CAP = 10_000

    def __init__(self, variants: set[str]):
        from django.db.models import Q

        from yihaotong.directory.models import Category, RequestType, Unit, Urgency
        from yihaotong.workorders import access, selectors
        from yihaotong.workorders.models import WorkOrder

        unknown = variants - {"ids", "all_q", "cap", "norel"}
        if unknown:
            raise SystemExit(f"unknown variants: {sorted(unknown)}")
        self.v = variants
        self.units = {u.pk: u for u in Unit.objects.all()}
        self.unit_ids = {u.code: u.pk for u in self.units.values()}
        self.rtypes = {r.pk: r for r in RequestType.objects.all()}
        self.rtype_ids = {r.code: r.pk for r in self.rtypes.values()}
        self.urgencies = {u.pk: u for u in Urgency.objects.all()}
        self.categories = {c.pk: c for c in Category.objects.all()}
        self.selectors = selectors
        if "all_q" in variants:
            original = access.visible_orders
            everything = Q(pk__isnull=False)

            def visible_orders(actor):
                if access.order_visibility(actor) == everything:
                    return WorkOrder.objects.all()
                return original(actor)

            selectors.visible_orders = visible_orders  # this process only

    def list_orders(self, actor, f):
        from dataclasses import replace

        extra = {}
        if "ids" in self.v:
            if f.street:
                extra["street_id"] = self.unit_ids.get(f.street, -1)
            if f.request_type:
                extra["request_type_id"] = self.rtype_ids.get(f.request_type, -1)
            f = replace(f, street="", request_type="")
        qs = self.selectors.list_orders(actor, f).filter(**extra)
        if "norel" in self.v:
            qs = qs.select_related(None)
        return qs

    def paginate(self, qs, page: int, page_size: int):
        if "cap" in self.v:
            total = qs.order_by()[: self.CAP + 1].count()
        else:
            total = qs.count()
        items = list(qs[(page - 1) * page_size : page * page_size])
        if "norel" in self.v:
            for o in items:
                o.request_type = self.rtypes[o.request_type_id]
                o.urgency = self.urgencies[o.urgency_id]
                o.category = self.categories.get(o.category_id)
                o.street = self.units.get(o.street_id)
                o.lead_unit = self.units.get(o.lead_unit_id)
        return items, {"page": page, "page_size": page_size, "total": total, "capped": total > self.CAP}


def time_queries(args, kinds: list[QueryKind]) -> dict:
    import functools

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yihaotong.core.api import paginate
    from yihaotong.workorders.api import ORDER_LIST_COUNT_CAP
    from yihaotong.workorders.selectors import list_orders

    # as the API's order list does it: the total counted up to 10,000
    paginate = functools.partial(paginate, count_cap=ORDER_LIST_COUNT_CAP)
    variants = {v.strip() for v in args.variants.split(",") if v.strip()}
    if variants:
        proposed = Proposed(variants)
        list_orders, paginate = proposed.list_orders, proposed.paginate  # noqa: F811

    rng = random.Random(args.seed + 7)
    split = {"count": 0.0, "page": 0.0}

    def wrapper(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            split["count" if "COUNT(" in sql else "page"] += (time.perf_counter() - t) * 1000

    out = {}
    for kind in kinds:
        for _ in range(10):  # warm-up
            actor, f, _label = kind.make(rng)
            paginate(list_orders(actor, f), 1, 50)
        meter = CpuMeter()
        meter.sample_load()
        wall = time.perf_counter()
        for _ in range(args.reps):
            actor, f, label = kind.make(rng)
            split["count"] = split["page"] = 0.0
            with connection.execute_wrapper(wrapper):
                t = time.perf_counter()
                items, meta = paginate(list_orders(actor, f), 1, 50)
                ms = (time.perf_counter() - t) * 1000
            kind.total.append(ms)
            kind.count_ms.append(split["count"])
            kind.page_ms.append(split["page"])
            kind.rows.append(meta["total"])
            kind.by_label[label].append(ms)
            if ms > kind.slowest[0]:
                kind.slowest = (ms, (actor, f, label))
        wall = time.perf_counter() - wall
        cpu = meter.report()

        def pct(values, p):
            v = sorted(values)
            return round(v[min(len(v) - 1, int(p * len(v)))], 2) if v else None

        row = {
            "reps": len(kind.total),
            "p50_ms": pct(kind.total, 0.5),
            "p95_ms": pct(kind.total, 0.95),
            "p99_ms": pct(kind.total, 0.99),
            "max_ms": pct(kind.total, 1.0),
            "count_sql_p50_ms": pct(kind.count_ms, 0.5),
            "count_sql_p95_ms": pct(kind.count_ms, 0.95),
            "page_sql_p50_ms": pct(kind.page_ms, 0.5),
            "page_sql_p95_ms": pct(kind.page_ms, 0.95),
            "matching_rows_p50": int(pct(kind.rows, 0.5)),
            "matching_rows_max": int(max(kind.rows)),
            # CPU per call (this process + its PostgreSQL backend): unlike wall time, not inflated by other
            # processes competing for the 2 cores; the backend's share has 10 ms tick resolution in total.
            "mean_wall_ms": round(wall * 1000 / len(kind.total), 2),
            "mean_cpu_ms": round((cpu["python_cpu_s"] + cpu.get("db_backend_cpu_s", 0)) * 1000 / len(kind.total), 2),
            "mean_db_cpu_ms": round(cpu.get("db_backend_cpu_s", 0) * 1000 / len(kind.total), 2),
            "loadavg_1m": cpu["loadavg_1m"],
        }
        if len(kind.by_label) > 1:
            row["by_variant"] = {
                lab: {"n": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95)}
                for lab, v in sorted(kind.by_label.items())
            }
        if not args.no_explain and kind.slowest[1] is not None:
            actor, f, label = kind.slowest[1]
            with CaptureQueriesContext(connection) as cq:
                paginate(list_orders(actor, f), 1, 50)
            plans = {}
            for q in cq.captured_queries:
                if 'FROM "workorders_workorder"' not in q["sql"]:
                    continue  # e.g. the policy cache reloading
                which = "count" if "COUNT(" in q["sql"] else "page"
                plans[which] = explain(q["sql"])
                log(f"--- {kind.name} [{label}] {which} query ({plans[which]['execution_ms']} ms):")
                log("    " + q["sql"][:1500])
                for line in plans[which]["tree"]:
                    log("    " + line)
            row["explain_slowest"] = {"variant": label, "filter": _filter_repr(f), **plans}
        out[kind.name] = row
        log(
            f"{kind.name}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms "
            f"(count p95 {row['count_sql_p95_ms']}, page p95 {row['page_sql_p95_ms']})"
        )
    return out


def _filter_repr(f) -> dict:
    from dataclasses import asdict

    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(f).items() if v not in ("", None)}


def scale_kinds(args) -> list[QueryKind]:
    from yihaotong.directory.data import demo_text as T
    from yihaotong.directory.models import RequestType, Unit, UnitKind
    from yihaotong.workorders.models import WorkOrder
    from yihaotong.workorders.selectors import OrderFilter

    _op, dispatcher, handlers, admins = _scale_users()
    unit_ids = sorted(handlers)
    streets = list(Unit.objects.filter(kind=UnitKind.STREET).values_list("code", flat=True))
    rtypes = list(RequestType.objects.values_list("code", flat=True))
    first_day = (SCALE_NOW - timedelta(days=SCALE_YEARS * 365)).date()
    max_id = WorkOrder.objects.order_by("-id").values_list("id", flat=True).first() or 1
    numbers = list(
        WorkOrder.objects.filter(id__in=random.Random(3).sample(range(1, max_id + 1), 200)).values_list(
            "number", flat=True
        )
    )
    subjects = [t["subject"] for t in T.ORDER_TEMPLATES]

    def inbox(users):
        def make(rng):
            return users[rng.choice(unit_ids)], OrderFilter(state="dispatched,in_progress", sort="due"), "inbox"

        return make

    def centre_filter(rng) -> tuple[OrderFilter, str]:
        f = OrderFilter(sort="-created")
        f.state = rng.choice(["", "open", "closed", "dispatched,in_progress", "pending_callback", "in_progress"])
        if rng.random() < 0.6:
            f.street = rng.choice(streets)
        if rng.random() < 0.5:
            f.request_type = rng.choice(rtypes)
        if rng.random() < 0.7:
            days = rng.choice([7, 30, 90, 365])
            end = first_day + timedelta(days=rng.randint(days, SCALE_YEARS * 365))
            f.created_from, f.created_to = end - timedelta(days=days), end
        # variants: few matching rows (open states) or many (closed / any state); with or without dates
        label = ("open" if f.state and f.state != "closed" else "closed|all") + ("+dates" if f.created_from else "")
        return f, label

    def centre(rng):
        f, label = centre_filter(rng)
        return dispatcher, f, label

    def centre_q(rng):
        f, _label = centre_filter(rng)
        r = rng.random()
        if r < 0.1:
            f.q, label = rng.choice(numbers), "q=number"
        else:
            subject = rng.choice(subjects)
            n = 2 if r < 0.55 else rng.choice([3, 4])
            i = rng.randint(0, max(0, len(subject) - n))
            f.q, label = subject[i : i + n], f"q={n} chars"
        return dispatcher, f, label

    kinds = [
        QueryKind("inbox_handler", inbox(handlers)),
        QueryKind("inbox_unit_admin", inbox(admins)),
        QueryKind("list_centre", centre),
        QueryKind("list_centre_q", centre_q),
    ]
    only = {k.strip() for k in args.only.split(",") if k.strip()}
    return [k for k in kinds if not only or k.name in only]


def run_scale(args) -> dict:
    import django

    url = args.database_url or DEFAULT_SCALE_URL
    if not args.reuse:
        recreate_pg_database(url, allow_any_name=args.force_drop)
    var_dir = configure_environment("postgres", url)
    try:
        django_setup_and_migrate()
        from django.db import connection

        from yihaotong.workorders.models import WorkOrder

        result = {"mode": "scale", "database": "postgres"}
        if args.reuse and WorkOrder.objects.exists():
            result["load"] = {"reused": True, "orders": WorkOrder.objects.count()}
        else:
            t = time.perf_counter()
            seed_cast_and_handlers([2023, 2024, 2025, 2026])
            result["seed_s"] = round(time.perf_counter() - t, 1)
            result["load"] = bulk_load(args.orders, args.seed)
            log(f"loaded: {result['load']}")
        if args.sql:
            with connection.cursor() as cur:
                for stmt in args.sql:
                    t = time.perf_counter()
                    cur.execute(stmt)
                    log(f"ran in {time.perf_counter() - t:.1f}s: {stmt}")
                if any(s.strip().lower().startswith("create") for s in args.sql):
                    cur.execute("ANALYZE workorders_workorder")
                    cur.execute("ANALYZE workorders_assignment")
            result["sql"] = args.sql
        with connection.cursor() as cur:
            cur.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                "WHERE indrelid = 'workorders_workorder'::regclass ORDER BY 1"
            )
            result["workorder_indexes"] = {name: f"{size / 1e6:.0f} MB" for name, size in cur.fetchall()}
            cur.execute("SHOW jit")
            result["jit"] = cur.fetchone()[0]
        cpu = CpuMeter()
        t = time.perf_counter()
        result["variants"] = args.variants
        result["queries"] = time_queries(args, scale_kinds(args))
        result["timing_s"] = round(time.perf_counter() - t, 1)
        result["cpu"] = cpu.report()
        result["db"] = db_info()
        result.update(
            python=platform.python_version(), django=django.get_version(), cpus=os.cpu_count(), seed=args.seed
        )
        return result
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var_dir, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", choices=["sqlite", "postgres"], default=None)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--contacts", type=int, default=None, help="all contacts (replay: 53766)")
    ap.add_argument("--orders", type=int, default=None, help="orders (replay: 52873; scale: 1000000)")
    ap.add_argument("--year-start", default="2025-01-01")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--sweep-minutes", type=int, default=60, help="simulated minutes between warning sweeps")
    ap.add_argument("--query-sample", type=int, default=30, help="count the SQL of the first N calls per kind")
    ap.add_argument("--show-queries", action="store_true", help="print the SQL of one call of each kind")
    ap.add_argument("--profile", default=None, help="replay under cProfile; write the stats to this file")
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="replay: processes driving the orders (arrival i goes to worker i mod N); they meet at every sweep",
    )
    ap.add_argument(
        "--lockstep",
        action="store_true",
        help="replay with workers: all workers meet before and after every sweep (default: a worker waits "
        "only for one more than a sweep step behind)",
    )
    ap.add_argument(
        "--slack-minutes",
        type=int,
        default=60,
        help="replay with workers (not --lockstep): how far in simulated time a worker may run ahead of the "
        "slowest before it waits at a sweep",
    )
    ap.add_argument("--sql-profile", action="store_true", help="time every SQL statement; report the top 20")
    ap.add_argument("--progress-seconds", type=float, default=30.0)
    ap.add_argument("--resume", default=None, help="replay: go on from a killed run's <json-out>.state file")
    ap.add_argument("--checkpoint-seconds", type=float, default=300.0, help="write --json-out.partial this often")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (SQLite file)")
    ap.add_argument(
        "--force-drop", action="store_true", help="allow dropping a database without bench/scale in its name"
    )
    # scale mode
    ap.add_argument("--scale", action="store_true", help="mode 2: bulk-load orders, time inbox and list queries")
    ap.add_argument("--reuse", action="store_true", help="scale: reuse the loaded database (no drop, no load)")
    ap.add_argument("--reps", type=int, default=200, help="scale: timed repetitions per query kind")
    ap.add_argument("--sql", action="append", default=[], help="scale: SQL to run (e.g. CREATE INDEX) before timing")
    ap.add_argument("--only", default="", help="scale: comma-separated query kinds to time")
    ap.add_argument("--no-explain", action="store_true")
    ap.add_argument("--variants", default="", help="scale: proposed query changes to apply: ids,all_q,cap,norel")
    args = ap.parse_args(argv)
    if args.slack_minutes < 0:
        # a negative slack would have every worker wait for the others to be ahead of it: none would go on
        ap.error("--slack-minutes must be 0 or more")

    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # nothing but the JSON reaches stdout
        if args.scale:
            args.database = "postgres"
            args.orders = args.orders or 1_000_000
            result = run_scale(args)
        else:
            if args.database is None and not args.resume:
                ap.error("--database sqlite|postgres is required (or --scale)")
            args.orders = 52_873 if args.orders is None else args.orders
            args.contacts = max(args.orders, 53_766 if args.contacts is None else args.contacts)
            result = run_replay(args)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    print(text, file=real_stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
