"""Calendar tables, actions, loader, system check, banner, admin and command (with a database)."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.checks import registry
from django.core.management import CommandError, call_command
from django.urls import reverse

from yihaotong.core.errors import Invalid, NotFound
from yihaotong.worktime import actions, loader
from yihaotong.worktime.calendar import calendar_from_package
from yihaotong.worktime.calendar_seed import package_source
from yihaotong.worktime.checks import check_next_year_calendar, run_calendar_check
from yihaotong.worktime.context_processors import calendar_banner
from yihaotong.worktime.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = date.fromisoformat


def rows(year: int) -> list[tuple[date, str, str]]:
    return list(CalendarDay.objects.filter(date__year=year).values_list("date", "kind", "name"))


def test_migration_seeded_the_package_years():
    assert set(CalendarYear.objects.values_list("year", flat=True)) == set(range(2004, 2027))
    assert CalendarYear.objects.get(year=2026).source == package_source()


def test_seeding_is_idempotent_and_creates_2025_and_2026():
    actions.do_delete_calendar_year(2025)
    actions.do_delete_calendar_year(2026)
    assert rows(2026) == []
    assert actions.do_seed_calendar_from_package(years=[2025, 2026]) == [2025, 2026]
    assert actions.do_seed_calendar_from_package() == []
    assert actions.do_seed_calendar_from_package(years=[2025, 2026]) == []
    assert CalendarDay.objects.filter(date__year=2026, kind="holiday").count() == 19
    assert CalendarDay.objects.filter(date__year=2026, kind="workday").count() == 6
    assert CalendarDay.objects.filter(date__year=2025, kind="holiday").count() == 18
    assert CalendarDay.objects.filter(date__year=2025, kind="workday").count() == 5
    assert (D("2026-02-14"), "workday", "Spring Festival") in rows(2026)
    assert CalendarYear.objects.get(year=2025).source == package_source()


def test_seeding_an_unknown_year_writes_nothing():
    actions.do_delete_calendar_year(2026)
    with pytest.raises(Invalid) as info:
        actions.do_seed_calendar_from_package(years=[2026, 2027])
    assert "years" in info.value.errors
    assert not CalendarYear.objects.filter(year__in=[2026, 2027]).exists()


def test_loader_builds_the_same_calendar_as_the_package():
    assert loader.get_calendar(refresh=True) == calendar_from_package()


def test_loader_caches_until_invalidated():
    first = loader.get_calendar()
    assert loader.get_calendar() is first
    loader.invalidate_calendar()
    assert loader.get_calendar() is not first


def test_set_calendar_year_replaces_the_year(django_capture_on_commit_callbacks):
    cal = loader.get_calendar()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        entry = actions.do_set_calendar_year(
            year=2027,
            holidays=[(D("2027-01-01"), "New Year's Day"), (D("2027-02-08"), "Spring Festival")],
            workdays=[(D("2027-02-20"), "Spring Festival")],
            notice="国办发明电〔2026〕1号",
        )
    assert len(callbacks) == 1
    assert (entry.year, entry.source, entry.notice) == (2027, "admin", "国办发明电〔2026〕1号")
    assert rows(2027) == [
        (D("2027-01-01"), "holiday", "New Year's Day"),
        (D("2027-02-08"), "holiday", "Spring Festival"),
        (D("2027-02-20"), "workday", "Spring Festival"),
    ]
    new = loader.get_calendar()
    assert new is not cal and 2027 in new.years
    assert new.is_working_day(D("2027-02-20")) and not new.is_working_day(D("2027-02-08"))

    actions.do_set_calendar_year(year=2027, holidays=[(D("2027-01-01"), "")], workdays=[], source="admin")
    assert rows(2027) == [(D("2027-01-01"), "holiday", "")]
    assert len(rows(2026)) == 25  # other years untouched


@pytest.mark.parametrize(
    "holidays, workdays, field",
    [
        ([(D("2027-01-02"), "Saturday")], [], "holidays"),  # a holiday on a Saturday
        ([], [(D("2027-01-04"), "Monday")], "workdays"),  # a make-up working day on a weekday
        ([(D("2026-12-31"), "last year")], [], "holidays"),  # outside the year
        ([(D("2027-01-01"), "")], [(D("2027-01-01"), "")], "workdays"),  # in both lists
        ([(D("2027-01-01"), ""), (D("2027-01-01"), "")], [], "holidays"),  # twice
        ([(D("2027-01-01"), "x" * 65)], [], "holidays"),  # name too long
    ],
)
def test_set_calendar_year_validation_writes_nothing(holidays, workdays, field):
    with pytest.raises(Invalid) as info:
        actions.do_set_calendar_year(year=2027, holidays=holidays, workdays=workdays)
    assert field in info.value.errors
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert rows(2027) == []


def test_set_calendar_year_validation_keeps_the_old_rows():
    before = rows(2026)
    with pytest.raises(Invalid):
        actions.do_set_calendar_year(year=2026, holidays=[(D("2026-02-14"), "Sat")], workdays=[])
    assert rows(2026) == before
    assert CalendarYear.objects.get(year=2026).source == package_source()


def test_delete_calendar_year():
    actions.do_delete_calendar_year(2025)
    assert rows(2025) == [] and not CalendarYear.objects.filter(year=2025).exists()
    with pytest.raises(NotFound):
        actions.do_delete_calendar_year(2025)


def test_update_calendar_year_keeps_the_days():
    actions.do_update_calendar_year(year=2026, source="admin", notice="国办发明电〔2025〕7号")
    entry = CalendarYear.objects.get(year=2026)
    assert (entry.source, entry.notice) == ("admin", "国办发明电〔2025〕7号")
    assert len(rows(2026)) == 25
    with pytest.raises(NotFound):
        actions.do_update_calendar_year(year=2031, source="admin", notice="")


def test_save_and_delete_calendar_day():
    day = actions.do_save_calendar_day(CalendarDay(date=D("2026-12-31"), kind="holiday", name="Test"))
    assert loader.get_calendar().is_working_day(D("2026-12-31")) is False
    day.name = "Renamed"
    actions.do_save_calendar_day(day)
    assert CalendarDay.objects.get(date=D("2026-12-31")).name == "Renamed"
    actions.do_delete_calendar_day(day)
    assert not CalendarDay.objects.filter(date=D("2026-12-31")).exists()
    assert loader.get_calendar().is_working_day(D("2026-12-31")) is True


@pytest.mark.parametrize(
    "day, kind, field",
    [
        ("2027-01-04", "holiday", "date"),  # unknown year
        ("2026-12-26", "holiday", "kind"),  # a Saturday cannot be a holiday
        ("2026-12-28", "workday", "kind"),  # a Monday cannot be a make-up day
        ("2026-02-16", "holiday", "date"),  # already there
        ("2026-12-28", "bogus", "kind"),
    ],
)
def test_save_calendar_day_validation(day, kind, field):
    count = CalendarDay.objects.count()
    with pytest.raises(Invalid) as info:
        actions.do_save_calendar_day(CalendarDay(date=D(day), kind=kind))
    assert field in info.value.errors
    assert CalendarDay.objects.count() == count


def test_system_check_is_registered():
    assert check_next_year_calendar in registry.registry.get_checks()


def test_run_calendar_check():
    assert run_calendar_check(D("2026-10-31")) == []
    [warning] = run_calendar_check(D("2026-11-26"))
    assert warning.id == "worktime.W001" and "2027" in warning.msg
    actions.do_set_calendar_year(year=2027, holidays=[(D("2027-01-01"), "")], workdays=[])
    assert run_calendar_check(D("2026-11-26")) == []
    actions.do_delete_calendar_year(2026)
    assert [w.id for w in run_calendar_check(D("2026-06-01"))] == ["worktime.W002"]


def test_banner(rf):
    request = rf.get("/")
    request.user = AnonymousUser()
    assert calendar_banner(request) == {"calendar_warning": None}
    request.user = get_user_model().objects.create_user(username="staff", password="x", is_staff=True)
    result = calendar_banner(request)["calendar_warning"]
    # The answer depends on today's date; the years behind it are cached for the next request.
    assert result is None or "20" in result
    assert cache.get(loader.BANNER_CACHE_KEY) == list(range(2004, 2027))


def test_next_years_gap_is_shown_to_those_who_enter_the_calendar(rf, monkeypatch):
    from yihaotong.accounts import roles as R
    from yihaotong.accounts.actions import do_create_user
    from yihaotong.worktime import context_processors

    known = set(CalendarYear.objects.values_list("year", flat=True))
    last = max(known)
    handler = do_create_user(username="h-banner", password=None, roles=[R.HANDLER], display_name="承办人")
    admin = do_create_user(username="a-banner", password=None, roles=[R.SYSADMIN], display_name="管理员")

    def banner(user, today):
        monkeypatch.setattr(context_processors, "local_today", lambda: today)
        request = rf.get("/")
        request.user = get_user_model().objects.get(pk=user.pk)
        return calendar_banner(request)["calendar_warning"]

    # November of the last known year: next year is missing. Only the system administrator is asked to act.
    assert str(last + 1) in banner(admin, date(last, 11, 20))
    assert banner(handler, date(last, 11, 20)) is None
    # A year with no calendar at all: deadlines fail now, so every member of staff is told.
    assert str(last + 1) in banner(handler, date(last + 1, 1, 5))
    assert str(last + 1) in banner(admin, date(last + 1, 1, 5))


def test_admin_day_form_rejects_a_saturday_holiday(admin_client):
    url = reverse("admin:worktime_calendarday_add")
    response = admin_client.post(url, {"date": "2026-12-26", "kind": "holiday", "name": "x"})
    assert response.status_code == 200
    assert not CalendarDay.objects.filter(date=D("2026-12-26")).exists()
    response = admin_client.post(url, {"date": "2026-12-31", "kind": "holiday", "name": "x"})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date=D("2026-12-31"), kind="holiday").exists()


def test_admin_lists_and_seeds(admin_client):
    assert admin_client.get(reverse("admin:worktime_calendaryear_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:worktime_calendarday_changelist") + "?year=2026").status_code == 200
    actions.do_delete_calendar_year(2026)
    response = admin_client.post(
        reverse("admin:worktime_calendaryear_changelist"), {"action": "seed_from_package", "index": "0"}
    )
    assert response.status_code == 302
    assert len(rows(2026)) == 25


def test_command_import_and_show():
    out = StringIO()
    call_command(
        "calendar",
        "import",
        "2027",
        "--holidays",
        "2027-01-01:New Year's Day,2027-02-06..2027-02-12:Spring Festival",
        "--workdays",
        "2027-02-20:Spring Festival",
        "--notice",
        "test",
        stdout=out,
    )
    assert [r[0] for r in rows(2027)] == [D("2027-01-01")] + [D(f"2027-02-{x:02}") for x in range(8, 13)] + [
        D("2027-02-20")
    ]
    assert "2027-02-20 Sat  make-up working day" in out.getvalue()
    with pytest.raises(CommandError, match="--replace"):
        call_command("calendar", "import", "2027", "--holidays", "2027-01-01", stdout=StringIO())
    with pytest.raises(CommandError, match="holidays"):
        call_command("calendar", "import", "2028", "--holidays", "2028-01-01", stdout=StringIO())  # a Saturday
    with pytest.raises(CommandError):
        call_command("calendar", "show", "2030", stdout=StringIO())
