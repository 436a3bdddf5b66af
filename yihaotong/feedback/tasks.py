"""Periodic work: remind units of rectifications due soon, tell units and supervisors about overdue ones
(every morning)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .actions import do_sweep_rectifications


@db_periodic_task(crontab(hour="8", minute="0"))
def sweep_rectifications() -> int:
    return do_sweep_rectifications()
