"""Writes to the working-day calendar (architecture.md §3.1: every write goes through an action).

Each action runs in one transaction and writes nothing on failure. After commit the in-process calendar
cache and the staff banner's cache are dropped; other processes pick the change up within
``loader.CACHE_SECONDS``.
"""

from __future__ import annotations

import logging
from datetime import date

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yihaotong.core.errors import Invalid, NotFound

from . import calendar_seed
from .loader import BANNER_CACHE_KEY, invalidate_calendar
from .models import CalendarDay, CalendarYear

logger = logging.getLogger(__name__)

MIN_YEAR = 2000
MAX_YEAR = 2100
NAME_MAX = CalendarDay._meta.get_field("name").max_length


def _forget_cached_calendar() -> None:
    invalidate_calendar()
    cache.delete(BANNER_CACHE_KEY)


def _calendar_changed() -> None:
    # At once, so that reads later in this transaction see the change; again after commit, in case
    # another thread of this process reloaded the old rows in between.
    invalidate_calendar()
    transaction.on_commit(_forget_cached_calendar)


def _kind_errors(day: date, kind: str) -> list[str]:
    """Return why ``day`` cannot be a calendar exception of ``kind`` (the weekday rule)."""
    if kind == CalendarDay.Kind.HOLIDAY and day.weekday() >= 5:
        return [
            _("%(date)s is a Saturday or Sunday, which is off anyway; only weekdays can be holidays.")
            % {"date": day.isoformat()}
        ]
    if kind == CalendarDay.Kind.WORKDAY and day.weekday() < 5:
        return [
            _(
                "%(date)s is a weekday, which is a working day anyway; a make-up working day falls on "
                "a Saturday or Sunday."
            )
            % {"date": day.isoformat()}
        ]
    return []


def calendar_year_errors(
    *, year: int, holidays: list[tuple[date, str]], workdays: list[tuple[date, str]]
) -> dict[str, list[str]]:
    """Return the field errors of a year's calendar (empty if it is valid)."""
    errors: dict[str, list[str]] = {}
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = [_("The year must lie between %(min)s and %(max)s.") % {"min": MIN_YEAR, "max": MAX_YEAR}]
    seen: dict[date, str] = {}
    for field, kind, days in (
        ("holidays", CalendarDay.Kind.HOLIDAY, holidays),
        ("workdays", CalendarDay.Kind.WORKDAY, workdays),
    ):
        messages: list[str] = []
        for day, name in days:
            if day.year != year:
                messages.append(_("%(date)s is not in %(year)s.") % {"date": day.isoformat(), "year": year})
            messages += _kind_errors(day, kind)
            if len(name) > NAME_MAX:
                messages.append(
                    _("The name of %(date)s is longer than %(max)s characters.")
                    % {"date": day.isoformat(), "max": NAME_MAX}
                )
            if day in seen:
                messages.append(
                    _("%(date)s is listed twice.") % {"date": day.isoformat()}
                    if seen[day] == field
                    else _("%(date)s cannot be both a holiday and a make-up working day.") % {"date": day.isoformat()}
                )
            seen.setdefault(day, field)
        if messages:
            errors[field] = messages
    return errors


@transaction.atomic
def do_set_calendar_year(
    *,
    year: int,
    holidays: list[tuple[date, str]],
    workdays: list[tuple[date, str]],
    source: str = "admin",
    notice: str = "",
) -> CalendarYear:
    """Replace a year's calendar with these holidays (weekdays off) and make-up working days (weekends)."""
    errors = calendar_year_errors(year=year, holidays=holidays, workdays=workdays)
    if not source or len(source) > 64:
        errors["source"] = [_("The source must be 1 to 64 characters long.")]
    if len(notice) > 255:
        errors["notice"] = [_("The notice must be at most 255 characters long.")]
    if errors:
        raise Invalid(_("The calendar of %(year)s is invalid.") % {"year": year}, errors=errors)
    CalendarDay.objects.filter(date__year=year).delete()
    entry, _created = CalendarYear.objects.update_or_create(year=year, defaults={"source": source, "notice": notice})
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, kind=CalendarDay.Kind.HOLIDAY, name=name) for d, name in holidays]
        + [CalendarDay(date=d, kind=CalendarDay.Kind.WORKDAY, name=name) for d, name in workdays]
    )
    logger.info(
        "calendar %s set from %s: %d holidays, %d make-up working days",
        year,
        source,
        len(holidays),
        len(workdays),
    )
    _calendar_changed()
    return entry


