"""Demo data of the analytics screens: a short burst of similar requests (our own fictional text) so that the
dashboard has a hot spot to show, then the rollups, the detection and last month's report."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from django.db import transaction

from yihaotong.core.errors import DomainError

BURST = [
    "晚上十点后工地还在打桩，噪音太大",
    "夜间施工噪音扰民，孩子无法入睡",
    "工地凌晨浇筑混凝土，噪音扰民",
    "附近工地夜间施工噪音持续到深夜",
    "夜里施工机械轰鸣，噪音影响休息",
    "工地夜间施工噪音，多次反映未改善",
    "深夜施工噪音大，老人睡不着",
    "晚上工地切割钢筋噪音刺耳",
]


def seed_analytics_demo(operator, now: datetime, *, street: str = "510105005", quiet: bool = True) -> dict:
    from yihaotong.workorders import actions as A

    from .actions import do_detect_hotspots, do_generate_monthly_report
    from .models import Alert
    from .rollup import roll_up

    made = 0
    if not Alert.objects.exists():
        for i, subject in enumerate(BURST):
            data = A.OrderInput(
                channel="call",
                request_type="complaint",
                urgency="normal",
                category="URB-01-01",
                subject=subject,
                text=f"来电人反映：{subject}。希望相关部门督促施工单位按规定时间施工。",
                address="少城街道长顺上街",
                street=street,
                requester_name="演示市民",
                requester_phone=f"1390000{i:04d}",
                source="96963",
            )
            try:
                with transaction.atomic():
                    A.do_create_order(operator, data, now=now - timedelta(hours=6 + 9 * i))
                made += 1
            except DomainError:
                continue
    rows = roll_up(now=now)
    alerts = do_detect_hotspots(now=now)
    last_month = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    with contextlib.suppress(DomainError):  # a month before any calendar: no report, the demo goes on
        do_generate_monthly_report(None, last_month, now=now)
    if not quiet:
        print(f"Analytics: {rows} events and contacts rolled up, {len(alerts)} hot-spot alerts.")
    return {"burst": made, "rolled_up": rows, "alerts": len(alerts)}
