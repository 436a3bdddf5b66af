"""The feedback lists and the session page load with a fixed number of queries whatever they hold."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yihaotong.feedback import actions as FA

from .conftest import dissatisfied_twice


def _queries(client, url) -> int:
    client.get(url)  # warm the policy and reference caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _world(cast, roster, n):
    session = FA.do_create_session(cast.supervisor, title=f"评议{n}", held_on=date(2026, 12, 1))
    for i in range(n):
        order = dissatisfied_twice(cast, subject=f"候选{i}")
        FA.do_add_case(cast.supervisor, session.pk, order_id=order.pk)
    for i in range(n):
        dissatisfied_twice(cast, subject=f"未加入{i}")
    FA.do_set_panel(cast.supervisor, session.pk, member_ids=[m.pk for m in roster])
    FA.do_open_session(cast.supervisor, session.pk)
    for case in session.cases.all():
        for m in roster:
            FA.do_score_case(m.user, case.pk, verdict="partly", score=3)
    return session


@pytest.mark.parametrize("name", ["feedback:sessions", "feedback:candidates", "session"])
def test_constant_queries(client, cast, roster, name):
    counts = []
    for n in (1, 3):
        session = _world(cast, roster, n)
        client.force_login(cast.supervisor)
        url = reverse("feedback:session", args=[session.pk]) if name == "session" else reverse(name)
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts
