"""Periodic work: the deadline-warning sweep."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .actions import do_sweep_warnings


@db_periodic_task(crontab(minute="*"))
def sweep_warnings() -> int:
    """Raise yellow and red warnings whose time has come (every minute)."""
    return do_sweep_warnings()
