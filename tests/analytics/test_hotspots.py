"""Hot-spot detection (pure) and the alerts it raises (actions, notifications, permissions)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.factories import CAOSHI, T0, new_order
from yihaotong.analytics import actions as AA
from yihaotong.analytics.hotspots import Request, detect
from yihaotong.analytics.models import Alert, AlertLog
from yihaotong.core.errors import Invalid, InvalidTransition, NotPermitted
from yihaotong.notifications.models import Outbox

NOW = datetime(2026, 3, 20, 12, 0)


def _requests():
    out, i = [], 0
    # The usual level: one noise complaint a week on one street, other matters spread around.
    for week in range(1, 5):
        i += 1
        out.append(Request(i, NOW - timedelta(days=7 + 7 * week), "夜间工地施工噪音扰民", "S1", "NOISE"))
        for k, text in enumerate(["路灯不亮", "小区垃圾清运不及时", "医保报销咨询", "公交站台破损"]):
            i += 1
            out.append(Request(i, NOW - timedelta(days=7 * week + k), text, f"S{k}", f"C{k}"))
    # This week: seven noise complaints on S1, worded differently.
    for k, text in enumerate(
        [
            "工地夜间施工噪音",
            "晚上施工噪音太大",
            "凌晨施工扰民噪音",
            "施工噪音影响休息",
            "噪音扰民严重",
            "夜里工地噪音",
            "工地噪音投诉",
        ]
    ):
        i += 1
        out.append(Request(i, NOW - timedelta(hours=5 + k), text, "S1", "NOISE"))
    # One street-lamp report this week: no rise.
    i += 1
    out.append(Request(i, NOW - timedelta(days=1), "路灯不亮", "S0", "C0"))
    return out


def test_a_rising_cluster_is_found_with_its_growth_and_requests():
    clusters = detect(_requests(), now=NOW, min_count=5, min_growth=2.0)
    assert clusters, "the noise complaints rise"
    top = clusters[0]
    assert top.place == "S1" and top.count == 7
    assert top.baseline == pytest.approx(1.0) and top.growth == pytest.approx(3.5)
    assert len(top.ids) == 7 and top.ids[0] < top.ids[-1]  # newest first (the first one written is the newest)
    # The category key and the word keys of the same requests are merged into one cluster.
    assert sum(1 for c in clusters if c.place == "S1") == 1
    # Nothing else rose.
    assert all(c.place == "S1" or c.place == "" for c in clusters)


def test_nothing_rises_in_a_quiet_week_or_empty_input():
    quiet = [r for r in _requests() if r.at < NOW - timedelta(days=7)]
    assert detect(quiet, now=NOW) == []
    assert detect([], now=NOW) == []


def test_seasonal_flag_when_it_rose_a_year_before():
    year = timedelta(days=365)
    reqs = _requests() + [Request(1000 + r.id, r.at - year, r.text, r.place, r.category) for r in _requests()]
    top = detect(reqs, now=NOW)[0]
    assert top.seasonal


@pytest.mark.django_db
def test_detection_raises_alerts_notifies_and_updates_them(cast):
    base = T0 + timedelta(days=10)
    for k in range(6):
        new_order(cast, now=base - timedelta(hours=k + 1), subject=f"工地夜间施工噪音扰民{k}", street=CAOSHI)
    alerts = AA.do_detect_hotspots(now=base)
    assert alerts
    a = alerts[0]
    assert a.count >= 5 and a.street.code == CAOSHI and len(a.example_order_ids) == 5
    sent = Outbox.objects.filter(kind="hotspot_alert").count()
    assert {o.payload["alert"] for o in Outbox.objects.filter(kind="hotspot_alert")} == {x.pk for x in alerts}
    # A second run updates the open alert, it does not raise another one or notify again.
    again = AA.do_detect_hotspots(now=base + timedelta(minutes=5))
    assert {x.pk for x in again} == {x.pk for x in alerts}
    assert Outbox.objects.filter(kind="hotspot_alert").count() == sent
    assert AlertLog.objects.filter(alert=a, kind="updated").exists()


@pytest.mark.django_db
def test_alert_actions_and_their_rules(cast):
    a = Alert.objects.create(
        key="term:噪音@X",
        label="噪音",
        window_start=T0,
        window_end=T0,
        count=6,
        baseline=1,
        growth=3,
        created_at=T0,
        updated_at=T0,
    )
    with pytest.raises(NotPermitted):
        AA.do_acknowledge_alert(cast.edu, a.pk, now=T0)
    AA.do_acknowledge_alert(cast.supervisor, a.pk, note="已知悉", now=T0)
    with pytest.raises(InvalidTransition):
        AA.do_acknowledge_alert(cast.supervisor, a.pk, now=T0)
    with pytest.raises(Invalid):
        AA.do_assign_alert(cast.supervisor, a.pk, unit_id="", now=T0)
    AA.do_assign_alert(cast.leader, a.pk, unit_id=cast.unit(CAOSHI).pk, note="请核查", now=T0)
    assert Outbox.objects.filter(kind="hotspot_assigned", recipient_unit=cast.unit(CAOSHI)).exists()
    with pytest.raises(Invalid):
        AA.do_close_alert(cast.supervisor, a.pk, note=" ", now=T0)
    AA.do_close_alert(cast.supervisor, a.pk, note="已督促施工方整改", now=T0)
    a.refresh_from_db()
    assert a.state == "closed" and a.assigned_unit.code == CAOSHI
    assert list(a.log.values_list("kind", flat=True)) == ["acknowledged", "assigned", "closed"]
    with pytest.raises(InvalidTransition):
        AA.do_close_alert(cast.supervisor, a.pk, note="again", now=T0)
