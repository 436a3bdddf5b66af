"""Load the WorkCalendar from the tables, cached in-process.

Calendar edits are rare; a process may see another process's edit up to ``CACHE_SECONDS`` late, and the
editing process invalidates its own cache at once (actions call ``invalidate_calendar`` on commit).
"""

from __future__ import annotations

import time

from .calendar import WorkCalendar, calendar_from_days
from .models import CalendarDay, CalendarYear

CACHE_SECONDS = 30.0
# Django cache key of the known years behind the staff banner (context_processors.calendar_banner).
BANNER_CACHE_KEY = "worktime:banner"

# (monotonic time loaded, calendar); replaced as a whole, so readers never see half an update.
_cache: tuple[float, WorkCalendar] | None = None


def get_calendar(*, refresh: bool = False) -> WorkCalendar:
    """Return the working-day calendar of the database (at most CACHE_SECONDS old unless ``refresh``)."""
    global _cache
    now = time.monotonic()
    cached = _cache
    if not refresh and cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    years = CalendarYear.objects.values_list("year", flat=True)
    holidays: list = []
    workdays: list = []
    for day, kind in CalendarDay.objects.order_by().values_list("date", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).append(day)
    calendar = calendar_from_days(years, holidays, workdays)
    _cache = (now, calendar)
    return calendar


def invalidate_calendar() -> None:
    """Drop the cached calendar so the next ``get_calendar`` reads the tables."""
    global _cache
    _cache = None
