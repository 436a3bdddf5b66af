"""In a real browser: the leaders' dashboard draws its charts (ECharts served locally), a figure opens the
orders behind it, a hot-spot alert is acknowledged, and a unit admin sees the unit's own dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import CM, EDU, T0, build_cast, drive, new_order
from yihaotong.analytics import rollup
from yihaotong.analytics.models import Alert

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"
MONTH = "period=month&value=2026-03"


@pytest.fixture
def people():
    cast = build_cast()
    for user in (cast.leader, cast.edu_admin):
        user.set_password(PASSWORD)
        user.save()
    for i in range(5):
        o = new_order(cast, now=T0 + timedelta(hours=i), channel="call" if i % 2 else "transfer")
        drive(
            cast,
            o,
            "closed" if i < 4 else "in_progress",
            now=T0 + timedelta(hours=i, minutes=20),
            lead=EDU if i % 2 else CM,
        )
    rollup.roll_up()
    Alert.objects.create(
        key="term:噪音@510105005",
        label="噪音·施工",
        window_start=T0,
        window_end=T0,
        count=7,
        baseline=1.0,
        growth=3.5,
        created_at=T0,
        updated_at=T0,
        street=cast.unit("510105005"),
        example_order_ids=[],
    )
    return cast


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dashboard_charts_drill_down_and_alert(people, open_session, language):
    s = open_session("leader", language=language, journey=f"dashboard-{language}")
    page = s.go(f"/analytics/?{MONTH}")
    expect(page.locator('[data-testid="kpi-created"] .value')).to_have_text("5")
    # ECharts drew every chart panel (SVG renderer) from the local static file.
    for chart in ("trend", "direct", "streets", "league"):
        expect(page.locator(f"#chart-{chart} svg")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    s.shot("dashboard")
    page.click('[data-testid="kpi-created"]')
    page.wait_for_load_state("networkidle")
    expect(page.locator('[data-testid="drill-total"]')).to_contain_text("5")
    expect(page.locator("table.list tbody tr")).to_have_count(5)
    s.shot("orders-behind-figure")
    page = s.go("/analytics/alerts/")
    page.click("text=噪音·施工")
    page.click('[data-testid="ack"]')
    page.wait_for_load_state("networkidle")
    expect(page.locator('[data-testid="alert-state"]')).to_have_text(
        "已知悉" if language == "zh-hans" else "Acknowledged"
    )
    s.shot("alert")


def test_unit_admin_sees_the_unit_dashboard(people, open_session):
    s = open_session("edu_admin", journey="unit-dashboard")
    page = s.go("/")
    page.click("text=本单位数据")
    page.wait_for_load_state("networkidle")
    page = s.go(f"/analytics/unit/?{MONTH}")
    expect(page.locator('[data-testid="unit-figures"]')).to_be_visible()
    expect(page.locator("#chart-trend svg")).to_have_count(1)
    expect(page.locator('[data-testid="unit-rank"]')).to_contain_text("名")
    s.shot("unit")
