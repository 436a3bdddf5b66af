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


def _plan_mode_rows(cast):
    from django.db.models.expressions import RawSQL

    _orders(cast, 3)
    return WorkOrder.objects.annotate(plan_mode=RawSQL("current_setting('plan_cache_mode')", [])).order_by("id")


def _current_plan_mode():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_lists_are_planned_for_their_own_filters_on_postgresql(cast):
    """Statements are prepared after five runs (settings); the lists' COUNT and page must not settle on a
    generic plan, so paginate runs them with plan_cache_mode = force_custom_plan, for that transaction only."""
    from django.db import connection

    from yihaotong.core.db import prepares_statements

    if connection.vendor != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    assert prepares_statements("default")  # the settings' default for PostgreSQL
    qs = _plan_mode_rows(cast)
    items, meta = paginate(qs, 1, 2)
    assert meta["total"] == 3
    assert {o.plan_mode for o in items} == {"force_custom_plan"}
    assert _current_plan_mode() == "auto"  # not left on the connection for the actions


@pytest.mark.django_db(transaction=True)
def test_without_prepared_statements_paginate_sets_nothing(cast, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yihaotong.core.db import prepares_statements

    qs = WorkOrder.objects.order_by("id")
    _orders(cast, 2)
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = dict(options)
    options["prepare_threshold"] = None
    try:
        assert not prepares_statements("default")
        with CaptureQueriesContext(connection) as ctx:
            paginate(qs, 1, 1)
    finally:
        options.clear()
        options.update(saved)
    assert [q["sql"] for q in ctx.captured_queries if "plan_cache_mode" in q["sql"]] == []
    assert len(ctx.captured_queries) == 2  # the COUNT and the page
