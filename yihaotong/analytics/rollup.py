"""Rollup buckets kept from the event log (workorders.Event) and the contacts (intake.Contact).

Each source has a cursor (its last id). ``roll_up()`` reads the rows above it in id order, maps each onto
metric facts (``facts_of_event`` / ``facts_of_contact``), adds them to the day's buckets of every dimension
(one upsert per bucket: ``n = n + excluded.n``) and moves the cursor, all in one transaction under a lock on
the cursor row. Ids are taken before commit, so a transaction may commit an id below the cursor after a
later one was read: the ids skipped below the cursor are kept as *gaps* and looked for again on every run
for ``GAP_SECONDS`` (decision 0019). ``rebuild()`` empties the buckets and rolls everything up again.

Dimensions of a fact: the district ("all"), the order's channel, request type, top-level category and
street, and the unit (the lead unit of the order at the time of the event, from its dispatch events;
dispatch, sign and return count for the unit named in the event). Contacts have channel, type and street.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from yihaotong.core.analysis import tokens
from yihaotong.directory.policy import reference
from yihaotong.worktime.calendar import TZ, CalendarMissing
from yihaotong.worktime.loader import get_calendar

from .models import Bucket, RollupCursor

BATCH = 5000
GAP_SECONDS = 600
MAX_GAPS = 10000

# Words too common in dissatisfaction reasons to tell causes apart.
CAUSE_STOPWORDS = frozenset(
    [
        "不满意",
        "满意",
        "没有",
        "问题",
        "还是",
        "一直",
        "我们",
        "他们",
        "你们",
        "这个",
        "那个",
        "就是",
        "但是",
        "因为",
        "所以",
        "已经",
        "什么",
        "没有",
        "不是",
        "可以",
        "需要",
        "表示",
        "认为",
        "反映",
        "情况",
        "工作人员",
        "处理",
        "解决",
        "依旧",
        "仍然",
    ]
)


def _day(at: datetime) -> str:
    return timezone.localtime(at, TZ).date().isoformat()


def _code(kind: str, pk) -> str:
    if pk is None:
        return ""
    ref = reference(kind, pk=pk)
    return ref.code if ref is not None else str(pk)


def _category_keys(pk) -> tuple[str, str]:
    """(leaf code, level-1 code) of a category id."""
    if pk is None:
        return "", ""
    cat = reference("category", pk=pk)
    if cat is None:
        return str(pk), ""
    top = cat
    seen = 0
    while top.parent_id is not None and seen < 10:
        parent = reference("category", pk=top.parent_id)
        if parent is None:
            break
        top, seen = parent, seen + 1
    return cat.code, top.code


def cause_terms(reason: str, limit: int = 3) -> list[str]:
    """The words of a dissatisfaction reason that say what went wrong (first ``limit`` distinct ones)."""
    out: list[str] = []
    for t in tokens(reason):
        if len(t) >= 2 and t not in CAUSE_STOPWORDS and not t.isdigit() and t not in out:
            out.append(t)
        if len(out) >= limit:
            break
    return out


class _Acc:
    """Bucket increments of one batch: {(day, metric, dim, key): [n, total]}."""

    def __init__(self):
        self.rows: dict[tuple[str, str, str, str], list] = defaultdict(lambda: [0, 0.0])

    def add(self, day: str, metric: str, dims: dict[str, str], value: float = 0.0) -> None:
        for dim, key in dims.items():
            if dim != "all" and not key:
                continue
            row = self.rows[(day, metric, dim, key)]
            row[0] += 1
            row[1] += value

    def flush(self) -> int:
        if not self.rows:
            return 0
        table = connection.ops.quote_name(Bucket._meta.db_table)
        q = connection.ops.quote_name
        sql = (
            f"INSERT INTO {table} ({q('day')}, {q('metric')}, {q('dim')}, {q('key')}, {q('n')}, {q('total')}) "
            f"VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ({q('day')}, {q('metric')}, {q('dim')}, {q('key')}) "
            f"DO UPDATE SET {q('n')} = {table}.{q('n')} + excluded.{q('n')}, "
            f"{q('total')} = {table}.{q('total')} + excluded.{q('total')}"
        )
        data = [(d, m, dim, k, v[0], v[1]) for (d, m, dim, k), v in sorted(self.rows.items())]
        with connection.cursor() as cur:
            cur.executemany(sql, data)
        n = len(data)
        self.rows.clear()
        return n


def order_dims(order: dict, unit_code: str) -> dict[str, str]:
    _leaf, top = _category_keys(order["category_id"])
    return {
        "all": "",
        "channel": order["channel"],
        "type": _code("request_type", order["request_type_id"]),
        "category1": top,
        "street": _code("unit", order["street_id"]),
        "unit": unit_code,
    }


def facts_of_event(ev: dict, order: dict, lead: str, extra: dict) -> list[tuple[str, float, str]]:
    """The (metric, value, unit code) facts of one event; ``lead`` is the order's lead unit then."""
    kind, p = ev["kind"], ev["payload"] or {}
    unit = _code("unit", ev["unit_id"]) if ev["unit_id"] else lead
    out: list[tuple[str, float, str]] = []
    if kind == "create":
        out.append(("created", 0.0, ""))
        if ev["to_state"] == "pending_dispatch":
            out.append(("accepted", 0.0, ""))
    elif kind == "accept":
        out.append(("accepted", 0.0, ""))
    elif kind in ("answer", "reject", "merge"):
        out.append(({"answer": "answered", "reject": "rejected", "merge": "merged"}[kind], 0.0, ""))
    elif kind == "terminate":
        out.append(("terminated", 0.0, lead))
    elif kind == "dispatch":
        out.append(("dispatched", 0.0, p.get("lead") or lead))
    elif kind == "sign":
        out.append(("signed", 0.0, unit))
        due = extra.get(("sign_due", ev["id"]))
        if due is None or ev["at"] <= due:
            out.append(("signed_on_time", 0.0, unit))
    elif kind == "return":
        out.append(("returned", 0.0, unit))
    elif kind == "reply":
        out.append(("replied", 0.0, lead))
        if p.get("on_time"):
            out.append(("replied_on_time", 0.0, lead))
    elif kind == "approve_reply":
        days = extra.get(("reply_days", ev["id"]))
        if days is not None:
            out.append(("reply_approved", days, lead))
    elif kind == "close":
        out.append(("closed", 0.0, lead))
        if extra.get(("on_time", ev["id"])):
            out.append(("closed_on_time", 0.0, lead))
    elif kind == "redo":
        out.append(("redo", 0.0, lead))
    elif kind == "callback":
        if p.get("outcome") == "reached":
            out.append(("cb_valid", 0.0, lead))
            if p.get("contacted"):
                out.append(("cb_contacted", 0.0, lead))
            if p.get("solved"):
                out.append(("cb_solved", 0.0, lead))
            sat = p.get("satisfaction")
            if sat in ("satisfied", "basically", "dissatisfied"):
                out.append(
                    ({"satisfied": "cb_satisfied", "basically": "cb_basically"}.get(sat, "cb_dissatisfied"), 0.0, lead)
                )
    elif kind == "repeat_contact":
        out.append(("repeat", 0.0, lead))
    elif kind == "warning_yellow":
        out.append(("warn_yellow", 0.0, lead))
    elif kind == "warning_red":
        out.append(("warn_red", 0.0, lead))
    elif kind in ("remind", "supervise", "escalate"):
        out.append(("supervised", 0.0, unit))
    return out


