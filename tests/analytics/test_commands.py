"""Commands and periodic work: rebuild-rollups, monthly-report, the report on the first working day."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command

from tests.factories import EDU, TZ, drive, new_order
from yihaotong.analytics.actions import do_monthly_report_if_due, first_working_day
from yihaotong.analytics.models import Bucket, MonthlyReport
from yihaotong.analytics.rollup import roll_up


@pytest.mark.django_db
def test_rebuild_rollups_command_recovers_lost_buckets(cast):
    drive(cast, new_order(cast), "closed", lead=EDU)
    roll_up()
    before = sorted(Bucket.objects.values_list("day", "metric", "dim", "key", "n"))
    Bucket.objects.filter(metric="closed").delete()  # damaged rollups
    out = io.StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "rolled up" in out.getvalue()
    assert sorted(Bucket.objects.values_list("day", "metric", "dim", "key", "n")) == before


@pytest.mark.django_db
def test_monthly_report_command(cast, tmp_path):
    drive(cast, new_order(cast), "closed", lead=EDU)
    roll_up()
    path = tmp_path / "r.xlsx"
    out = io.StringIO()
    call_command("monthly_report", "2026-03", "--xlsx", str(path), stdout=out)
    assert path.stat().st_size > 0 and "1 orders" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("monthly_report", "March", stdout=io.StringIO())


@pytest.mark.django_db
def test_report_generated_on_the_first_working_day_once(cast):
    # 2026-03-01 is a Sunday: the first working day of March is Monday 2 March.
    assert first_working_day(2026, 3).isoformat() == "2026-03-02"
    assert do_monthly_report_if_due(now=datetime(2026, 3, 1, 8, tzinfo=TZ)) is None
    report = do_monthly_report_if_due(now=datetime(2026, 3, 2, 6, 30, tzinfo=TZ))
    assert report is not None and report.month.isoformat() == "2026-02-01"
    assert do_monthly_report_if_due(now=datetime(2026, 3, 2, 7, tzinfo=TZ)) is None
    assert MonthlyReport.objects.count() == 1
    # A year with no calendar: no report, no error.
    assert do_monthly_report_if_due(now=datetime(2027, 2, 1, 8, tzinfo=TZ)) is None
