"""Delivery of queued notifications."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .delivery import deliver_outbox


@db_periodic_task(crontab(minute="*"))
def deliver() -> int:
    return deliver_outbox()
