"""Races that only a real multi-connection database can show (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.factories import EDU, T0, build_cast, new_order
from yihaotong.core.errors import DomainError
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Event, WorkOrder

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"),
]


def run_concurrently(n: int, fn) -> list:
    """Run ``fn(i)`` in ``n`` threads released together; return each result or raised exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_concurrent_dispatches_one_wins():
    cast = build_cast()
    order = new_order(cast)
    lead = cast.unit(EDU).pk

    results = run_concurrently(2, lambda i: A.do_dispatch_order(cast.dispatcher, order.pk, lead_unit_id=lead, now=T0))
    wins = [r for r in results if isinstance(r, WorkOrder)]
    losses = [r for r in results if isinstance(r, DomainError)]
    assert len(wins) == 1, results
    assert len(losses) == 1 and losses[0].status == 409, results
    assert order.assignments.count() == 1
    assert Event.objects.filter(order=order, kind="dispatch").count() == 1


def test_two_concurrent_signs_one_wins():
    cast = build_cast()
    order = new_order(cast)
    A.do_dispatch_order(cast.dispatcher, order.pk, lead_unit_id=cast.unit(EDU).pk, now=T0)

    results = run_concurrently(2, lambda i: A.do_sign_assignment([cast.edu, cast.edu_admin][i], order.pk, now=T0))
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1 and errors[0].status == 409, results
    assert Event.objects.filter(order=order, kind="sign").count() == 1
    order.refresh_from_db()
    assert order.state == "in_progress"


def test_fifty_concurrent_creations_get_unique_numbers():
    cast = build_cast()
    results = run_concurrently(50, lambda i: new_order(cast, subject=f"并发创建 {i}").number)
    assert all(isinstance(r, str) for r in results), [r for r in results if not isinstance(r, str)][:3]
    assert len(set(results)) == 50
    assert sorted(results)[0].endswith("-0001") and sorted(results)[-1].endswith("-0050")
