"""The periodic warning sweep as huey runs it: through a real queue when Redis is configured."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.factories import EDU, T0, new_order
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Event
from yihaotong.workorders.tasks import sweep_warnings


def _overdue_order(cast):
    order = new_order(cast, request_type="consult")
    A.do_dispatch_order(cast.dispatcher, order.pk, lead_unit_id=cast.unit(EDU).pk, now=T0)
    return order


@pytest.mark.django_db
def test_sweep_task_raises_warnings(cast):
    order = _overdue_order(cast)
    # The task runs with the real clock; the order was dispatched in March 2026, so it is long overdue.
    result = sweep_warnings.call_local()
    assert result >= 1
    assert Event.objects.filter(order=order, kind="warning_red").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (the PostgreSQL + Redis run)")
def test_sweep_goes_through_a_real_redis_queue(cast):
    from huey import RedisHuey

    huey = RedisHuey(name=f"yht-test-{os.getpid()}", url=os.environ["REDIS_URL"])
    huey.flush()
    task_fn = huey.task()(A.do_sweep_warnings)
    order = _overdue_order(cast)
    task_fn(now=T0 + timedelta(days=30))  # enqueued in Redis, not run
    assert huey.pending_count() == 1
    task = huey.dequeue()
    raised = huey.execute(task)
    assert raised >= 1
    assert Event.objects.filter(order=order, kind="warning_red").count() == 1
    huey.flush()
