"""Periodic work: calls that rang out without an answer or a reported end become missed calls."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .actions import do_expire_unanswered


@db_periodic_task(crontab(minute="*"))
def expire_unanswered_calls() -> int:
    return do_expire_unanswered()
