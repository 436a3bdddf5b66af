"""Query counts of the lists and the detail do not grow with the rows (no N+1)."""

from __future__ import annotations

from django.utils import timezone

from tests.factories import new_order
from yihaotong.workorders import actions as A

from .conftest import ok

EDU, CM, CAOSHI = "QY-D-EDU", "QY-D-CM", "510105002"


def _dispatched(api, n: int, supports=(CM, CAOSHI)):
    cast, now = api.cast, timezone.now()
    out = []
    for i in range(n):
        order = new_order(cast, now=now, subject=f"噪音投诉 {i}", community=None)
        A.do_dispatch_order(
            cast.dispatcher,
            order.pk,
            lead_unit_id=cast.unit(EDU).pk,
            support_unit_ids=[cast.unit(u).pk for u in supports],
            now=now,
        )
        out.append(order)
    return out


# Per request: the session, the user, the user's roles; then the page's count and rows (a unit admin also reads
# the unit's path to include its sub-units). The detail reads the order and its assignments, and for a unit
# member whether the unit holds an active part (which decides the moves offered).
LIST_QUERIES = {"dispatcher": 5, "edu": 5, "caoshi": 5, "edu_admin": 6}
DETAIL_QUERIES = {"dispatcher": 5, "edu": 6}


def _list(api, user, expected: int, rows: int, django_assert_num_queries):
    ok(api.get(user, "/orders"))  # warm the policy cache, as in a running process
    with django_assert_num_queries(expected):
        body = ok(api.get(user, "/orders", {"page_size": 100}))
    assert len(body["items"]) == rows


def test_order_list_queries_do_not_grow_with_rows(api, django_assert_num_queries):
    users = {name: getattr(api.cast, name) for name in LIST_QUERIES}
    _dispatched(api, 5)
    for name, user in users.items():
        _list(api, user, LIST_QUERIES[name], 5, django_assert_num_queries)
    _dispatched(api, 25)
    for name, user in users.items():
        _list(api, user, LIST_QUERIES[name], 30, django_assert_num_queries)


def test_order_detail_queries_do_not_grow_with_assignments(api, django_assert_num_queries):
    one = _dispatched(api, 1, supports=())[0]
    three = _dispatched(api, 1, supports=(CM, CAOSHI))[0]
    for name, expected in DETAIL_QUERIES.items():
        user = getattr(api.cast, name)
        ok(api.get(user, f"/orders/{one.pk}"))
        for order, n in ((one, 1), (three, 3)):
            with django_assert_num_queries(expected):
                body = ok(api.get(user, f"/orders/{order.pk}"))
            assert len(body["assignments"]) == n


def test_events_queries_do_not_grow_with_events(api, django_assert_num_queries):
    order = _dispatched(api, 1)[0]
    ok(api.get(api.cast.dispatcher, f"/orders/{order.pk}/events"))
    with django_assert_num_queries(5):
        assert len(ok(api.get(api.cast.dispatcher, f"/orders/{order.pk}/events"))) == 2
    for i in range(4):
        A.do_add_note(api.cast.edu, order.pk, text=f"备注{i}")
    with django_assert_num_queries(5):
        assert len(ok(api.get(api.cast.dispatcher, f"/orders/{order.pk}/events"))) == 6
