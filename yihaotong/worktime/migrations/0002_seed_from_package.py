"""Seed the calendar with every year the chinesecalendar package knows (2004-2026 in 1.11.0)."""

from django.db import migrations

from yihaotong.worktime.calendar_seed import package_source, seed_from_package


def seed(apps, schema_editor):
    seed_from_package(apps.get_model("worktime", "CalendarYear"), apps.get_model("worktime", "CalendarDay"))


def unseed(apps, schema_editor):
    CalendarYear = apps.get_model("worktime", "CalendarYear")
    CalendarDay = apps.get_model("worktime", "CalendarDay")
    years = list(CalendarYear.objects.filter(source=package_source()).values_list("year", flat=True))
    CalendarDay.objects.filter(date__year__in=years).delete()
    CalendarYear.objects.filter(year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [("worktime", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
