"""Working-day arithmetic on an explicit calendar (pure: no ORM, no clock, no database).

A working day follows the State Council holiday notice of its year (国务院办公厅关于部分节假日安排的通知):
Monday to Friday, except the holidays that fall on a weekday, plus the make-up working days (调休) that
fall on a weekend. A year is known only if its notice has been entered; arithmetic that needs an unknown
year raises ``CalendarMissing`` instead of guessing (domain.md §5).

Days are local days in Asia/Shanghai; every datetime returned is aware and in UTC. A deadline of N
working days ends at the end of the Nth working day, i.e. at the local midnight that starts the next
calendar day. China has had no daylight saving time since 1991, so every local day lasts 24 hours.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from yihaotong.core.errors import Invalid

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = timedelta(days=1)
DAY_SECONDS = 86400.0

NEXT_DAY = "next_day"  # 收到工单的次日起算
SAME_DAY = "same_day"  # 接到之日起算
COUNT_FROM = (NEXT_DAY, SAME_DAY)

WORKING_DAYS = "wd"
HOURS = "h"
MINUTES = "min"


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (the name is what makemessages looks for)."""
    return message


class CalendarMissing(Invalid):
    """A computation needs a year whose holidays and make-up working days have not been entered."""

    code = "calendar_missing"
    title = "Working-day calendar missing"

    def __init__(self, year: int):
        super().__init__(
            f"No working-day calendar for {year}: enter the year's holidays and make-up working days "
            "(State Council notice) before deadlines in it can be computed.",
            year=year,
        )
        self.year = year


