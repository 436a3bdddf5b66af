"""Filters, sorting and paging of GET /api/v1/orders, over the actor's visible orders only."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from tests.factories import TZ, drive, new_order
from yihaotong.workorders.actions import do_sweep_warnings

from .conftest import assert_problem, ok

EDU, CM, CAOSHI, SHAOCHENG = "QY-D-EDU", "QY-D-CM", "510105002", "510105005"


@pytest.fixture
def orders(api):
    """Four orders: o1 red-carded at EDU, o2 waiting, o3 at CM with 草市街 supporting, o4 closed by EDU."""
    cast, now = api.cast, timezone.now()
    o1 = new_order(cast, now=datetime(2026, 3, 9, 10, 0, tzinfo=TZ), subject="工地夜间施工噪音")
    drive(cast, o1, "dispatched", now=datetime(2026, 3, 9, 11, 0, tzinfo=TZ), lead=EDU)
    # 00:30 in Shanghai is still the 9th in UTC: days are local days.
    o2 = new_order(
        cast,
        now=datetime(2026, 3, 10, 0, 30, tzinfo=TZ),
        request_type="consult",
        category="ENV-01-01",
        street=SHAOCHENG,
        subject="餐馆油烟扰民",
        text="楼下餐馆油烟直排。",
        requester_phone="13900002222",
    )
    o3 = new_order(cast, now=datetime(2026, 3, 11, 23, 59, tzinfo=TZ), category="EDU-01-01", subject="入学划片")
    drive(cast, o3, "dispatched", now=now, lead=CM, supports=(CAOSHI,))
    o4 = new_order(cast, now=now, subject="已办结的噪音投诉")
    drive(cast, o4, "closed", now=now, lead=EDU)
    assert do_sweep_warnings(now=now) >= 1
    for o in (o1, o2, o3, o4):
        o.refresh_from_db()
    assert o1.warning_level == "red" and {o2.warning_level, o3.warning_level, o4.warning_level} == {"none"}
    return {"o1": o1, "o2": o2, "o3": o3, "o4": o4}


def _names(api, orders, user=None, **params) -> set[str]:
    body = ok(api.get(user or api.cast.dispatcher, "/orders", params))
    assert body["meta"]["total"] == len(body["items"])
    by_id = {o.pk: name for name, o in orders.items()}
    return {by_id[i["id"]] for i in body["items"]}


def _bad(api, field, **params):
    body = assert_problem(api.get(api.cast.dispatcher, "/orders", params), 422, "invalid")
    assert list(body["errors"]) == [field], body
    return body


FILTER_CASES = [
    ({}, {"o1", "o2", "o3", "o4"}),
    ({"state": "pending_dispatch"}, {"o2"}),
    ({"state": "open"}, {"o1", "o2", "o3"}),
    ({"state": "dispatched,closed"}, {"o1", "o3", "o4"}),
    ({"state": " closed , pending_dispatch "}, {"o2", "o4"}),
    ({"state": "open,closed"}, {"o1", "o2", "o3", "o4"}),
    ({"state": "answered"}, set()),
    ({"unit": EDU}, {"o1", "o4"}),
    ({"unit": CM}, {"o3"}),
    ({"assigned_unit": CAOSHI}, {"o3"}),
    ({"assigned_unit": CM}, {"o3"}),
    ({"assigned_unit": EDU, "state": "open"}, {"o1"}),
    ({"street": SHAOCHENG}, {"o2"}),
    ({"street": CAOSHI}, {"o1", "o3", "o4"}),
    ({"request_type": "consult"}, {"o2"}),
    ({"request_type": "complaint"}, {"o1", "o3", "o4"}),
    ({"category": "URB"}, {"o1", "o4"}),
    ({"category": "URB-01"}, {"o1", "o4"}),
    ({"category": "URB-01-01"}, {"o1", "o4"}),
    ({"category": "ENV"}, {"o2"}),
    ({"category": "EDU"}, {"o3"}),
    ({"category": "TRA"}, set()),
    ({"warning": "red"}, {"o1"}),
    ({"warning": "any"}, {"o1"}),
    ({"warning": "yellow"}, set()),
    ({"warning": "none"}, {"o2", "o3", "o4"}),
    ({"created_from": "2026-03-10"}, {"o2", "o3", "o4"}),
    ({"created_to": "2026-03-09"}, {"o1"}),
    ({"created_from": "2026-03-10", "created_to": "2026-03-11"}, {"o2", "o3"}),
    ({"q": "油烟"}, {"o2"}),
    ({"q": "噪音"}, {"o1", "o4"}),
    ({"q": "直排"}, {"o2"}),  # the full text
    ({"phone": "139-0000-2222"}, {"o2"}),
    ({"phone": "13800001234"}, {"o1", "o3", "o4"}),
    ({"review_candidate": "false"}, {"o1", "o2", "o3", "o4"}),
    ({"review_candidate": "true"}, set()),
    ({"state": "open", "street": CAOSHI, "request_type": "complaint"}, {"o1", "o3"}),
]


def test_filters(api, orders):
    # One fixture, every case; the failures are listed together.
    wrong = [(p, got, want) for p, want in FILTER_CASES if (got := _names(api, orders, **p)) != want]
    assert wrong == []


def test_filter_by_unit_id_and_number(api, orders):
    assert _names(api, orders, unit=str(api.cast.unit(CM).pk)) == {"o3"}
    # Street offices have all-digit codes (statistical codes): a code is never mistaken for an id.
    now = timezone.now()
    orders["o5"] = drive(api.cast, new_order(api.cast, now=now), "dispatched", now=now, lead=CAOSHI)
    assert _names(api, orders, unit=CAOSHI) == {"o5"}
    assert _names(api, orders, unit=str(api.cast.unit(CAOSHI).pk)) == {"o5"}
    assert _names(api, orders, q=orders["o3"].number) == {"o3"}
    assert _names(api, orders, q=orders["o3"].number.lower()) == {"o3"}
    assert _names(api, orders, due_before=timezone.now().isoformat()) == {"o1"}


def test_invalid_filters_are_422(api, orders):
    _bad(api, "state", state="bogus")
    assert _bad(api, "state", state="open,bogus,zzz")["errors"]["state"] == [
        "unknown state 'bogus'",
        "unknown state 'zzz'",
    ]
    _bad(api, "warning", warning="purple")
    _bad(api, "sort", sort="subject")
    _bad(api, "created_to", created_to="2026-13-01")
    _bad(api, "page", page="two")
    body = assert_problem(api.get(api.cast.dispatcher, "/orders", {"state": "bogus", "sort": "x"}), 422)
    assert set(body["errors"]) == {"state", "sort"}


def test_sorting(api, orders):
    def ids(sort):
        return [i["id"] for i in ok(api.get(api.cast.dispatcher, "/orders", {"sort": sort}))["items"]]

    by_created = sorted(orders.values(), key=lambda o: o.created_at)
    assert ids("created") == [o.pk for o in by_created]
    assert ids("-created") == [o.pk for o in reversed(by_created)]
    by_number = sorted(orders.values(), key=lambda o: o.number)
    assert ids("number") == [o.pk for o in by_number]
    assert ids("-number") == [o.pk for o in reversed(by_number)]
    due = ids("due")
    # SQLite and PostgreSQL put NULLs at different ends; the orders with a deadline keep their order.
    with_due = [o.pk for o in sorted((o for o in orders.values() if o.due_at), key=lambda o: o.due_at)]
    assert [i for i in due if i in with_due] == with_due


def test_paging(api, orders):
    first = ok(api.get(api.cast.dispatcher, "/orders", {"page_size": 3}))
    assert first["meta"] == {"page": 1, "page_size": 3, "total": 4, "pages": 2, "capped": False}
    second = ok(api.get(api.cast.dispatcher, "/orders", {"page_size": 3, "page": 2}))
    assert second["meta"] == {"page": 2, "page_size": 3, "total": 4, "pages": 2, "capped": False}
    assert len(first["items"]) == 3 and len(second["items"]) == 1
    assert {i["id"] for i in first["items"] + second["items"]} == {o.pk for o in orders.values()}
    beyond = ok(api.get(api.cast.dispatcher, "/orders", {"page_size": 3, "page": 9}))
    assert beyond["items"] == [] and beyond["meta"]["total"] == 4
    clamped = ok(api.get(api.cast.dispatcher, "/orders", {"page_size": 100000, "page": 0}))
    assert clamped["meta"] == {"page": 1, "page_size": 200, "total": 4, "pages": 1, "capped": False}
    filtered = ok(api.get(api.cast.dispatcher, "/orders", {"state": "open", "page_size": 2}))
    assert filtered["meta"]["total"] == 3 and filtered["meta"]["pages"] == 2


def test_units_see_only_their_orders(api, orders):
    c = api.cast
    assert _names(api, orders, c.edu) == {"o1", "o4"}
    assert _names(api, orders, c.edu_admin) == {"o1", "o4"}
    assert _names(api, orders, c.cm) == {"o3"}
    assert _names(api, orders, c.caoshi) == {"o3"}  # a supporting unit
    assert _names(api, orders, c.caoshi_admin) == {"o3"}
    assert _names(api, orders, c.community) == set()
    # filters narrow, never widen, what a unit sees
    assert _names(api, orders, c.edu, street=SHAOCHENG) == set()
    assert _names(api, orders, c.edu, unit=CM) == set()
    assert _names(api, orders, c.edu, state="open") == {"o1"}
    assert ok(api.get(c.edu, "/orders", {"q": orders["o2"].number}))["meta"]["total"] == 0
