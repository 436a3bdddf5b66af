"""The analytics screens: dashboard, unit dashboard, drill-down, export, alerts, reports, settings; bad input."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.factories import CM, EDU, T0, drive, new_order
from yihaotong.analytics import rollup
from yihaotong.analytics.models import Alert, MonthlyReport

MONTH = "period=month&value=2026-03"


@pytest.fixture
def world(cast):
    for i in range(4):
        o = new_order(cast, now=T0 + timedelta(hours=i), channel="call" if i % 2 else "web")
        drive(
            cast,
            o,
            "closed" if i < 3 else "dispatched",
            now=T0 + timedelta(hours=i, minutes=30),
            lead=EDU if i % 2 else CM,
        )
    rollup.roll_up()
    return cast


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_dashboard_shows_figures_that_link_to_their_orders(client, world):
    c = _login(client, world.leader)
    r = c.get(f"/analytics/?{MONTH}")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="kpi-created"' in html and "charts-data" in html and "echarts.min.js" in html
    assert 'data-testid="league"' in html
    assert "数据包含截至" in html.split('data-testid="rolled-up-at">')[1][:20]
    # The figure "work orders" lists the 4 orders of the month.
    r = c.get("/analytics/orders/?period=month&value=2026-03&metric=created")
    assert r.status_code == 200 and "4" in r.content.decode()
    assert r.content.decode().count("/orders/") >= 4
    # Closed orders of one unit.
    r = c.get(f"/analytics/orders/?period=month&value=2026-03&metric=closed&dim=unit&key={EDU}")
    assert r.context["meta"]["total"] == 1


@pytest.mark.django_db
def test_bad_periods_give_messages_not_errors(client, world):
    c = _login(client, world.leader)
    for q in [
        "period=month&value=2026-13",
        "period=custom&start=2026-03-09&end=2026-03-01",
        "period=day&value=garbage",
        "period=year&value=2099",
        "period=nonsense",
        "period=custom&start=&end=",
    ]:
        r = c.get(f"/analytics/?{q}")
        assert r.status_code == 200, q
        assert 'data-testid="period-error"' in r.content.decode(), q
    # An empty period: a clear message, zero figures.
    r = c.get("/analytics/?period=month&value=2025-06")
    assert r.status_code == 200 and 'data-testid="empty-period"' in r.content.decode()
    # A period crossing into a year with no calendar data says so.
    r = c.get("/analytics/?period=custom&start=2026-12-01&end=2027-01-31")
    assert r.status_code == 200 and "2027" in r.content.decode()
    r = c.get("/analytics/orders/?period=month&value=2026-03&metric=contacts")
    assert r.status_code == 200 and 'data-testid="drill-error"' in r.content.decode()


@pytest.mark.django_db
def test_unit_dashboard_own_unit_only(client, world):
    c = _login(client, world.edu_admin)
    r = c.get(f"/analytics/unit/?{MONTH}")
    assert r.status_code == 200 and 'data-testid="unit-figures"' in r.content.decode()
    assert c.get(f"/analytics/unit/?unit={CM}&{MONTH}").status_code == 403
    assert c.get(f"/analytics/?{MONTH}").status_code == 403
    # A unit with no orders in the period: a message, not an error.
    r = _login(client, world.caoshi_admin).get(f"/analytics/unit/?{MONTH}")
    assert r.status_code == 200 and 'data-testid="unit-empty"' in r.content.decode()
    # The centre picks any unit.
    r = _login(client, world.leader).get(f"/analytics/unit/?unit={CM}&{MONTH}")
    assert r.status_code == 200


@pytest.mark.django_db
def test_export_csv_and_xlsx(client, world):
    c = _login(client, world.leader)
    r = c.get("/analytics/export.csv?period=month&value=2026-03&metric=created")
    assert r.status_code == 200 and r.streaming
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 5
    r = c.get("/analytics/export.xlsx?state=closed")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    assert wb.active.max_row == 4  # header + 3 closed
    # A unit's admin exports only what the unit may see.
    r = _login(client, world.edu_admin).get("/analytics/export.csv?period=month&value=2026-03&metric=created")
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 3


@pytest.mark.django_db
def test_monthly_report_page_and_workbook(client, world):
    c = _login(client, world.leader)
    r = c.post("/analytics/reports/", {"month": "2026-03"})
    assert r.status_code == 302 and MonthlyReport.objects.filter(month="2026-03-01").exists()
    r = c.get("/analytics/reports/2026-03/")
    assert r.status_code == 200 and 'data-testid="report-units"' in r.content.decode()
    r = c.get("/analytics/reports/2026-03.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) >= 6
    assert wb.worksheets[0].cell(row=1, column=1).font.bold
    # Bad months: messages, not errors.
    r = c.post("/analytics/reports/", {"month": "2026-99"}, follow=True)
    assert r.status_code == 200 and not MonthlyReport.objects.filter(month__year=2027).exists()
    assert c.get("/analytics/reports/2025-01/").status_code == 404


@pytest.mark.django_db
def test_settings_validation(client, world):
    c = _login(client, world.leader)
    r = c.post(
        "/analytics/settings/",
        {"weights.response": "abc", "weights.solve": "1", "weights.satisfaction": "1", "basically_weight": "0.9"},
    )
    assert r.status_code == 200 and "aria-invalid" in r.content.decode()
    assert _login(client, world.supervisor).post("/analytics/settings/", {"basically_weight": "0.5"}).status_code == 403


@pytest.mark.django_db
def test_alert_screens(client, world):
    now = T0
    a = Alert.objects.create(
        key="cat:X",
        label="噪音",
        window_start=now,
        window_end=now,
        count=6,
        baseline=1,
        growth=3,
        created_at=now,
        updated_at=now,
    )
    c = _login(client, world.supervisor)
    assert c.get("/analytics/alerts/").status_code == 200
    assert c.get(f"/analytics/alerts/{a.pk}/").status_code == 200
    c.post(f"/analytics/alerts/{a.pk}/", {"move": "acknowledge"})
    a.refresh_from_db()
    assert a.state == "acknowledged"
    c.post(f"/analytics/alerts/{a.pk}/", {"move": "close", "note": ""})
    a.refresh_from_db()
    assert a.state == "acknowledged"  # a note is required
    c.post(f"/analytics/alerts/{a.pk}/", {"move": "close", "note": "已协调施工单位"})
    a.refresh_from_db()
    assert a.state == "closed"
    assert c.get("/analytics/alerts/999999/").status_code == 404


@pytest.mark.django_db
def test_screens_in_chinese_and_english(client, world):
    c = _login(client, world.leader)
    r = c.get(f"/analytics/?{MONTH}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = r.content.decode()
    assert "办结率" in html and "承办单位排名" in html and "各渠道工单量" in html
    c.cookies["django_language"] = "en"
    html = c.get(f"/analytics/?{MONTH}").content.decode()
    assert "Completion rate" in html and "Unit league table" in html
