"""Read the ``chinesecalendar`` package and seed calendar tables from it.

No ORM import: ``seed_from_package`` takes the model classes, so the data migration can pass the
historical models from its ``apps`` registry and the action can pass the real ones.
"""

from __future__ import annotations

from datetime import date

# The stored values of CalendarDay.kind (models.CalendarDay.Kind); repeated here so that migrations and
# pure code do not import the models.
HOLIDAY = "holiday"
WORKDAY = "workday"


def package_version() -> str:
    """Return the installed ``chinesecalendar`` version."""
    import chinese_calendar

    return chinese_calendar.__version__


def package_source() -> str:
    """Return the ``CalendarYear.source`` of rows seeded from the package."""
    return f"chinesecalendar {package_version()}"


def package_years() -> list[int]:
    """Return the years the package knows: from the first to the last year of its holiday table."""
    from chinese_calendar import constants

    years = [d.year for d in constants.holidays]
    return list(range(min(years), max(years) + 1))


def package_days(
    years: list[int] | None = None,
) -> tuple[list[int], list[tuple[date, str]], list[tuple[date, str]]]:
    """Return (years, holidays, make-up working days) of the package, as exceptions to the Mon-Fri rule.

    Only holidays that fall on a weekday and make-up working days that fall on a weekend are kept:
    the package also lists the weekend days of a holiday, which are off anyway. A day belongs to the
    year of its date (a make-up Saturday on 31 Dec belongs to the earlier year). ``years`` limits the
    result to those years; years the package does not know are left out.
    """
    from chinese_calendar import constants

    known = package_years()
    selected = known if years is None else [y for y in known if y in set(years)]
    wanted = set(selected)
    holidays = sorted((d, name) for d, name in constants.holidays.items() if d.year in wanted and d.weekday() < 5)
    workdays = sorted((d, name) for d, name in constants.workdays.items() if d.year in wanted and d.weekday() >= 5)
    return selected, holidays, workdays


def seed_from_package(calendar_year_model, calendar_day_model, *, years: list[int] | None = None) -> list[int]:
    """Create the package's years that have no CalendarYear row yet; return the years created.

    Years that already exist are left alone (an admin may have corrected them). The caller owns the
    transaction.
    """
    selected, holidays, workdays = package_days(years)
    existing = set(calendar_year_model.objects.filter(year__in=selected).values_list("year", flat=True))
    new = [y for y in selected if y not in existing]
    if not new:
        return []
    wanted = set(new)
    source = package_source()
    # Day rows of a year without a CalendarYear row mean nothing (the year is unknown); drop any strays
    # so the unique date cannot collide.
    calendar_day_model.objects.filter(date__year__in=new).delete()
    calendar_year_model.objects.bulk_create([calendar_year_model(year=y, source=source) for y in new])
    calendar_day_model.objects.bulk_create(
        [calendar_day_model(date=d, kind=HOLIDAY, name=name) for d, name in holidays if d.year in wanted]
        + [calendar_day_model(date=d, kind=WORKDAY, name=name) for d, name in workdays if d.year in wanted]
    )
    return new
