"""Reference endpoints: directory, dispatch catalogue, calendar, and who am I."""

from __future__ import annotations

from django.test import Client

from yihaotong.directory.data.taxonomy import CATALOGUE as CATALOGUE_DATA
from yihaotong.directory.data.units import DEPARTMENTS
from yihaotong.worktime.models import CalendarYear

from .conftest import API, assert_problem, ok


def _edu_hotlines() -> list[str]:
    dept = next(d for d in DEPARTMENTS if d["code"] == "QY-D-EDU")
    return [h["number"] for h in dept["hotlines"]]


def test_units_found_by_an_old_hotline_number(api):
    old = _edu_hotlines()[1]  # the old enrolment hotline
    units = ok(api.get(api.cast.operator, "/directory/units", {"q": old}))
    assert [u["code"] for u in units] == ["QY-D-EDU"]
    assert units[0]["name"] == "成都市青羊区教育局" and set(units[0]["hotlines"]) == set(_edu_hotlines())


def test_units_by_name_kind_and_parent(api):
    by_name = ok(api.get(api.cast.edu, "/directory/units", {"q": "教育局"}))
    assert "QY-D-EDU" in {u["code"] for u in by_name}
    subs = ok(api.get(api.cast.edu, "/directory/units", {"parent": "QY-D-EDU"}))
    assert {u["code"] for u in subs} == {"QY-D-EDU-01", "QY-D-EDU-02", "QY-D-EDU-03"}
    streets = ok(api.get(api.cast.edu, "/directory/units", {"kind": "street"}))
    assert streets and {u["kind"] for u in streets} == {"street"} and "510105002" in {u["code"] for u in streets}
    assert ok(api.get(api.cast.edu, "/directory/units", {"q": "没有这个单位"})) == []


def test_request_types_urgencies_categories(api):
    types = ok(api.get(api.cast.operator, "/directory/request-types"))
    assert {"consult", "complaint", "report"} <= {t["code"] for t in types}
    assert next(t for t in types if t["code"] == "complaint")["name"] == "投诉"
    assert [u["code"] for u in ok(api.get(api.cast.operator, "/directory/urgencies"))] == [
        "normal",
        "urgent",
        "critical",
    ]
    cats = ok(api.get(api.cast.operator, "/directory/categories"))
    by_code = {c["code"]: c for c in cats}
    assert by_code["URB-01-01"] | {"id": 0} == {
        "id": 0,
        "code": "URB-01-01",
        "name": "夜间施工扰民",
        "level": 3,
        "parent_code": "URB-01",
    }
    assert by_code["URB"]["parent_code"] is None
    level1 = ok(api.get(api.cast.operator, "/directory/categories", {"level": 1}))
    assert level1 and {c["level"] for c in level1} == {1} and "URB" in {c["code"] for c in level1}


def test_catalogue(api):
    body = ok(api.get(api.cast.dispatcher, "/directory/catalogue"))
    assert body["version"] is not None and len(body["entries"]) == len(CATALOGUE_DATA)
    entry = next(e for e in body["entries"] if e["category"] == "URB-01-01")
    assert entry["lead_unit"] == "QY-D-HOUSE" and set(entry["support_units"]) == {"QY-D-ENV", "QY-D-CM"}


def test_reference_needs_login(api):
    for path in ("/directory/units", "/directory/request-types", "/directory/catalogue", "/calendar/years"):
        assert_problem(Client().get(API + path), 401, "unauthenticated")


def test_calendar_years_and_a_year(api):
    years = ok(api.get(api.cast.operator, "/calendar/years"))
    assert years == sorted(years) and {2025, 2026} <= set(years)
    body = ok(api.get(api.cast.operator, "/calendar/2026"))
    assert body["year"] == 2026 and body["source"].startswith("chinesecalendar")
    days = {d["date"]: (d["kind"], d["name"]) for d in body["days"]}
    assert days["2026-02-16"][0] == "holiday" and days["2026-02-16"][1]  # Spring Festival eve, a weekday off
    assert days["2026-02-14"][0] == "workday"  # a make-up Saturday
    assert [d["date"] for d in body["days"]] == sorted(days)
    assert all(d.startswith("2026-") for d in days)


def test_calendar_of_a_missing_year_is_404(api):
    known = set(CalendarYear.objects.values_list("year", flat=True))
    year = 2031 if 2031 not in known else max(known) + 1  # 2031 is entered by nobody before 2030
    body = assert_problem(api.get(api.cast.operator, f"/calendar/{year}"), 404, "not_found")
    assert str(year) in body["detail"]


def test_me(api):
    me = ok(api.get(api.cast.caoshi_admin, "/accounts/me"))
    assert me == {
        "id": api.cast.caoshi_admin.pk,
        "username": "caoshi_admin",
        "display_name": "caoshi_admin",
        "roles": ["unit_admin"],
        "unit": "510105002",
        "is_service": False,
    }
    assert ok(api.get(api.cast.operator, "/accounts/me"))["unit"] == "QY-CENTRE"
