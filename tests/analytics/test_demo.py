"""The analytics demo data: a hot spot, rollups and last month's report appear with seed-demo."""

from __future__ import annotations

import pytest

from tests.factories import T0
from yihaotong.analytics.demo import seed_analytics_demo
from yihaotong.analytics.models import Alert, Bucket, MonthlyReport


@pytest.mark.django_db
def test_demo_burst_raises_a_hot_spot(cast):
    out = seed_analytics_demo(cast.operator, T0)
    assert out["burst"] == 8 and out["alerts"] >= 1
    assert Alert.objects.filter(street__code="510105005").exists()
    assert Bucket.objects.filter(metric="created", dim="all").exists()
    assert MonthlyReport.objects.filter(month="2026-02-01").exists()