def _local(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (store UTC, compute in Asia/Shanghai)")
    return instant.astimezone(TZ)


def local_date(instant: datetime) -> date:
    """Return the Asia/Shanghai calendar date of an aware instant."""
    return _local(instant).date()


def local_midnight(day: date) -> datetime:
    """Return the start (00:00 Asia/Shanghai) of a local day, in UTC."""
    return datetime.combine(day, time(), tzinfo=TZ).astimezone(UTC)


def _midnight(ordinal: int) -> datetime:
    return datetime.combine(date.fromordinal(ordinal), time(), tzinfo=TZ).astimezone(UTC)


@dataclass(frozen=True)
class WorkCalendar:
    """The known years and their exceptions to the Monday-to-Friday rule.

    ``holidays`` are weekdays off; ``workdays`` are make-up working days on a weekend. Build it once
    (see ``loader.get_calendar``) and pass it into deadline arithmetic.
    """

    years: frozenset[int]
    holidays: frozenset[date]
    workdays: frozenset[date]
    # ordinal -> is working, for every day of every known year; a missing key means an unknown year.
    _flags: dict[int, bool] = field(init=False, repr=False, compare=False, hash=False)
    # ordinal -> local midnight in UTC, for the same days and the day after each year (deadline ends).
    _midnights: dict[int, datetime] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        flags: dict[int, bool] = {}
        midnights: dict[int, datetime] = {}
        holidays, workdays = self.holidays, self.workdays
        for year in self.years:
            first = date(year, 1, 1).toordinal()
            for ordinal in range(first, date(year, 12, 31).toordinal() + 2):
                d = date.fromordinal(ordinal)
                midnights[ordinal] = _midnight(ordinal)
                if d.year == year:
                    flags[ordinal] = (d.weekday() < 5 and d not in holidays) or d in workdays
        object.__setattr__(self, "_flags", flags)
        object.__setattr__(self, "_midnights", midnights)

    def _start_of(self, ordinal: int) -> datetime:
        start = self._midnights.get(ordinal)
        return start if start is not None else _midnight(ordinal)

    def _split(self, instant: datetime) -> tuple[int, timedelta]:
        """Return (ordinal of the local date, time elapsed since local midnight)."""
        ordinal = _local(instant).toordinal()
        return ordinal, instant - self._start_of(ordinal)

    def _working(self, ordinal: int) -> bool:
        flag = self._flags.get(ordinal)
        if flag is None:
            raise CalendarMissing(date.fromordinal(ordinal).year)
        return flag

    def is_working_day(self, d: date) -> bool:
        """Return whether ``d`` is a working day; raise CalendarMissing if its year is unknown."""
        return self._working(d.toordinal())

    def next_working_day(self, d: date, *, include_self: bool = False) -> date:
        """Return the first working day after ``d`` (or ``d`` itself if ``include_self`` and it works)."""
        ordinal = d.toordinal() + (0 if include_self else 1)
        while not self._working(ordinal):
            ordinal += 1
        return date.fromordinal(ordinal)

    def add_working_days(self, start: datetime, n: int, *, count_from: str = NEXT_DAY) -> datetime:
        """Return the end of the ``n``th working day counted from ``start``, in UTC.

        ``next_day`` (收到工单的次日起): day 1 is the first working day after the local date of ``start``.
        ``same_day`` (接到之日起): day 1 is that date itself if it is a working day, else the next one.
        The end of a day is the local midnight that starts the following calendar day.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        ordinal = _local(start).toordinal()
        if count_from == NEXT_DAY:
            ordinal += 1
        elif count_from != SAME_DAY:
            raise ValueError(f"count_from must be one of {COUNT_FROM}, not {count_from!r}")
        flags = self._flags
        while True:
            flag = flags.get(ordinal)
            if flag is None:
                raise CalendarMissing(date.fromordinal(ordinal).year)
            if flag:
                n -= 1
                if n == 0:
                    return self._start_of(ordinal + 1)
            ordinal += 1

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Return the seconds of [a, b) that fall on working days; negative if ``b`` is before ``a``.

        Only the days that [a, b) overlaps must be known: an end at local midnight does not touch the
        day it starts.
        """
        if b < a:
            return -self.working_seconds_between(b, a)
        if a == b:
            return 0.0
        oa, off_a = self._split(a)
        ob, off_b = self._split(b)
        flags_get = self._flags.get
        if oa == ob:
            return (off_b - off_a).total_seconds() if self._working(oa) else 0.0
        total = timedelta()
        if self._working(oa):
            total += DAY - off_a
        whole = 0
        for ordinal in range(oa + 1, ob):
            flag = flags_get(ordinal)
            if flag is None:
                raise CalendarMissing(date.fromordinal(ordinal).year)
            whole += flag
        total += whole * DAY
        if off_b and self._working(ob):
            total += off_b
        return total.total_seconds()

    def working_days_between(self, a: datetime, b: datetime) -> float:
        """Return ``working_seconds_between(a, b)`` in days of 24 hours."""
        return self.working_seconds_between(a, b) / DAY_SECONDS

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """Move ``start`` by ``seconds`` counted on working days only; return the instant in UTC.

        Forward (``seconds`` > 0; e.g. a deadline extended by a paused span): time on a non-working
        day does not count, so a start on a non-working day counts from the next working day's start.
        The result is the earliest instant that reaches the count, so a span that ends exactly with a
        working day ends at its closing midnight. Backward (``seconds`` < 0) mirrors this: the result
        is the latest instant, so it lands on a working day's start rather than the previous one's end.
        Zero returns ``start`` unchanged.
        """
        remaining = timedelta(seconds=abs(seconds))
        if not remaining:
            return start.astimezone(UTC)
        ordinal, offset = self._split(start)
        flags = self._flags
        if seconds > 0:
            if self._working(ordinal):
                available = DAY - offset
                if remaining <= available:
                    return start.astimezone(UTC) + remaining
                remaining -= available
            while True:
                ordinal += 1
                flag = flags.get(ordinal)
                if flag is None:
                    raise CalendarMissing(date.fromordinal(ordinal).year)
                if flag:
                    if remaining <= DAY:
                        return self._start_of(ordinal) + remaining
                    remaining -= DAY
        # Backward. At local midnight nothing of the start's day lies before ``start``: do not touch it.
        if offset and self._working(ordinal):
            if remaining <= offset:
                return start.astimezone(UTC) - remaining
            remaining -= offset
        while True:
            ordinal -= 1
            flag = flags.get(ordinal)
            if flag is None:
                raise CalendarMissing(date.fromordinal(ordinal).year)
            if flag:
                if remaining <= DAY:
                    return self._start_of(ordinal) + (DAY - remaining)
                remaining -= DAY

    def working_day_start(self, due: datetime, n_back: int = 1) -> datetime:
        """Return the instant ``n_back`` whole working days of working time before ``due``, in UTC.

        Precisely: the latest instant ``w`` <= ``due`` with ``working_seconds_between(w, due)`` equal to
        ``n_back`` days. For a due at the end of working day D (every due ``add_working_days`` returns)
        this is the local-midnight start of the working day ``n_back - 1`` working days before D; so
        ``n_back=1`` gives the start of D, the yellow-warning instant "one working day remains" (预警).
        For a due inside a working day (a deadline extended by a paused span) it is the same local
        clock time ``n_back`` working days earlier.
        """
        if n_back < 1:
            raise ValueError(f"n_back must be at least 1, not {n_back}")
        return self.add_working_seconds(due, -n_back * DAY_SECONDS)


def add_clock(start: datetime, *, minutes: int = 0, hours: int = 0) -> datetime:
    """Return ``start`` plus a clock-time limit (urgent orders: holidays do not stop the clock), in UTC."""
    _local(start)  # refuse a naive datetime
    return start.astimezone(UTC) + timedelta(hours=hours, minutes=minutes)


def warning_instant(
    start: datetime, due: datetime, *, limit_kind: str, fraction: float = 0.25, calendar: WorkCalendar
) -> datetime:
    """Return when the yellow warning starts for a limit that runs from ``start`` to ``due`` (UTC).

    Working-day limits (``"wd"``): when one working day remains, never before ``start``. Clock limits
    (``"h"``, ``"min"``): when ``fraction`` of the limit remains (domain.md §5: 25 %).
    """
    if limit_kind == WORKING_DAYS:
        return max(calendar.working_day_start(due, 1), start.astimezone(UTC))
    if limit_kind in (HOURS, MINUTES):
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction must lie in [0, 1], not {fraction}")
        return (due - fraction * (due - start)).astimezone(UTC)
    raise ValueError(f"unknown limit kind {limit_kind!r}")


def calendar_from_days(years: Iterable[int], holidays: Iterable[date], workdays: Iterable[date]) -> WorkCalendar:
    """Build a WorkCalendar from plain collections."""
    return WorkCalendar(years=frozenset(years), holidays=frozenset(holidays), workdays=frozenset(workdays))


def calendar_from_package(years: list[int] | None = None) -> WorkCalendar:
    """Build a WorkCalendar straight from the ``chinesecalendar`` package (tests, benchmarks)."""
    from .calendar_seed import package_days

    known, holidays, workdays = package_days(years)
    return calendar_from_days(known, (d for d, _ in holidays), (d for d, _ in workdays))


# Calendar gaps: the State Council usually publishes next year's notice in late October or November;
# from 1 November on, the missing next year is flagged so that admins enter it before deadlines spill.
NEXT_YEAR_WARNING_FROM = (11, 1)
CURRENT_YEAR_MISSING = "current"
NEXT_YEAR_MISSING = "next"
GAP_MESSAGES = {
    CURRENT_YEAR_MISSING: gettext_noop(
        "There is no working-day calendar for %(year)s, the current year: deadlines in working days "
        "cannot be computed. Enter the year's holidays and make-up working days from the State "
        "Council notice."
    ),
    NEXT_YEAR_MISSING: gettext_noop(
        "There is no working-day calendar for %(year)s yet: enter next year's holidays and make-up "
        "working days from the State Council notice before deadlines reach the new year."
    ),
}


def calendar_gaps(today: date, known_years: Iterable[int]) -> list[tuple[str, int]]:
    """Return the missing calendar years worth a warning on ``today``, as (kind, year) pairs.

    The current year is always needed; the next year from 1 November on.
    """
    known = set(known_years)
    gaps = []
    if today.year not in known:
        gaps.append((CURRENT_YEAR_MISSING, today.year))
    if (today.month, today.day) >= NEXT_YEAR_WARNING_FROM and today.year + 1 not in known:
        gaps.append((NEXT_YEAR_MISSING, today.year + 1))
    return gaps


def calendar_warning(
    today: date, known_years: Iterable[int], *, translate: Callable[[str], str] = gettext_noop
) -> str | None:
    """Return the warning about missing calendar years on ``today``, or None if nothing is missing.

    The message is English; pass ``translate=gettext`` to get it in the active language.
    """
    gaps = calendar_gaps(today, known_years)
    if not gaps:
        return None
    return " ".join(translate(GAP_MESSAGES[kind]) % {"year": year} for kind, year in gaps)
