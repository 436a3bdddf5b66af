"""calendar seed | show YEAR | import YEAR: manage the working-day calendar from the command line."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yihaotong.core.errors import DomainError
from yihaotong.worktime import actions
from yihaotong.worktime.models import CalendarDay, CalendarYear

SPEC_HELP = (
    "comma-separated DATE[:NAME] or FIRST..LAST[:NAME] items, e.g. "
    "'2027-01-01:元旦,2027-02-06..2027-02-12:春节'; a range keeps only the days that can be of this kind "
    "(weekdays for holidays, weekends for make-up working days)"
)


def parse_days(spec: str, *, weekdays: bool) -> list[tuple[date, str]]:
    """Parse a --holidays / --workdays value into (date, name) pairs."""
    days: list[tuple[date, str]] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        when, _sep, name = item.partition(":")
        first, _dots, last = when.partition("..")
        try:
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError as exc:
            raise CommandError(f"bad date in {item!r}: {exc}") from exc
        if end < start:
            raise CommandError(f"range runs backwards in {item!r}")
        day = start
        while day <= end:
            if not last or (day.weekday() < 5) == weekdays:
                days.append((day, name.strip()))
            day += timedelta(days=1)
    return days


class Command(BaseCommand):
    help = "Manage the working-day calendar: seed it from the chinesecalendar package, show or import a year."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        seed = sub.add_parser("seed", help="create the years the chinesecalendar package knows and the table lacks")
        seed.add_argument("--years", type=int, nargs="+", help="only these years")
        show = sub.add_parser("show", help="print a year's holidays and make-up working days")
        show.add_argument("year", type=int)
        imp = sub.add_parser("import", help="set a year's calendar from its State Council notice")
        imp.add_argument("year", type=int)
        imp.add_argument("--holidays", default="", help=f"weekdays off: {SPEC_HELP}")
        imp.add_argument("--workdays", default="", help=f"make-up working days on weekends (调休上班): {SPEC_HELP}")
        imp.add_argument("--notice", default="", help="the notice's number (文号), e.g. 国办发明电〔2025〕7号")
        imp.add_argument("--source", default="admin", help="where the data came from (default: admin)")
        imp.add_argument("--replace", action="store_true", help="replace the year if it is already known")

    def handle(self, *args, subcommand: str, **options):
        try:
            getattr(self, f"handle_{subcommand}")(**options)
        except DomainError as exc:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc

    def handle_seed(self, *, years: list[int] | None, **options):
        created = actions.do_seed_calendar_from_package(years=years)
        self.stdout.write(f"created: {', '.join(map(str, created))}" if created else "nothing to create")

    def handle_show(self, *, year: int, **options):
        entry = CalendarYear.objects.filter(year=year).first()
        if entry is None:
            raise CommandError(f"no calendar for {year}")
        updated = timezone.localtime(entry.updated_at)
        notice = entry.notice or "-"
        self.stdout.write(f"{year}  source: {entry.source}  notice: {notice}  updated: {updated:%Y-%m-%d %H:%M}")
        for day in CalendarDay.objects.filter(date__year=year):
            label = "holiday" if day.kind == CalendarDay.Kind.HOLIDAY else "make-up working day"
            self.stdout.write(f"{day.date.isoformat()} {day.date:%a}  {label:<19}  {day.name}")

    def handle_import(
        self, *, year: int, holidays: str, workdays: str, notice: str, source: str, replace: bool, **options
    ):
        if not replace and CalendarYear.objects.filter(year=year).exists():
            raise CommandError(f"{year} is already known; pass --replace to overwrite it")
        entry = actions.do_set_calendar_year(
            year=year,
            holidays=parse_days(holidays, weekdays=True),
            workdays=parse_days(workdays, weekdays=False),
            source=source,
            notice=notice,
        )
        self.stdout.write(f"calendar {entry.year} set")
        self.handle_show(year=year)
