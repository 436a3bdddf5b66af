"""Helpers of the API tests: logged-in clients per user, problem assertions, orders at the present time.

API calls run at the real present (the endpoints take no ``now``), so the orders they act on are created
and driven at the present too, and the calendar knows the present year (a provisional year without
holidays is entered when the package stops short of it, the way an admin would enter one).
"""

from __future__ import annotations

import dataclasses

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.factories import drive, new_order

API = "/api/v1"


class Api:
    """Session clients per user (force_login) with JSON helpers; paths are relative to /api/v1."""

    def __init__(self, cast):
        self.cast = cast
        self._clients: dict[int, Client] = {}

    def client(self, user) -> Client:
        if user.pk not in self._clients:
            c = Client()
            c.force_login(user)
            self._clients[user.pk] = c
        return self._clients[user.pk]

    def get(self, user, path: str, params: dict | None = None):
        return self.client(user).get(API + path, params or {})

    def post(self, user, path: str, data: dict | None = None):
        return self.client(user).post(API + path, data if data is not None else {}, content_type="application/json")


def assert_problem(resp, status: int, code: str | None = None) -> dict:
    """Assert an RFC 7807 problem document with this status; return its body."""
    assert resp.status_code == status, (resp.status_code, resp.content[:500])
    assert resp["Content-Type"].split(";")[0] in ("application/json", "application/problem+json")
    body = resp.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["type"].endswith(f"/problems/{code}"), body
    return body


def ok(resp, status: int = 200) -> dict | list:
    assert resp.status_code == status, (resp.status_code, resp.content[:800])
    return resp.json()


@pytest.fixture(scope="package")
def _api_world(django_db_setup, django_db_blocker):
    """Seed the directory, the calendar and the cast once for the package, inside a transaction rolled back
    at the end; every test runs in a savepoint within it (pytest-django's per-test transaction)."""
    from tests.factories import build_cast
    from yihaotong.worktime.actions import do_set_calendar_year
    from yihaotong.worktime.models import CalendarYear

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            cast = build_cast()
            this_year = timezone.localdate().year
            for year in (this_year, this_year + 1):
                if not CalendarYear.objects.filter(year=year).exists():
                    do_set_calendar_year(year=year, holidays=[], workdays=[], source="test-provisional")
            yield {f.name: getattr(cast, f.name).pk for f in dataclasses.fields(cast) if f.name != "units"}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def api(db, _api_world) -> Api:
    """The cast, reloaded for this test (tests change users; the rows roll back, Python objects would not)."""
    from tests.factories import Cast
    from yihaotong.accounts.models import User
    from yihaotong.directory.models import Unit

    users = User.objects.in_bulk(list(_api_world.values()))
    units = {u.code: u for u in Unit.objects.all()}
    return Api(Cast(**{name: users[pk] for name, pk in _api_world.items()}, units=units))


@pytest.fixture
def make_order(api):
    """Create an order now (by the operator unless ``actor``) and drive it to ``state`` along the main path."""

    def make(state: str = "pending_dispatch", *, lead: str = "QY-D-EDU", supports=(), **overrides):
        now = timezone.now()
        if state == "submitted":
            overrides.setdefault("actor", api.cast.integration)
        order = new_order(api.cast, now=now, **overrides)
        if state != order.state:
            order = drive(api.cast, order, state, now=now, lead=lead, supports=supports)
        assert order.state == state
        return order

    return make
