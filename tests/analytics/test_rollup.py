"""Rollup buckets equal direct counts over the events and orders, incrementally and after a rebuild."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count

from tests.factories import CAOSHI, CM, EDU, T0, drive, new_order
from yihaotong.analytics import rollup
from yihaotong.analytics.models import Bucket, RollupCursor
from yihaotong.analytics.periods import Period
from yihaotong.analytics.selectors import indicators, league, sums, sums_by_key
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Callback, Event, WorkOrder

DAY = T0.date()


def _world(cast):
    """A small district: orders on three days, several channels, units, outcomes."""
    orders = []
    for i, (lead, channel, state) in enumerate(
        [
            (EDU, "call", "closed"),
            (EDU, "web", "closed"),
            (CM, "call", "pending_callback"),
            (CAOSHI, "letter", "in_progress"),
            (CM, "transfer", "dispatched"),
            (EDU, "call", "closed"),
        ]
    ):
        now = T0 + timedelta(days=i % 3, hours=i)
        o = new_order(cast, now=now, channel=channel)
        drive(cast, o, state, now=now + timedelta(hours=1), lead=lead)
        orders.append(o)
    # A dissatisfied callback (redo), a direct answer and a rejection.
    o = new_order(cast, now=T0)
    drive(cast, o, "pending_callback", now=T0 + timedelta(hours=2), lead=CM)
    A.do_record_callback(
        cast.callback,
        o.pk,
        outcome="reached",
        contacted=True,
        solved=False,
        satisfaction="dissatisfied",
        reason="施工噪音依旧扰民",
        now=T0 + timedelta(hours=3),
    )
    a = new_order(cast, now=T0)
    A.do_answer_order(cast.operator, a.pk, answer="已电话答复政策口径", now=T0 + timedelta(minutes=5))
    return orders


def _direct_kind(kind, **filters):
    return Event.objects.filter(kind=kind, **filters).count()


@pytest.mark.django_db
def test_buckets_equal_direct_counts_and_survive_rebuild(cast):
    _world(cast)
    rollup.roll_up()
    p = Period("custom", DAY - timedelta(days=1), DAY + timedelta(days=5))
    s = sums(p.start, p.end)
    assert s["created"][0] == _direct_kind("create") == WorkOrder.objects.count()
    assert s["closed"][0] == _direct_kind("close")
    assert s["dispatched"][0] == _direct_kind("dispatch")
    assert s["signed"][0] == _direct_kind("sign")
    assert s["answered"][0] == _direct_kind("answer") == 1
    assert s["cb_valid"][0] == Callback.objects.filter(outcome="reached").count()
    assert s["cb_dissatisfied"][0] == Callback.objects.filter(satisfaction="dissatisfied").count() == 1
    assert s["redo"][0] == _direct_kind("redo") == 1
    # By channel: the orders created per channel.
    by_channel = sums_by_key(p.start, p.end, "channel", ["created"])
    direct = dict(WorkOrder.objects.values_list("channel").annotate(n=Count("id")))
    assert {k: v["created"][0] for k, v in by_channel.items()} == direct
    # By unit: the orders closed per lead unit.
    by_unit = sums_by_key(p.start, p.end, "unit", ["closed", "dispatched"])
    closed = dict(WorkOrder.objects.filter(state="closed").values_list("lead_unit__code").annotate(n=Count("id")))
    assert {k: v["closed"][0] for k, v in by_unit.items() if "closed" in v} == closed
    before = sorted(Bucket.objects.values_list("day", "metric", "dim", "key", "n", "total"))
    # Rolling up again adds nothing; a rebuild gives the same buckets.
    rollup.roll_up()
    assert sorted(Bucket.objects.values_list("day", "metric", "dim", "key", "n", "total")) == before
    rollup.rebuild()
    assert sorted(Bucket.objects.values_list("day", "metric", "dim", "key", "n", "total")) == before
    # Causes of dissatisfaction are counted by word.
    term = rollup.cause_terms("施工噪音依旧扰民")[0]
    assert sums(p.start, p.end, dim="cause", key=term)["cause"][0] == 1


@pytest.mark.django_db
def test_incremental_roll_up_adds_only_new_events(cast):
    o = new_order(cast)
    rollup.roll_up()
    assert sums(DAY, DAY)["created"][0] == 1
    drive(cast, o, "closed", lead=EDU)
    new_order(cast)
    rollup.roll_up()
    s = sums(DAY, DAY)
    assert s["created"][0] == 2 and s["closed"][0] == 1 and s["dispatched"][0] == 1
    cur = RollupCursor.objects.get(source="events")
    assert cur.last_id == Event.objects.order_by("-id").first().id


@pytest.mark.django_db
def test_gap_below_cursor_is_picked_up_later(cast):
    """An event whose id is below the cursor when it commits (a slow transaction) is still counted."""
    new_order(cast)
    new_order(cast)
    events = list(Event.objects.order_by("id"))
    # Pretend the first order's event was not visible yet: roll up only what is above it.
    cursor, _ = RollupCursor.objects.get_or_create(source="events")
    first = events[0]
    cursor.last_id = first.id - 1
    cursor.save()
    hidden = Event.objects.filter(pk=first.pk).values_list("pk", flat=True)
    assert list(hidden) == [first.pk]
    # Simulate: roll_up saw ids first+1.. only (the first was "missing"), so it records it as a gap.
    RollupCursor.objects.filter(source="events").update(last_id=first.id, gaps={str(first.id): T0.isoformat()})
    rollup.roll_up(now=T0 + timedelta(seconds=5))
    assert sums(DAY, DAY)["created"][0] == 2
    assert RollupCursor.objects.get(source="events").gaps == {}


@pytest.mark.django_db
def test_indicators_and_league(cast):
    _world(cast)
    rollup.roll_up()
    p = Period("custom", DAY, DAY + timedelta(days=5))
    figures = {f["code"]: f for f in indicators(p)}
    closed = Event.objects.filter(kind="close").count()
    accepted = WorkOrder.objects.exclude(accepted_at=None).count()
    assert figures["completion_rate"]["value"] == pytest.approx(closed / accepted)
    cbs = Callback.objects.filter(outcome="reached")
    sat = cbs.filter(satisfaction="satisfied").count() + 0.9 * cbs.filter(satisfaction="basically").count()
    assert figures["satisfaction_rate"]["value"] == pytest.approx(sat / cbs.count())
    assert figures["avg_reply_days"]["value"] is not None
    # The previous period had nothing: no change can be computed, and nothing fails.
    assert figures["completion_rate"]["previous"] is None and figures["completion_rate"]["mom"] is None
    table = league(p)
    assert [r["code"] for r in table][:1] and {r["code"] for r in table} >= {EDU, CM}
    edu = next(r for r in table if r["code"] == EDU)
    assert edu["figures"]["dispatched_count"] == 3
    assert edu["figures"]["completion_rate"] == pytest.approx(1.0)
