"""Import and export of articles (xlsx and CSV), up to ``MAX_ROWS`` items per batch.

The import checks every row first (the same ``clean_article_input`` as the editor, duplicate titles in the
file and in the knowledge base, the importer's right to write for the owner unit) and returns a report
per row; rows with errors are not written, the others are created as drafts (or published, when the KB
team asks) through the same actions as the console. A file with unknown or missing columns, or with more
than ``MAX_ROWS`` rows, is refused as a whole. The export writes the same columns, so an exported file
imports again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from yihaotong.core.errors import Invalid
from yihaotong.directory.models import Category, Unit

from . import actions as A
from .access import capacities, is_kb_team
from .models import Article, MaterialType, RevisionAction, Visibility

MAX_ROWS = 1000
MAX_BYTES = 20 * 1024 * 1024

# (field, Chinese header, English header); the first five are required.
COLUMNS = [
    ("title", "标题", "title"),
    ("category", "分类编码", "category"),
    ("content", "内容", "content"),
    ("material_type", "材料类型", "material_type"),
    ("owner_unit", "主管单位编码", "owner_unit"),
    ("issuing_unit", "发文单位", "issuing_unit"),
    ("keywords", "关键词", "keywords"),
    ("phrasings", "其他问法", "phrasings"),
    ("visibility", "可见范围", "visibility"),
    ("effective_from", "生效日期", "effective_from"),
    ("expires_on", "失效日期", "expires_on"),
    ("next_review_on", "下次复核日期", "next_review_on"),
]
REQUIRED = {"title", "category", "content", "material_type", "owner_unit"}
_HEADER = {h: f for f, zh, en in COLUMNS for h in (zh, en)}
DATES = ("effective_from", "expires_on", "next_review_on")
PHRASING_SEPARATOR = "|"


# The Chinese names that government spreadsheets use (domain.md §8); codes are accepted too.
MATERIAL_NAMES = {
    "办事指南": "guide",
    "法律法规": "law",
    "热点问答": "hot_qa",
    "日常咨询": "daily",
    "通知公告": "notice",
    "业务指引": "business",
    "其他": "other",
}
VISIBILITY_NAMES = {"公开": "public", "内部": "internal", "仅内部": "internal"}


def _labels(choices, names: dict[str, str]) -> dict[str, str]:
    return {**{v: v for v in choices.values}, **names}


@dataclass
class RowReport:
    row: int  # the line number in the file (the header is line 1)
    title: str
    ok: bool
    errors: dict[str, list[str]] = field(default_factory=dict)
    article_id: int | None = None


@dataclass
class ImportReport:
    rows: list[RowReport]
    created: int = 0
    rejected: int = 0

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "rejected": self.rejected,
            "rows": [r.__dict__ for r in self.rows],
        }


# ---------------------------------------------------------------------------------------------------------
# reading


def _cell(value) -> str | date:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return str(value).strip()


def read_rows(name: str, data: bytes) -> list[dict[str, str | date]]:
    """Return the rows of a CSV or xlsx file as dicts keyed by field name; refuse a bad file as a whole."""
    if len(data) > MAX_BYTES:
        raise Invalid("The file is too large.", errors={"file": [f"at most {MAX_BYTES // (1024 * 1024)} MB"]})
    lower = (name or "").lower()
    if lower.endswith(".xlsx"):
        table = _read_xlsx(data)
    elif lower.endswith(".csv"):
        table = _read_csv(data)
    else:
        raise Invalid("Send an .xlsx or .csv file.", errors={"file": ["an .xlsx or .csv file"]})
    if not table:
        raise Invalid("The file is empty.", errors={"file": ["no header row"]})
    header = [str(h or "").strip() for h in table[0]]
    unknown = [h for h in header if h and h not in _HEADER]
    fields = [_HEADER.get(h) for h in header]
    missing = REQUIRED - set(fields)
    errors = {}
    if unknown:
        errors["columns"] = [f"unknown column '{h}'" for h in unknown]
    if missing:
        errors.setdefault("columns", []).extend(f"missing column '{f}'" for f in sorted(missing))
    if len([f for f in fields if f]) != len(set(f for f in fields if f)):
        errors.setdefault("columns", []).append("a column appears twice")
    if errors:
        raise Invalid("The columns of the file are wrong.", errors=errors)
    rows = []
    for values in table[1:]:
        if not any(_cell(v) for v in values):
            continue
        row = {f: _cell(v) for f, v in zip(fields, values, strict=False) if f}
        rows.append(row)
    if len(rows) > MAX_ROWS:
        raise Invalid("Too many rows.", errors={"file": [f"at most {MAX_ROWS} rows per batch, got {len(rows)}"]})
    return rows


def _read_csv(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("The CSV file is not UTF-8 or GB18030 text.", errors={"file": ["unknown text encoding"]})
    return [row for row in csv.reader(io.StringIO(text))]


def _read_xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise Invalid("The file is not a readable xlsx workbook.", errors={"file": [str(exc)[:200]]}) from exc
    ws = wb.worksheets[0]
    table = []
    for i, row in enumerate(ws.iter_rows(values_only=True)):
        if i > MAX_ROWS + 1:
            raise Invalid("Too many rows.", errors={"file": [f"at most {MAX_ROWS} rows per batch"]})
        table.append(list(row))
    wb.close()
    return table


# ---------------------------------------------------------------------------------------------------------
# importing


def _date(value, name: str, errors: dict) -> date | None:
    if isinstance(value, date) or not value:
        return value or None
    try:
        return date.fromisoformat(str(value).replace("/", "-"))
    except ValueError:
        errors.setdefault(name, []).append("a date like 2026-03-09")
        return None


def check_rows(actor, rows: list[dict]) -> tuple[list[RowReport], list[A.ArticleInput]]:
    """Check every row without writing; return the reports and the inputs of the good rows (None for bad)."""
    categories = {c.code: c for c in Category.objects.all()}
    parents = set(Category.objects.exclude(parent=None).values_list("parent_id", flat=True))
    leaf_ids = {c.pk for c in categories.values() if c.pk not in parents}
    units = {u.code: u for u in Unit.objects.all()}
    materials = _labels(MaterialType, MATERIAL_NAMES)
    visibilities = _labels(Visibility, VISIBILITY_NAMES)
    titles = [str(r.get("title") or "").strip() for r in rows]
    existing = set(Article.objects.filter(title__in=[t for t in titles if t]).values_list("title", flat=True))
    seen: dict[str, int] = {}
    reports, inputs = [], []
    for i, row in enumerate(rows):
        line = i + 2
        errors: dict[str, list[str]] = {}
        data = A.ArticleInput(
            title=str(row.get("title") or ""),
            category=str(row.get("category") or ""),
            content=str(row.get("content") or ""),
            material_type=materials.get(str(row.get("material_type") or ""), str(row.get("material_type") or "")),
            owner_unit=str(row.get("owner_unit") or ""),
            issuing_unit=str(row.get("issuing_unit") or ""),
            keywords=str(row.get("keywords") or ""),
            phrasings=str(row.get("phrasings") or "").replace(PHRASING_SEPARATOR, "\n"),
            visibility=visibilities.get(str(row.get("visibility") or "public"), str(row.get("visibility"))),
            **{d: _date(row.get(d), d, errors) for d in DATES},
        )
        clean = A.clean_article_input(data, categories=categories, units=units, leaf_ids=leaf_ids)
        for name, messages in clean.errors.items():
            errors.setdefault(name, []).extend(messages)
        title = clean.values["title"]
        if title in existing:
            errors.setdefault("title", []).append("an article with this title exists")
        elif title in seen:
            errors.setdefault("title", []).append(f"the same title as line {seen[title]}")
        seen.setdefault(title, line)
        unit = clean.values["owner_unit"]
        if unit is not None and not capacities(actor, owner_unit=unit):
            errors.setdefault("owner_unit", []).append("you may import articles only for your own unit")
        reports.append(RowReport(row=line, title=title, ok=not errors, errors=errors))
        inputs.append(None if errors else data)
    return reports, inputs


@transaction.atomic
def do_import_articles(actor, name: str, data: bytes, *, publish: bool = False) -> ImportReport:
    """Import a batch: report every row, write the good ones (drafts, or published by the KB team)."""
    if publish and not is_kb_team(actor):
        raise Invalid("Only the knowledge-base team publishes on import.", errors={"publish": ["not allowed"]})
    rows = read_rows(name, data)
    reports, inputs = check_rows(actor, rows)
    report = ImportReport(rows=reports)
    for row, data_in in zip(reports, inputs, strict=True):
        if data_in is None:
            report.rejected += 1
            continue
        article = A.do_create_article(actor, data_in, action=RevisionAction.IMPORT, note=f"import: {name}"[:255])
        if publish:
            A.do_publish_article(actor, article.pk)
        row.article_id = article.pk
        report.created += 1
    return report


# ---------------------------------------------------------------------------------------------------------
# exporting


_NAME_OF_MATERIAL = {v: k for k, v in MATERIAL_NAMES.items()}


def export_rows(articles) -> list[list[str]]:
    """Return the header (Chinese) and one row per article, in the import's columns."""
    out = [[zh for _f, zh, _en in COLUMNS]]
    for a in articles:
        values = {
            "title": a.title,
            "category": a.category.code,
            "content": a.content_text,
            "material_type": _NAME_OF_MATERIAL.get(a.material_type, a.material_type),
            "owner_unit": a.owner_unit.code,
            "issuing_unit": a.issuing_unit,
            "keywords": a.keywords,
            "phrasings": PHRASING_SEPARATOR.join(a.phrasing_list()),
            "visibility": "公开" if a.visibility == Visibility.PUBLIC else "仅内部",
            "effective_from": a.effective_from.isoformat() if a.effective_from else "",
            "expires_on": a.expires_on.isoformat() if a.expires_on else "",
            "next_review_on": a.next_review_on.isoformat() if a.next_review_on else "",
        }
        out.append([_safe(values[f]) for f, _zh, _en in COLUMNS])
    return out


def _safe(value: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula (CSV / formula injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def export_csv(articles) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(export_rows(articles))
    return buf.getvalue().encode("utf-8-sig")


def export_xlsx(articles) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("知识库")
    for row in export_rows(articles):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
