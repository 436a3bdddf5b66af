"""Template context: the staff banner about missing working-day calendar years (next year's only for the
system administrators who enter it; the current year's for all staff)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import DatabaseError
from django.utils.translation import gettext

from .calendar import calendar_warning
from .checks import local_today
from .loader import BANNER_CACHE_KEY

BANNER_CACHE_SECONDS = 300


def _is_staff(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_staff or getattr(user, "roles", None))


def calendar_banner(request) -> dict[str, str | None]:
    """Return ``calendar_warning``: the translated warning for staff, else None."""
    if not _is_staff(getattr(request, "user", None)):
        return {"calendar_warning": None}
    known = cache.get(BANNER_CACHE_KEY)
    if known is None:
        from .models import CalendarYear

        try:
            known = sorted(CalendarYear.objects.values_list("year", flat=True))
        except DatabaseError:
            return {"calendar_warning": None}
        cache.set(BANNER_CACHE_KEY, known, BANNER_CACHE_SECONDS)
    today = local_today()
    if not _keeps_the_calendar(request.user):
        # Next year's gap is the calendar keepers' to-do; everyone else is told only when deadlines of the
        # current year cannot be computed, which touches their work today.
        known = set(known) | {today.year + 1}
    return {"calendar_warning": calendar_warning(today, known, translate=gettext)}


def _keeps_the_calendar(user) -> bool:
    """System administrators (and superusers) enter the State Council's holidays (admin: 工作日历)."""
    from yihaotong.accounts import roles as R

    return bool(user.is_superuser or R.SYSADMIN in (getattr(user, "roles", None) or ()))
