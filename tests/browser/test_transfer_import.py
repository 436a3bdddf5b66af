"""In a real browser: an operator uploads an upstream export; the worker runs it; the batch page shows the
progress while it runs (htmx polling) and then the per-row report, filtered to the rejected rows."""

from __future__ import annotations

import pytest

from tests.channels.conftest import row
from tests.channels.test_import import mixed_rows, to_csv
from tests.factories import build_cast
from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.channels.actions import do_run_import, do_save_platform, do_stage_import
from yihaotong.channels.models import ImportBatch

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"


@pytest.fixture
def people():
    cast = build_cast()
    cast.operator.set_password(PASSWORD)
    cast.operator.save()
    account = do_create_user(username="mayor-line", password=None, roles=[R.INTEGRATION], is_service=True)
    do_save_platform(code="mayor", name="市长公开电话", account=account)
    return cast


def test_upload_report_and_progress(people, open_session, tmp_path):
    from huey.contrib.djhuey import HUEY

    old, HUEY.immediate = HUEY.immediate, True  # the worker runs the batch in the request's thread
    try:
        op = open_session("operator", journey="transfer-import")
        page = op.go("/transfers/")
        path = tmp_path / "市长热线导出.csv"
        path.write_bytes(to_csv(mixed_rows()))
        page.select_option("#id_platform", "mayor")
        page.set_input_files("#id_file", str(path))
        op.shot("upload")
        page.click("[data-testid=import-form] button[type=submit]")
        page.wait_for_url("**/transfers/batches/*/")
        counts = page.get_by_test_id("batch-counts")
        assert "新建 3" in counts.inner_text() and "拒收 4" in counts.inner_text()
        op.shot("report")
        page.select_option("select[name=result]", "rejected")
        page.wait_for_url("**result=rejected**")
        assert page.locator("[data-testid=rows] tbody tr").count() == 4
        assert "没有这个分类" in page.content()
    finally:
        HUEY.immediate = old

    # A batch still running: the page polls and shows the report once the worker has finished.
    batch = do_stage_import(people.operator, "mayor", "big.csv", to_csv([row(upstream_id=f"W-{i}") for i in range(30)]))
    page = op.go(f"/transfers/batches/{batch.pk}/")
    assert "0 / 30" in page.get_by_test_id("progress").inner_text()
    do_run_import(batch.pk, chunk=10)
    page.wait_for_function("() => document.querySelector('[data-testid=batch-counts]').innerText.includes('新建 30')")
    page.wait_for_selector("[data-testid=rows]")
    op.shot("finished")
    assert ImportBatch.objects.get(pk=batch.pk).created == 30
