"""System check: warn when this year's or next year's working-day calendar has not been entered."""

from __future__ import annotations

from datetime import date

from django.core import checks
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext

from .calendar import CURRENT_YEAR_MISSING, GAP_MESSAGES, calendar_gaps, local_date

NEXT_YEAR_MISSING_ID = "worktime.W001"
CURRENT_YEAR_MISSING_ID = "worktime.W002"


def local_today() -> date:
    """Return today's date in Asia/Shanghai (the edge where the clock is read)."""
    return local_date(timezone.now())


def known_calendar_years() -> set[int] | None:
    """Return the known years, or None if the table cannot be read (not migrated yet, no database)."""
    from .models import CalendarYear

    try:
        return set(CalendarYear.objects.values_list("year", flat=True))
    except DatabaseError:
        return None


def run_calendar_check(today: date) -> list[checks.CheckMessage]:
    """Return W002 if ``today``'s year has no calendar and W001 if next year's is due and missing."""
    known = known_calendar_years()
    if known is None:
        return []
    return [
        checks.Warning(
            gettext(GAP_MESSAGES[kind]) % {"year": year},
            hint=gettext(
                "Enter it in the admin (Calendar years, Calendar days) or with the management "
                "command: calendar import %(year)s --holidays ... --workdays ... --notice ..."
            )
            % {"year": year},
            id=CURRENT_YEAR_MISSING_ID if kind == CURRENT_YEAR_MISSING else NEXT_YEAR_MISSING_ID,
        )
        for kind, year in calendar_gaps(today, known)
    ]


@checks.register("worktime")
def check_next_year_calendar(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if app_configs is not None and not any(config.label == "worktime" for config in app_configs):
        return []
    return run_calendar_check(local_today())
