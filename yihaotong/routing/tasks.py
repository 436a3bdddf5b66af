"""Periodic work: the weekly retraining of the routing models; the decisions taken in the consoles."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .actions import do_record_decisions_from_events, do_train_router_models

log = logging.getLogger(__name__)


@db_periodic_task(crontab(day_of_week="0", hour="3", minute="30"))
def train_router_weekly() -> dict:
    """Retrain the request-type, category and unit models every Sunday at 03:30 (guarded activation)."""
    report = do_train_router_models(None, activate="auto")
    for message in [r.message for r in report.results] + report.messages:
        log.warning("train-router: %s", message)
    return report.as_dict()


@db_periodic_task(crontab(minute="*"))
def record_routing_decisions() -> int:
    """Every minute: record what people chose at intake, classification and dispatch against the suggestion."""
    total, read = 0, 1
    while read:  # catch up in batches of events, each in its own transaction
        recorded, read = do_record_decisions_from_events()
        total += recorded
    return total
