"""Deadline and warning arithmetic for work orders. Pure: no ORM, no clock (``now`` is passed in).

Time limits come from the time-limit rules table (domain.md §5); the calendar from the worktime tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from yihaotong.worktime.calendar import WorkCalendar, add_clock

NONE = "none"
YELLOW = "yellow"
RED = "red"
LEVEL_RANK = {NONE: 0, YELLOW: 1, RED: 2}


@dataclass(frozen=True)
class Limit:
    value: int | None
    unit: str  # "wd" working days, "h" clock hours, "min" clock minutes, "" not set

    @property
    def is_set(self) -> bool:
        return bool(self.value) and bool(self.unit)


@dataclass(frozen=True)
class RuleView:
    """The part of a time-limit rule that the arithmetic needs (built from a model row)."""

    request_type: str | None
    urgency: str | None
    sign: Limit
    handle: Limit


@dataclass(frozen=True)
class Clock:
    start: datetime
    due: datetime
    warn_at: datetime
    unit: str


def pick_rule(rules: list[RuleView], request_type: str | None, urgency: str | None) -> RuleView | None:
    """Return the most specific rule: type+urgency, then urgency alone, then type alone.

    An urgency rule without a type (紧急, 特急) outranks a plain type rule because the hour clocks of
    urgent matters apply whatever the type (domain.md §5).
    """
    best = None
    best_rank = -1
    for rule in rules:
        if rule.request_type not in (None, request_type) or rule.urgency not in (None, urgency):
            continue
        rank = (2 if rule.urgency is not None else 0) + (1 if rule.request_type is not None else 0)
        if rank > best_rank:
            best, best_rank = rule, rank
    return best


def due_after(start: datetime, limit: Limit, calendar: WorkCalendar, *, count_from: str) -> datetime:
    """Return when a limit that starts at ``start`` runs out."""
    if not limit.is_set:
        raise ValueError("limit is not set")
    if limit.unit == "wd":
        return calendar.add_working_days(start, int(limit.value), count_from=count_from)
    if limit.unit == "h":
        return add_clock(start, hours=int(limit.value))
    if limit.unit == "min":
        return add_clock(start, minutes=int(limit.value))
    raise ValueError(f"unknown limit unit {limit.unit!r}")


def warn_before(
    start: datetime,
    due: datetime,
    unit: str,
    calendar: WorkCalendar,
    *,
    yellow_fraction: float,
    yellow_working_days: int = 1,
) -> datetime:
    """Return the yellow-warning instant: one working day left, or a fraction of an hour-based limit."""
    if unit == "wd":
        warn = calendar.working_day_start(due, yellow_working_days)
    else:
        warn = due - timedelta(seconds=(due - start).total_seconds() * yellow_fraction)
    return max(warn, start)


def make_clock(
    start: datetime,
    limit: Limit,
    calendar: WorkCalendar,
    *,
    count_from: str,
    yellow_fraction: float,
    yellow_working_days: int = 1,
) -> Clock:
    due = due_after(start, limit, calendar, count_from=count_from)
    warn = warn_before(
        start, due, limit.unit, calendar, yellow_fraction=yellow_fraction, yellow_working_days=yellow_working_days
    )
    return Clock(start=start, due=due, warn_at=warn, unit=limit.unit)


def clock_with_due(
    start: datetime,
    due: datetime,
    calendar: WorkCalendar,
    *,
    unit: str,
    yellow_fraction: float,
    yellow_working_days: int = 1,
) -> Clock:
    """Build a clock for a deadline given explicitly (by the dispatcher, or after an extension)."""
    warn = warn_before(
        start, due, unit, calendar, yellow_fraction=yellow_fraction, yellow_working_days=yellow_working_days
    )
    return Clock(start=start, due=due, warn_at=warn, unit=unit)


def warning_level(now: datetime, warn_at: datetime | None, due: datetime | None) -> str:
    if due is None:
        return NONE
    if now >= due:
        return RED
    if warn_at is not None and now >= warn_at:
        return YELLOW
    return NONE


def next_warning_instant(now: datetime, warn_at: datetime | None, due: datetime | None) -> datetime | None:
    """Return when the warning level of this clock next changes after ``now`` (None: it never will)."""
    if due is None:
        return None
    if warn_at is not None and now < warn_at:
        return warn_at
    if now < due:
        return due
    return None