ROLLED_KINDS = [
    "create",
    "accept",
    "answer",
    "reject",
    "merge",
    "terminate",
    "dispatch",
    "sign",
    "return",
    "reply",
    "approve_reply",
    "close",
    "redo",
    "callback",
    "repeat_contact",
    "warning_yellow",
    "warning_red",
    "remind",
    "supervise",
    "escalate",
]


def _event_batch(events: list[dict], acc: _Acc) -> None:
    from yihaotong.workorders.models import Assignment, Event, WorkOrder

    if not events:
        return
    order_ids = {e["order_id"] for e in events}
    max_id = max(e["id"] for e in events)
    orders = {
        o["id"]: o
        for o in WorkOrder.objects.filter(pk__in=order_ids).values(
            "id", "channel", "request_type_id", "category_id", "street_id", "accepted_at", "created_at"
        )
    }
    # The lead unit at each event: the last dispatch (or redispatch) before it.
    dispatches: dict[int, list[tuple[int, str]]] = defaultdict(list)
    replies: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for row in (
        Event.objects.filter(order_id__in=order_ids, kind__in=("dispatch", "reply"), id__lte=max_id)
        .order_by("id")
        .values("id", "order_id", "kind", "payload")
    ):
        p = row["payload"] or {}
        if row["kind"] == "dispatch":
            dispatches[row["order_id"]].append((row["id"], p.get("lead") or ""))
        else:
            replies[row["order_id"]].append((row["id"], bool(p.get("on_time"))))

    def last_before(rows, eid, default):
        value = default
        for rid, v in rows:
            if rid >= eid:
                break
            value = v
        return value

    extra: dict = {}
    signs = [e for e in events if e["kind"] == "sign"]
    if signs:
        for a in Assignment.objects.filter(order_id__in={e["order_id"] for e in signs}, role="lead").values(
            "order_id", "unit_id", "signed_at", "sign_due"
        ):
            for e in signs:
                if e["order_id"] == a["order_id"] and e["unit_id"] == a["unit_id"] and a["signed_at"] == e["at"]:
                    extra[("sign_due", e["id"])] = a["sign_due"]
    cal = None
    for e in events:
        if e["kind"] == "close":
            extra[("on_time", e["id"])] = last_before(replies.get(e["order_id"], []), e["id"], False)
        elif e["kind"] == "approve_reply":
            order = orders.get(e["order_id"])
            start = order and (order["accepted_at"] or order["created_at"])
            if start:
                cal = cal or get_calendar()
                # No calendar for the year: the cycle is not measured (the dashboard says so).
                with contextlib.suppress(CalendarMissing):
                    extra[("reply_days", e["id"])] = round(cal.working_days_between(start, e["at"]), 4)
    for e in events:
        order = orders.get(e["order_id"])
        if order is None:
            continue
        lead = last_before(dispatches.get(e["order_id"], []), e["id"], "")
        day = _day(e["at"])
        base = None
        for metric, value, unit in facts_of_event(e, order, lead, extra):
            base = base or order_dims(order, "")
            dims = dict(base, unit=unit)
            acc.add(day, metric, dims, value)
            if metric == "cb_dissatisfied":
                for term in cause_terms(e["reason"]):
                    acc.add(day, "cause", {"cause": term[:48]})


