"""Periodic work: make deliveries from new events, then send the due ones (every minute)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .actions import do_dispatch_events, do_send_due


@db_periodic_task(crontab(minute="*"))
def dispatch_and_send() -> dict:
    made = do_dispatch_events(limit=10_000)  # a big import makes thousands of events at once
    sent = do_send_due(batch=200)
    return {"made": made, **sent}
