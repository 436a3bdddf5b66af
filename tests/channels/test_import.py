"""Batch import of upstream exports (CSV and xlsx): every row checked, rejected rows write nothing, the
per-batch report (screen, CSV, API), the progress page, who may import."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.test import Client
from openpyxl import Workbook

from tests.factories import TZ
from yihaotong.channels.actions import do_run_import, do_stage_import
from yihaotong.channels.models import BatchState, ImportBatch, RowResult, Transfer
from yihaotong.channels.rows import COLUMNS
from yihaotong.core.errors import Invalid, NotPermitted
from yihaotong.workorders.models import Event, WorkOrder

from .conftest import row

HEADER = [zh for _f, zh, _en in COLUMNS]


def to_csv(rows: list[dict], header=None) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header or HEADER)
    for r in rows:
        w.writerow([r.get(f, "") for f, _zh, _en in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append([r.get(f, "") for f, _zh, _en in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def counts():
    return (WorkOrder.objects.count(), Event.objects.count(), Transfer.objects.count())


def mixed_rows():
    return [
        row(upstream_id="A-1"),  # line 2: created
        row(upstream_id="A-2", category="没有这个分类"),  # 3: unknown category
        row(upstream_id="A-3", upstream_due="2026/13/45"),  # 4: malformed date
        row(upstream_id="A-4", text=""),  # 5: missing field
        row(upstream_id="A-1", subject="重复"),  # 6: duplicate id in the file
        row(upstream_id="A-5", request_type="投诉", urgency="紧急", upstream_due="2026-12-25"),  # 7: created
        row(upstream_id="A-6", requester_phone="", requester_name="", is_anonymous="是"),  # 8: created (anonymous)
    ]


def run(actor, platform, name, data):
    batch = do_stage_import(actor, platform.code, name, data)
    return do_run_import(batch.pk)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_mixed_file(present, mayor, kind):
    data = to_csv(mixed_rows()) if kind == "csv" else to_xlsx(mixed_rows())
    before = counts()
    batch = run(present.operator, mayor, f"export.{kind}", data)
    assert batch.state == BatchState.DONE
    assert (batch.total, batch.created, batch.rejected, batch.processed) == (7, 3, 4, 7)
    after = counts()
    assert after[0] - before[0] == 3 and after[2] - before[2] == 3  # rejected rows wrote nothing
    by_line = {r.line: r for r in batch.rows.all()}
    assert by_line[2].result == by_line[7].result == by_line[8].result == RowResult.CREATED
    assert "category" in by_line[3].errors
    assert "upstream_due" in by_line[4].errors
    assert "text" in by_line[5].errors
    assert by_line[6].errors["upstream_id"][0][1] == {"line": "2"}
    urgent = by_line[7].order
    assert urgent.urgency.code == "urgent" and urgent.request_type.code == "complaint"
    assert urgent.transfer.upstream_due == datetime(2026, 12, 25, 23, 59, 59, tzinfo=TZ)
    assert by_line[8].order.is_anonymous


def test_second_import_is_idempotent_updates_and_conflicts(present, mayor):
    run(
        present.operator,
        mayor,
        "a.csv",
        to_csv([row(upstream_id="B-1"), row(upstream_id="B-2"), row(upstream_id="B-3")]),
    )
    before = counts()
    again = [
        row(upstream_id="B-1"),
        row(upstream_id="B-2", upstream_due="2027-01-10 12:00"),
        row(upstream_id="B-3", address="另一个地址"),
        row(upstream_id="B-4"),
    ]
    batch = run(present.dispatcher, mayor, "b.csv", to_csv(again))
    assert (batch.unchanged, batch.updated, batch.conflicts, batch.created) == (1, 1, 1, 1)
    after = counts()
    assert after[0] - before[0] == 1
    conflict = batch.rows.get(result=RowResult.CONFLICT)
    assert list(conflict.errors) == ["address"] and conflict.order is not None


def test_row_the_order_refuses_at_run_time_writes_nothing(present, mayor):
    """A row that passed the staging checks but that the order's rules refuse when the batch runs (its
    category was retired meanwhile): the chunk's quick pass (``do_create_orders``) is rolled back and the
    chunk applied again row by row; the others are created, the refused one is rejected with the order's
    reason and wrote nothing."""
    from yihaotong.directory.models import Category
    from yihaotong.notifications.models import Outbox

    other = Category.objects.filter(is_active=True, level=3).exclude(code="URB-01-01").order_by("code").first()
    rows = [row(upstream_id="C-1"), row(upstream_id="C-2", category=other.code), row(upstream_id="C-3")]
    batch = do_stage_import(present.operator, mayor.code, "c.csv", to_csv(rows))
    assert batch.rejected == 0
    other.is_active = False
    other.save()
    before, outbox = counts(), Outbox.objects.count()
    batch = do_run_import(batch.pk)
    assert (batch.state, batch.created, batch.rejected, batch.processed) == (BatchState.DONE, 2, 1, 3)
    after = counts()
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (2, 2, 2)
    assert Outbox.objects.count() - outbox == 2  # one SMS per created order, none for the refused row
    refused = batch.rows.get(upstream_id="C-2")
    assert refused.result == RowResult.REJECTED and "category" in refused.errors and refused.order is None
    assert not WorkOrder.objects.filter(upstream_ref="C-2").exists()
    # The three numbers reserved for the quick pass stay unused (a gap); the row by row pass took its own.
    made = [int(o.number.rsplit("-", 1)[1]) for o in WorkOrder.objects.filter(upstream_ref__startswith="C-")]
    assert sorted(made) == [4, 5]
    assert set(batch.rows.filter(result=RowResult.CREATED).values_list("upstream_id", flat=True)) == {"C-1", "C-3"}


def test_chunks_take_numbers_reserved_before_them(present, mayor):
    """Each chunk reserves the numbers of its new rows before its transaction and makes its orders
    together: consecutive numbers in line order, none taken for rows already known."""
    from yihaotong.workorders.models import OrderSequence

    rows = [row(upstream_id=f"N-{i}") for i in range(5)]
    batch = do_stage_import(present.operator, mayor.code, "n.csv", to_csv(rows))
    batch = do_run_import(batch.pk, chunk=2)
    assert (batch.state, batch.created, batch.processed) == (BatchState.DONE, 5, 5)
    numbers = [r.order.number for r in batch.rows.order_by("line")]
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    day = numbers[0].split("-")[0][-8:]
    last = OrderSequence.objects.get(day=day).last
    assert last == seqs[-1]
    assert Event.objects.filter(order__upstream_ref__startswith="N-", kind="create").count() == 5
    again = do_stage_import(present.operator, mayor.code, "n2.csv", to_csv([*rows, row(upstream_id="N-5")]))
    again = do_run_import(again.pk, chunk=4)
    assert (again.unchanged, again.created) == (5, 1)
    assert OrderSequence.objects.get(day=day).last == last + 1  # known rows reserve no number


def test_whole_file_refusals(present, mayor):
    before = counts()
    with pytest.raises(Invalid) as exc:
        do_stage_import(present.operator, mayor.code, "x.csv", to_csv([row()], header=["编号", "标题"]))
    assert "columns" in exc.value.errors
    with pytest.raises(Invalid):
        do_stage_import(present.operator, mayor.code, "x.txt", b"hello")
    with pytest.raises(Invalid):
        do_stage_import(present.operator, mayor.code, "x.xlsx", b"not a zip file")
    with pytest.raises(Invalid) as exc:
        do_stage_import(
            present.operator, mayor.code, "x.csv", to_csv([row(upstream_id=f"T-{i}") for i in range(10_001)])
        )
    assert "10001" in str(exc.value.errors["file"][0])
    with pytest.raises(Invalid):
        do_stage_import(present.operator, "nowhere", "x.csv", to_csv([row()]))
    with pytest.raises(NotPermitted):
        do_stage_import(present.edu, mayor.code, "x.csv", to_csv([row()]))
    assert counts() == before
    assert ImportBatch.objects.count() == 0


def test_gb18030_csv(present, mayor):
    text = to_csv([row(upstream_id="G-1")]).decode("utf-8-sig")
    batch = run(present.operator, mayor, "gbk.csv", text.encode("gb18030"))
    assert batch.created == 1
    assert WorkOrder.objects.get(upstream_ref="G-1").subject == "小区门口路灯不亮"


def test_screens(present, mayor, huey_immediate, django_capture_on_commit_callbacks):
    c = Client()
    c.force_login(present.operator)
    r = c.get("/transfers/")
    assert r.status_code == 200 and "市长公开电话" in r.content.decode()
    upload = io.BytesIO(to_csv(mixed_rows()))
    upload.name = "export.csv"
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/transfers/", {"platform": "mayor", "file": upload})
    assert r.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.state == BatchState.DONE and batch.created == 3  # the worker task ran (huey immediate)
    page = c.get(r["Location"]).content.decode()
    assert "没有这个分类" in page and "export.csv" in page
    progress = page.split('data-testid="progress"')[1].split(">")[0]
    assert "hx-trigger" not in progress  # finished: the progress no longer polls (the top bar's bell still does)
    rejected = c.get(r["Location"], {"result": "rejected"}).content.decode()
    assert rejected.count('<tr class="rejected">') == 4
    report = c.get(f"/transfers/batches/{batch.pk}/report.csv")
    assert report["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert len(lines) == 8 and any("没有这个分类" in cell for cell in lines[2])
    progress = c.get(f"/transfers/batches/{batch.pk}/progress", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"
    # A bad file shows its reasons and creates no batch.
    bad = io.BytesIO(b"a,b\n1,2\n")
    bad.name = "bad.csv"
    r = c.post("/transfers/", {"platform": "mayor", "file": bad})
    assert r.status_code == 422 and ImportBatch.objects.count() == 1
    # No state change over GET; handlers may not import.
    assert c.get("/transfers/", {"platform": "mayor", "file": "x"}).status_code == 200
    h = Client()
    h.force_login(present.edu)
    assert h.get("/transfers/").status_code == 403
    assert h.get(f"/transfers/batches/{batch.pk}/").status_code == 403


def test_running_batch_page_polls(present, mayor):
    c = Client()
    c.force_login(present.operator)
    batch = do_stage_import(
        present.operator, mayor.code, "big.csv", to_csv([row(upstream_id=f"P-{i}") for i in range(5)])
    )
    page = c.get(f"/transfers/batches/{batch.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page
    do_run_import(batch.pk, chunk=2)
    batch.refresh_from_db()
    assert batch.processed == 5 and batch.created == 5


def test_api_upload_and_report(present, mayor, huey_immediate, django_capture_on_commit_callbacks):
    c = Client()
    c.force_login(present.dispatcher)
    upload = io.BytesIO(to_csv(mixed_rows()))
    upload.name = "export.csv"
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/api/v1/transfers/batches?platform=mayor", {"file": upload})
    assert r.status_code == 202, r.content
    batch_id = r.json()["id"]
    detail = c.get(f"/api/v1/transfers/batches/{batch_id}").json()
    assert detail["state"] == "done" and detail["created"] == 3 and detail["rejected"] == 4
    rows = c.get(f"/api/v1/transfers/batches/{batch_id}/rows", {"result": "rejected"}).json()
    assert rows["total"] == 4 and rows["items"][0]["errors"]["category"][0].startswith("unknown value")
    assert c.get(f"/api/v1/transfers/batches/{batch_id}/rows", {"result": "bogus"}).status_code == 422
    h = Client()
    h.force_login(present.edu)
    assert h.get(f"/api/v1/transfers/batches/{batch_id}").status_code == 403


def test_export_date_formats():
    from yihaotong.channels.rows import parse_datetime

    start, end = datetime(2026, 1, 5, tzinfo=TZ), datetime(2026, 1, 5, 23, 59, 59, tzinfo=TZ)
    for text in ("2026-01-05", "2026-1-5", "2026/01/05", "20260105", " 2026-01-05 "):
        assert parse_datetime(text) == start and parse_datetime(text, end_of_day=True) == end
    assert (
        parse_datetime("2026-01-05 08:30")
        == parse_datetime("2026/1/5 8:30:00")
        == datetime(2026, 1, 5, 8, 30, tzinfo=TZ)
    )
    for bad in ("2026-02-30", "2026-13-01", "1999-12-31", "tomorrow"):
        with pytest.raises(ValueError):
            parse_datetime(bad)
