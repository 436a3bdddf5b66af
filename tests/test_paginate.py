"""core.api.paginate: pages, bad page numbers, and the capped count of long lists."""

from __future__ import annotations

import pytest

from tests.factories import new_order
from yihaotong.core.api import paginate
from yihaotong.workorders.models import WorkOrder


def _orders(cast, n):
    for _ in range(n):
        new_order(cast)
    return WorkOrder.objects.order_by("id")


def test_exact_count_by_default(cast):
    qs = _orders(cast, 5)
    items, meta = paginate(qs, 2, 2)
    assert [o.pk for o in items] == [o.pk for o in qs[2:4]]
    assert meta == {"page": 2, "page_size": 2, "total": 5, "pages": 3, "capped": False}


def test_count_cap_says_there_are_more(cast):
    qs = _orders(cast, 5)
    items, meta = paginate(qs, 1, 2, count_cap=3)
    assert len(items) == 2
    assert meta["total"] == 3 and meta["capped"] is True and meta["pages"] == 2
    _items, meta = paginate(qs, 1, 2, count_cap=5)
    assert meta["total"] == 5 and meta["capped"] is False


def test_bad_page_numbers_mean_the_first_page(cast):
    qs = _orders(cast, 3)
    for bad in ("x", None, "-4", 0):
        items, meta = paginate(qs, bad, 2)
        assert meta["page"] == 1 and [o.pk for o in items] == [o.pk for o in qs[:2]]


def test_the_api_order_list_reports_capped(cast, client):
    from yihaotong.accounts.models import ApiToken  # noqa: F401 - the API accepts the staff session too

    _orders(cast, 2)
    client.force_login(cast.dispatcher)
    body = client.get("/api/v1/orders?page_size=1").json()
    assert body["meta"]["total"] == 2 and body["meta"]["capped"] is False and body["meta"]["pages"] == 2


def _prepared(sql_piece: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{sql_piece}%"])
        return cursor.fetchone()[0]


def test_lists_are_planned_for_their_own_filters_on_postgresql(cast):
    """Statements run five times are prepared (settings), and PostgreSQL then may use a generic plan that
    ignores the filter values; paginate sends the lists' COUNT and page unprepared (core.db.custom_plans)."""
    from django.db import connection

    from yihaotong.core.db import prepares_statements

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    if not prepares_statements("default"):
        pytest.skip("this database URL switches prepared statements off")
    _orders(cast, 3)
    qs = WorkOrder.objects.filter(subject__contains="测试").order_by("-id")
    threshold = connection.connection.prepare_threshold
    for _ in range(8):
        items, meta = paginate(qs, 1, 2)
    assert meta["total"] == len(list(qs.all())) and len(items) == min(2, meta["total"])
    assert _prepared("LIKE") == 0  # neither the COUNT nor the page
    assert connection.connection.prepare_threshold == threshold  # the actions keep preparing
    for _ in range(8):
        qs.all().count()  # the same COUNT outside paginate is prepared: the check above can see one
    assert _prepared("LIKE") >= 1


def test_paginate_sends_the_count_and_the_page_only(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _orders(cast, 2)
    qs = WorkOrder.objects.order_by("id")
    with CaptureQueriesContext(connection) as ctx:
        paginate(qs, 1, 1)
    assert len(ctx.captured_queries) == 2
