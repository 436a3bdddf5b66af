"""The unit inbox's tab counts (one UNION ALL statement) agree with the rows each tab lists, for a handler and
for a unit admin; a closed order's replied assignment counts nowhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import EDU, T0, cast_for_module, drive, new_order
from yihaotong.workorders import actions as A

NOW = T0 + timedelta(days=3)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.fixture(autouse=True)
def _pinned_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _orders(cast):
    for state, n in (("dispatched", 3), ("in_progress", 2), ("replied", 1), ("closed", 2)):
        for _ in range(n):
            drive(cast, new_order(cast, now=T0), state, now=T0, lead=EDU)
    returned = drive(cast, new_order(cast, now=T0), "dispatched", now=T0, lead=EDU)
    A.do_request_return(cast.edu, returned.pk, reason="不属于本单位职责", now=T0 + timedelta(hours=1))
    A.do_decide_return(
        cast.dispatcher,
        returned.applications.get().pk,
        approve=True,
        now=T0 + timedelta(hours=2),
    )


@pytest.mark.parametrize("who", ["edu", "edu_admin"])
def test_tab_counts_match_the_rows_of_each_tab(client, cast, who):
    _orders(cast)
    client.force_login(getattr(cast, who))
    response = client.get(reverse("consoles:inbox"))
    counts = {name: n for name, _label, n in response.context["sections"]}
    listed = {
        name: len(client.get(reverse("consoles:inbox"), {"section": name}, **HX).context["rows"]) for name in counts
    }
    assert counts == listed
    assert counts == {"to_sign": 3, "in_progress": 2, "replied": 1, "returned": 1}
