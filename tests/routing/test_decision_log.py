"""Decisions taken in the consoles (create, classify, dispatch) are recorded against the suggestion."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import EDU, cast_for_module, drive, new_order
from yihaotong.routing.actions import do_record_decisions_from_events
from yihaotong.routing.loader import invalidate_models
from yihaotong.routing.models import DecisionCursor, SuggestionDecision
from yihaotong.routing.suggest import suggest
from yihaotong.routing.tasks import record_routing_decisions
from yihaotong.workorders import actions as A


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as cast:
        yield cast


@pytest.fixture
def cast(_module_cast, db):
    invalidate_models()
    return _module_cast


def test_create_classify_and_dispatch_are_recorded_once(cast):
    order = new_order(cast, subject="夜间施工扰民", text="工地每晚打桩到凌晨，吵得无法入睡", category="URB-01-01")
    A.do_classify_order(cast.dispatcher, order.pk, category="URB-01-01")
    drive(cast, order, "dispatched", lead=EDU)
    expected = suggest(order.text, subject=order.subject, address=order.address, channel=order.channel)

    recorded, read = do_record_decisions_from_events()
    assert recorded == 3 and read >= 3
    rows = {r.field: r for r in SuggestionDecision.objects.filter(order=order)}
    assert set(rows) == {"request_type", "category", "unit"}
    assert rows["request_type"].chosen == "complaint" and rows["request_type"].actor == cast.operator
    assert rows["category"].chosen == "URB-01-01" and rows["category"].actor == cast.dispatcher
    assert rows["unit"].chosen == EDU and rows["unit"].actor == cast.dispatcher
    for field, row in rows.items():
        top = getattr(expected, field)[0] if getattr(expected, field) else None
        assert row.suggested == (top.code if top else "")
        assert row.accepted is (top is not None and top.code == row.chosen)
        assert row.source == expected.sources.get(field, "")
    # The catalogue suggests this category first: accepted; the unit chosen is not the one suggested.
    assert rows["category"].accepted is True and rows["category"].source == "catalogue"
    assert rows["unit"].accepted is False
    assert DecisionCursor.objects.get(pk=1).last_event_id > 0

    # Read again: nothing new is recorded twice.
    assert do_record_decisions_from_events() == (0, 0)
    assert SuggestionDecision.objects.filter(order=order).count() == 3


def test_a_decision_recorded_through_the_api_is_not_counted_twice(cast):
    now = timezone.now()  # the API records its decision at the present time
    order = new_order(cast, now=now)
    c = Client()
    c.force_login(cast.dispatcher)
    resp = c.post(
        f"/api/v1/routing/orders/{order.pk}/suggestion/decision",
        {"field": "unit", "suggested": EDU, "chosen": EDU},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    drive(cast, order, "dispatched", lead=EDU, now=now)
    record_routing_decisions.call_local()
    rows = list(SuggestionDecision.objects.filter(order=order, field="unit"))
    assert len(rows) == 1 and rows[0].accepted is True
    # The request type the operator chose at intake is still recorded.
    assert SuggestionDecision.objects.filter(order=order, field="request_type", chosen="complaint").count() == 1


def test_system_events_are_skipped(cast):
    order = new_order(cast, actor=cast.operator)
    A.do_classify_order(cast.dispatcher, order.pk, category="URB-01-01")
    do_record_decisions_from_events()
    before = SuggestionDecision.objects.count()
    # A batch of 1 walks the log one event at a time; the cursor moves past every event it read.
    order2 = new_order(cast)
    cursor = DecisionCursor.objects.get(pk=1).last_event_id
    assert do_record_decisions_from_events(batch=1) == (1, 1)
    assert DecisionCursor.objects.get(pk=1).last_event_id > cursor
    assert SuggestionDecision.objects.count() == before + 1
    assert SuggestionDecision.objects.filter(order=order2).count() == 1
