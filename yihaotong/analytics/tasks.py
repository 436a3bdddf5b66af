"""Periodic work: roll up new events every minute, look for hot spots every hour, the monthly report."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .actions import do_detect_hotspots, do_monthly_report_if_due
from .rollup import roll_up


@db_periodic_task(crontab(minute="*"))
@lock_task("analytics-rollup")
def roll_up_events() -> int:
    """Add the events and contacts recorded since the last run to the rollup buckets."""
    return roll_up()


@db_periodic_task(crontab(minute="7"))
@lock_task("analytics-hotspots")
def detect_hotspots() -> int:
    """Raise or update hot-spot alerts (every hour)."""
    return len(do_detect_hotspots())


@db_periodic_task(crontab(hour="6", minute="30"))
def monthly_report() -> bool:
    """On the first working day of a month, generate the previous month's report."""
    return do_monthly_report_if_due() is not None
