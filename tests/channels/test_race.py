"""Two deliveries of the same upstream id at the same moment make one order (PostgreSQL: real concurrent
transactions; the unique constraint decides, the loser reads the winner's row)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from yihaotong.channels.actions import do_receive_transfer
from yihaotong.channels.models import Transfer
from yihaotong.workorders.models import WorkOrder

from .conftest import row

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")


@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_make_one_order(cast, mayor):
    from yihaotong.accounts.models import User

    n = 4
    barrier = threading.Barrier(n)
    results, errors = [], []

    def call():
        try:
            account = User.objects.get(pk=mayor.account_id)
            barrier.wait(timeout=10)
            results.append(do_receive_transfer(account, row(upstream_id="RACE-1")).result)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(results) == ["created"] + ["unchanged"] * (n - 1)
    assert Transfer.objects.filter(upstream_id="RACE-1").count() == 1
    assert WorkOrder.objects.filter(upstream_ref="RACE-1").count() == 1
