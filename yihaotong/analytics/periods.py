"""Periods of the figures (day, week, month, year, custom) and their comparison periods. Pure: no ORM, no clock."""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_noop

from yihaotong.core.errors import Invalid

KINDS = ("day", "week", "month", "year", "custom")
MAX_DAYS = 3 * 366  # a custom period spans at most about three years
EARLIEST = date(2000, 1, 1)


def _shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _month_end(d: date) -> date:
    return d.replace(day=_cal.monthrange(d.year, d.month)[1])


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str:
        """The step of its trend chart."""
        return "month" if self.days > 92 else "day"

    def label(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "year":
            return f"{self.start:%Y}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def previous(self) -> Period:
        """The period before (month-on-month: the previous month; a custom span: the span just before)."""
        if self.kind == "month":
            start = (self.start - timedelta(days=1)).replace(day=1)
            return Period("month", start, _month_end(start))
        if self.kind == "year":
            return Period(
                "year", self.start.replace(year=self.start.year - 1), self.end.replace(year=self.end.year - 1)
            )
        return Period(self.kind, self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_ago(self) -> Period:
        start, end = _shift_year(self.start, -1), _shift_year(self.end, -1)
        if self.kind == "month":
            end = _month_end(start)
        return Period(self.kind, start, end)

    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(
            gettext_noop("Dates are written YYYY-MM-DD."), errors={field: [gettext_noop("Enter a valid date.")]}
        ) from None


def parse_period(kind: str, value: str = "", start: str = "", end: str = "", *, today: date) -> Period:
    """The period asked for; the current one of its kind when no value is given. Raises ``Invalid``."""
    kind = (kind or "month").strip()
    value = (value or "").strip()
    if kind not in KINDS:
        raise Invalid(
            gettext_noop("Unknown kind of period."), errors={"period": [gettext_noop("Choose a listed period.")]}
        )
    try:
        if kind == "day":
            d = date.fromisoformat(value) if value else today
            p = Period("day", d, d)
        elif kind == "week":
            d = date.fromisoformat(value) if value else today
            monday = d - timedelta(days=d.weekday())
            p = Period("week", monday, monday + timedelta(days=6))
        elif kind == "month":
            y, m = (int(x) for x in value.split("-")[:2]) if value else (today.year, today.month)
            first = date(y, m, 1)
            p = Period("month", first, _month_end(first))
        elif kind == "year":
            y = int(value) if value else today.year
            p = Period("year", date(y, 1, 1), date(y, 12, 31))
        else:
            a, b = _date(start, "start"), _date(end, "end")
            if b < a:
                raise Invalid(
                    gettext_noop("The period ends before it starts."),
                    errors={"end": [gettext_noop("Choose an end on or after the start.")]},
                )
            if (b - a).days + 1 > MAX_DAYS:
                raise Invalid(
                    gettext_noop("A custom period spans at most three years."),
                    errors={"end": [gettext_noop("Choose a shorter period.")]},
                )
            p = Period("custom", a, b)
    except Invalid:
        raise
    except (TypeError, ValueError):
        raise Invalid(
            gettext_noop("The period is not a valid date."),
            errors={"value": [gettext_noop("Write a day as 2026-03-09, a month as 2026-03, a year as 2026.")]},
        ) from None
    if p.start < EARLIEST or p.end.year > today.year + 1:
        raise Invalid(
            gettext_noop("The period is outside the years this system has data for."),
            errors={"value": [gettext_noop("Choose a period between 2000 and next year.")]},
        )
    return p
