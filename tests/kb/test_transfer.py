"""Import and export files: xlsx and CSV, the batch limit, row-by-row errors, nothing written for bad rows."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from tests.kb.util import publish
from yihaotong.core.errors import Invalid
from yihaotong.kb.models import Article
from yihaotong.kb.transfer import MAX_ROWS, do_import_articles, export_xlsx

HEADER = ["title", "category", "content", "material_type", "owner_unit", "expires_on", "visibility"]


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_import_with_dates_and_publication(cast):
    rows = [
        HEADER,
        [
            "电费缴纳方式",
            "UTL-02-02",
            "可在网上国网App或营业厅缴纳电费。",
            "日常咨询",
            "QY-D-POWER",
            date(2030, 1, 1),
            "公开",
        ],
        ["停电通知查询", "UTL-02-01", "计划停电会提前公告。", "notice", "QY-D-POWER", "2030/13/40", "internal"],
        ["燃" * 129, "UTL-03-03", "燃气费缴纳。", "guide", "QY-D-GAS", "", "public"],
    ]
    report = do_import_articles(cast.kb_editor, "batch.xlsx", xlsx(rows), publish=True)
    assert (report.created, report.rejected) == (1, 2), report.as_dict()
    assert report.rows[1].errors == {"expires_on": ["a date like 2026-03-09"]}
    assert "title" in report.rows[2].errors
    article = Article.objects.get()
    assert article.state == "published" and article.expires_on == date(2030, 1, 1)
    assert article.material_type == "daily" and article.visibility == "public"


def test_only_the_kb_team_publishes_on_import(cast):
    with pytest.raises(Invalid):
        do_import_articles(cast.edu_admin, "batch.xlsx", xlsx([HEADER]), publish=True)


def test_more_than_a_batch_is_refused_whole(cast):
    rows = [HEADER] + [[f"标题{i}", "UTL-02-02", "内容。", "guide", "QY-D-POWER", "", ""] for i in range(MAX_ROWS + 1)]
    with pytest.raises(Invalid) as exc:
        do_import_articles(cast.kb_editor, "big.xlsx", xlsx(rows))
    assert "file" in exc.value.errors
    assert not Article.objects.exists()


def test_not_a_workbook(cast):
    with pytest.raises(Invalid):
        do_import_articles(cast.kb_editor, "batch.xlsx", b"not a zip")
    with pytest.raises(Invalid):
        do_import_articles(cast.kb_editor, "batch.txt", b"title\n")


def test_export_writes_the_import_columns_and_defuses_formulas(cast):
    publish(cast, content='=HYPERLINK("http://example.invalid")办理须知')
    wb = load_workbook(io.BytesIO(export_xlsx(Article.objects.select_related("category", "owner_unit"))))
    ws = wb.worksheets[0]
    header, row = [c.value for c in ws[1]], [c.value for c in ws[2]]
    assert header[:5] == ["标题", "分类编码", "内容", "材料类型", "主管单位编码"]
    assert row[2].startswith("'=") and row[3] == "办事指南"
    again = do_import_articles(cast.kb_editor, "again.xlsx", xlsx([header, [*row[:0], "新标题", *row[1:]]]))
    assert again.created == 1
