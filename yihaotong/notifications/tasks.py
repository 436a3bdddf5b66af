"""Delivery of queued notifications, and the sweep of expired codes and counters."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .codes import sweep_codes
from .delivery import deliver_outbox
from .limits import sweep_counters


@db_periodic_task(crontab(minute="*"))
def deliver() -> int:
    return deliver_outbox()


@db_task()
def deliver_now(ids: list[int] | None = None) -> int:
    return deliver_outbox(ids=ids)


@db_periodic_task(crontab(minute="17"))
def sweep() -> int:
    return sweep_counters() + sweep_codes()
