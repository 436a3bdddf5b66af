"""The analytics API: indicators, league, alerts and their actions, reports, settings; RFC 7807 errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import CM, EDU, T0, drive, new_order
from yihaotong.analytics import rollup
from yihaotong.analytics.models import Alert

API = "/api/v1/analytics"


@pytest.fixture
def world(cast):
    for i in range(3):
        o = new_order(cast, now=T0 + timedelta(hours=i))
        drive(cast, o, "closed", now=T0 + timedelta(hours=i, minutes=30), lead=EDU if i else CM)
    rollup.roll_up()
    return cast


@pytest.mark.django_db
def test_indicators_league_and_errors(client, world):
    client.force_login(world.leader)
    r = client.get(f"{API}/indicators?period=month&value=2026-03")
    assert r.status_code == 200
    figures = {f["code"]: f for f in r.json()["figures"]}
    assert figures["created"]["value"] == 3 and figures["completion_rate"]["value"] == 1.0
    r = client.get(f"{API}/indicators?period=month&value=2026-03&dim=unit&key={EDU}")
    assert {f["code"]: f for f in r.json()["figures"]}["dispatched_count"]["value"] == 2
    r = client.get(f"{API}/league?period=month&value=2026-03")
    assert [u["code"] for u in r.json()["units"]] and r.json()["units"][0]["rank"] == 1
    bad = client.get(f"{API}/indicators?period=custom&start=2026-03-09&end=2026-01-01")
    assert (
        bad.status_code == 422 and bad["Content-Type"] == "application/problem+json" and "end" in bad.json()["errors"]
    )
    assert client.get(f"{API}/indicators?dim=nonsense").status_code == 422
    # A unit member: its own unit only.
    client.force_login(world.edu)
    assert client.get(f"{API}/indicators?period=month&value=2026-03").status_code == 403
    assert client.get(f"{API}/indicators?period=month&value=2026-03&dim=unit&key={CM}").status_code == 403
    assert client.get(f"{API}/indicators?period=month&value=2026-03&dim=unit").status_code == 200


@pytest.mark.django_db
def test_alerts_reports_and_settings(client, world):
    a = Alert.objects.create(
        key="k",
        label="噪音",
        window_start=T0,
        window_end=T0,
        count=6,
        baseline=1,
        growth=3,
        created_at=T0,
        updated_at=T0,
    )
    client.force_login(world.supervisor)
    assert client.get(f"{API}/alerts").json()["total"] == 1
    r = client.post(f"{API}/alerts/{a.pk}/acknowledge", {"note": "收到"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    r = client.post(f"{API}/alerts/{a.pk}/close", {"note": ""}, content_type="application/json")
    assert r.status_code == 422
    r = client.post(f"{API}/alerts/{a.pk}/close", {"note": "已处理"}, content_type="application/json")
    assert r.json()["state"] == "closed"
    r = client.post(f"{API}/alerts/{a.pk}/close", {"note": "again"}, content_type="application/json")
    assert r.status_code == 409
    assert client.post(f"{API}/alerts/999/close", {"note": "x"}, content_type="application/json").status_code == 404
    r = client.post(f"{API}/reports", {"month": "2026-03"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["data"]["month"] == "2026-03"
    assert client.get(f"{API}/reports/2026-03").status_code == 200
    assert client.get(f"{API}/reports/2026-02").status_code == 404
    assert client.post(f"{API}/reports", {"month": "2026/3"}, content_type="application/json").status_code == 422
    # Settings: supervisors read, leaders change; invalid values name their field.
    assert client.put(f"{API}/settings", {"basically_weight": 0.8}, content_type="application/json").status_code == 403
    client.force_login(world.leader)
    r = client.put(f"{API}/settings", {"basically_weight": 2}, content_type="application/json")
    assert r.status_code == 422 and "basically_weight" in r.json()["errors"]
    r = client.put(
        f"{API}/settings", {"weights": {"response": 1, "solve": 1, "satisfaction": 2}}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["weights"]["satisfaction"] == 2
    assert client.get(f"{API}/settings").json()["weights"]["response"] == 1