def _contact_batch(contacts: list[dict], acc: _Acc) -> None:
    for c in contacts:
        dims = {
            "all": "",
            "channel": c["channel"],
            "type": _code("request_type", c["request_type_id"]),
            "street": _code("unit", c["street_id"]),
        }
        day = _day(c["received_at"])
        acc.add(day, "contacts", dims)
        metric = {"direct_answer": "contacts_direct", "work_order": "contacts_order", "attached": "contacts_attached"}
        if c["outcome"] in metric:
            acc.add(day, metric[c["outcome"]], dims)
        if c["outcome"] == "direct_answer" and (c["article_ref"] or "").strip():
            # Answered at intake from a knowledge-base article (the KB's share of direct answers).
            acc.add(day, "contacts_kb", dims)


def _source(name: str):
    from yihaotong.intake.models import Contact
    from yihaotong.workorders.models import Event

    if name == "events":
        fields = ("id", "order_id", "kind", "unit_id", "at", "to_state", "payload", "reason")
        return Event.objects.filter(kind__in=ROLLED_KINDS), fields, _event_batch
    fields = ("id", "channel", "request_type_id", "street_id", "received_at", "outcome", "article_ref")
    return Contact.objects.all(), fields, _contact_batch


SOURCES = ("events", "contacts")


def roll_up_source(name: str, *, batch: int = BATCH, now: datetime | None = None) -> int:
    """Roll up one batch of ``name`` above its cursor (and any gaps found again); return rows read."""
    now = now or timezone.now()
    qs, fields, handle = _source(name)
    with transaction.atomic():
        RollupCursor.objects.get_or_create(source=name)
        cursor = RollupCursor.objects.select_for_update().get(source=name)
        gaps: dict[str, str] = dict(cursor.gaps or {})
        rows = list(qs.model.objects.filter(pk__gt=cursor.last_id).order_by("pk").values("pk")[:batch])
        ids = [r["pk"] for r in rows]
        found_gaps = []
        if gaps:
            found_gaps = list(qs.model.objects.filter(pk__in=[int(g) for g in gaps]).values_list("pk", flat=True))
        wanted = ids + found_gaps
        data = list(qs.filter(pk__in=wanted).order_by("pk").values(*fields)) if wanted else []
        acc = _Acc()
        handle(data, acc)
        acc.flush()
        for g in found_gaps:
            gaps.pop(str(g), None)
        if ids:
            expected = set(range(cursor.last_id + 1, ids[-1] + 1))
            for missing in sorted(expected - set(ids))[-MAX_GAPS:]:
                gaps[str(missing)] = now.isoformat()
            cursor.last_id = ids[-1]
        limit = now - timedelta(seconds=GAP_SECONDS)
        gaps = {k: v for k, v in gaps.items() if datetime.fromisoformat(v) > limit}
        if len(gaps) > MAX_GAPS:
            gaps = dict(sorted(gaps.items(), key=lambda kv: int(kv[0]))[-MAX_GAPS:])
        cursor.gaps = gaps
        cursor.updated_at = now
        cursor.save()
    return len(ids)


def roll_up(*, batch: int = BATCH, now: datetime | None = None, max_batches: int | None = None) -> int:
    """Roll up every source until it is caught up (or ``max_batches`` each); return rows read."""
    total = 0
    for name in SOURCES:
        done = 0
        while max_batches is None or done < max_batches:
            n = roll_up_source(name, batch=batch, now=now)
            total += n
            done += 1
            if n < batch:
                break
    return total


def rebuild(*, batch: int = BATCH, now: datetime | None = None) -> int:
    """Empty the buckets and the cursors and roll everything up again from the events and contacts."""
    with transaction.atomic():
        # Lock the cursors so that a periodic roll-up waits for the rebuild instead of adding twice.
        for name in SOURCES:
            RollupCursor.objects.get_or_create(source=name)
        list(RollupCursor.objects.select_for_update().filter(source__in=SOURCES))
        Bucket.objects.all().delete()
        RollupCursor.objects.filter(source__in=SOURCES).update(last_id=0, gaps={})
        return roll_up(batch=batch, now=now)