@transaction.atomic
def do_update_calendar_year(*, year: int, source: str, notice: str) -> CalendarYear:
    """Change where a known year's data came from (source, notice) without touching its days."""
    entry = CalendarYear.objects.select_for_update().filter(year=year).first()
    if entry is None:
        raise NotFound(_("No calendar for %(year)s.") % {"year": year})
    entry.source, entry.notice = source, notice
    try:
        entry.full_clean()
    except ValidationError as exc:
        raise Invalid(_("Invalid calendar year."), errors=exc.message_dict) from exc
    entry.save()
    _calendar_changed()
    return entry


@transaction.atomic
def do_delete_calendar_year(year: int) -> None:
    """Forget a year: delete its row and its days; deadlines in it then raise CalendarMissing."""
    deleted, _rows = CalendarYear.objects.filter(year=year).delete()
    if not deleted:
        raise NotFound(_("No calendar for %(year)s.") % {"year": year})
    CalendarDay.objects.filter(date__year=year).delete()
    logger.info("calendar %s deleted", year)
    _calendar_changed()


@transaction.atomic
def do_seed_calendar_from_package(*, years: list[int] | None = None) -> list[int]:
    """Create the years that the ``chinesecalendar`` package knows and the table lacks; return them.

    Years already in the table are left alone (idempotent). ``years`` limits the seeding; asking for a
    year the package does not know is an error.
    """
    known = calendar_seed.package_years()
    if years is not None:
        unknown = sorted(set(years) - set(known))
        if unknown:
            raise Invalid(
                _("The chinesecalendar package knows %(first)s to %(last)s only.")
                % {"first": known[0], "last": known[-1]},
                errors={"years": [_("not in the package: %(year)s") % {"year": y} for y in unknown]},
            )
    created = calendar_seed.seed_from_package(CalendarYear, CalendarDay, years=years)
    if created:
        logger.info("calendar seeded from %s: %s", calendar_seed.package_source(), created)
        _calendar_changed()
    return created


def calendar_day_rule_errors(day_date: date, kind: str) -> dict[str, list[str]]:
    """Return the calendar rules a day breaks: its year must be known, and the weekday rule."""
    errors: dict[str, list[str]] = {}
    if not CalendarYear.objects.filter(year=day_date.year).exists():
        errors["date"] = [_("%(year)s has no calendar yet: add the year first.") % {"year": day_date.year}]
    kind_errors = _kind_errors(day_date, kind)
    if kind_errors:
        errors["kind"] = kind_errors
    return errors


def calendar_day_errors(day: CalendarDay) -> dict[str, list[str]]:
    """Return the field errors of one calendar day: fields and uniqueness, then the calendar rules."""
    try:
        day.full_clean()
        errors: dict[str, list[str]] = {}
    except ValidationError as exc:
        errors = {key: list(messages) for key, messages in exc.message_dict.items()}
    if isinstance(day.date, date):
        for key, messages in calendar_day_rule_errors(day.date, day.kind).items():
            errors.setdefault(key, []).extend(messages)
    return errors


def _touch_years(*years: int) -> None:
    CalendarYear.objects.filter(year__in=set(years)).update(updated_at=timezone.now())


@transaction.atomic
def do_save_calendar_day(day: CalendarDay) -> CalendarDay:
    """Create or change one holiday or make-up working day of a known year."""
    previous = CalendarDay.objects.select_for_update().filter(pk=day.pk).first() if day.pk else None
    errors = calendar_day_errors(day)
    if errors:
        raise Invalid(_("Invalid calendar day."), errors=errors)
    day.save()
    _touch_years(day.date.year, *([previous.date.year] if previous else []))
    logger.info("calendar day %s saved: %s %s", day.date, day.kind, day.name)
    _calendar_changed()
    return day


@transaction.atomic
def do_delete_calendar_day(day: CalendarDay) -> None:
    """Delete one holiday or make-up working day; the date falls back to the Monday-to-Friday rule."""
    deleted, _rows = CalendarDay.objects.filter(pk=day.pk).delete()
    if not deleted:
        raise NotFound(_("No such calendar day."))
    _touch_years(day.date.year)
    logger.info("calendar day %s deleted", day.date)
    _calendar_changed()
