"""Reading and checking upstream rows (the inbound API and the batch import share these rules).

``read_table`` turns an .xlsx or .csv export into rows keyed by field; ``check_row`` validates one row
and returns a ``TransferInput`` or its field errors (English msgids, translated at display time). Nothing
here writes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils.translation import gettext_noop

from yihaotong.core.errors import Invalid, Message
from yihaotong.directory.models import Category, RequestType, Unit, UnitKind, Urgency
from yihaotong.worktime.calendar import TZ

MAX_ROWS = 10_000
MAX_BYTES = 30 * 1024 * 1024
MAX_TEXT = 10_000
MAX_SUBJECT = 200
UPSTREAM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/\-]{0,63}$")

# (field, Chinese header, English header)
COLUMNS = [
    ("upstream_id", "上级编号", "upstream_id"),
    ("subject", "标题", "subject"),
    ("text", "诉求内容", "text"),
    ("request_type", "诉求类型", "request_type"),
    ("category", "事项分类", "category"),
    ("urgency", "紧急程度", "urgency"),
    ("address", "地址", "address"),
    ("street", "街道", "street"),
    ("requester_name", "诉求人", "requester_name"),
    ("requester_phone", "联系电话", "requester_phone"),
    ("is_anonymous", "是否匿名", "is_anonymous"),
    ("upstream_received_at", "上级受理时间", "upstream_received_at"),
    ("upstream_due", "办理期限", "upstream_due"),
]
FIELDS = [c[0] for c in COLUMNS]
REQUIRED = ("upstream_id", "subject", "text", "request_type")
_HEADER = {h: f for f, zh, en in COLUMNS for h in (zh, en)}
# What the order keeps and an upstream may not change after the transfer (a change is a conflict).
CONTENT_FIELDS = (
    "subject",
    "text",
    "request_type",
    "category",
    "urgency",
    "address",
    "street",
    "requester_name",
    "requester_phone",
    "is_anonymous",
)
TRUE_WORDS = {"1", "true", "yes", "y", "是", "匿名"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "实名"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S")
_DAY_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")


@dataclass
class TransferInput:
    upstream_id: str
    subject: str
    text: str
    request_type: str  # codes from here on
    category: str = ""
    urgency: str = "normal"
    address: str = ""
    street: str = ""
    requester_name: str = ""
    requester_phone: str = ""
    is_anonymous: bool = False
    upstream_received_at: str = ""  # ISO 8601 (kept as text in the JSON content)
    upstream_due: str = ""

    def content(self) -> dict:
        # The fields are plain strings and booleans: no deep copy (dataclasses.asdict) needed.
        return {k: v for k, v in vars(self).items() if k in CONTENT_FIELDS}

    def due(self) -> datetime | None:
        return datetime.fromisoformat(self.upstream_due) if self.upstream_due else None


# ---------------------------------------------------------------------------------------------------------
# reference tables (names or codes, as the platforms' exports use either)


class References:
    """The codes a row may name, looked up once per batch (by code and by Chinese or English name)."""

    def __init__(self):
        self.request_types = self._table(RequestType.objects.all(), ("name", "name_en"))
        self.urgencies = self._table(Urgency.objects.all(), ("name", "name_en"))
        self.categories = self._table(Category.objects.filter(is_active=True), ("name",))
        self.streets = self._table(Unit.objects.filter(kind=UnitKind.STREET), ("name", "short_name"))

    @staticmethod
    def _table(qs, name_fields) -> dict[str, str | None]:
        table: dict[str, str | None] = {}
        rows = list(qs)
        for row in rows:
            for f in name_fields:
                name = (getattr(row, f, "") or "").strip()
                if name:
                    # A name shared by two rows is ambiguous: only the code will do.
                    table[name] = None if name in table and table[name] != row.code else row.code
        for row in rows:
            table[row.code] = row.code
        return table


def _lookup(table: dict, value: str, field: str, errors: dict) -> str:
    if not value:
        return ""
    if value not in table:
        errors.setdefault(field, []).append(Message(gettext_noop("unknown value %(value)r"), value=value))
        return ""
    code = table[value]
    if code is None:
        errors.setdefault(field, []).append(
            Message(gettext_noop("%(value)r names more than one entry: use the code"), value=value)
        )
        return ""
    return code


def _whole_day(day: date, end_of_day: bool) -> datetime:
    return datetime.combine(day, time.max.replace(microsecond=0) if end_of_day else time.min)


def parse_datetime(value, *, end_of_day: bool = False) -> datetime:
    """A date-time of the upstream's export (China time unless it says otherwise); a bare date means the
    start of the day, or its end for deadlines. Raise ValueError when it is not a date."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = _whole_day(value, end_of_day)
    else:
        text = str(value).strip()
        dt = None
        if len(text) > 10 and text[4:5] == "-":
            # "2025-01-01 08:00[:00]" and ISO 8601 (with an offset): the C parser, ~20x faster than strptime
            try:
                dt = datetime.fromisoformat(text)
            except ValueError:
                dt = None
        elif len(text) == 10 and text[4:5] == text[7:8] == "-" and text.replace("-", "").isdigit():
            # a bare "2025-01-01" (the usual deadline): the C parser rather than five failing strptime calls
            try:
                dt = _whole_day(date.fromisoformat(text), end_of_day)
            except ValueError:
                dt = None
        for fmt in _DATE_FORMATS if dt is None else ():
            try:
                dt = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if dt is None:
            for fmt in _DAY_FORMATS:
                try:
                    day = datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
                dt = _whole_day(day, end_of_day)
                break
        if dt is None:
            dt = datetime.fromisoformat(text)  # ISO 8601 with an offset; raises ValueError otherwise
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=TZ)
    if not (2000 <= dt.year <= 2100):
        raise ValueError("year out of range")
    return dt


def _text(row: dict, field: str) -> str:
    value = row.get(field)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets turn ids and phone numbers into numbers
    return str(value).strip()


def check_row(row: dict, refs: References) -> tuple[TransferInput | None, dict[str, list[str]]]:
    """Validate one upstream row; return (input, {}) or (None, errors by field)."""
    errors: dict[str, list[str]] = {}
    values = {f: _text(row, f) for f in FIELDS if f not in ("upstream_received_at", "upstream_due")}
    for f in REQUIRED:
        if not values[f]:
            errors.setdefault(f, []).append(gettext_noop("This field is required."))
    uid = values["upstream_id"]
    if uid and not UPSTREAM_ID.match(uid):
        errors.setdefault("upstream_id", []).append(
            gettext_noop("At most 64 letters, digits and . _ - : / (starting with a letter or digit).")
        )
    if len(values["subject"]) > MAX_SUBJECT:
        errors.setdefault("subject", []).append(gettext_noop("At most 200 characters."))
    if len(values["text"]) > MAX_TEXT:
        errors.setdefault("text", []).append(gettext_noop("At most 10,000 characters."))
    for f, limit in (("address", 255), ("requester_name", 64), ("requester_phone", 32)):
        if len(values[f]) > limit:
            errors.setdefault(f, []).append(Message(gettext_noop("At most %(n)s characters."), n=limit))
    request_type = _lookup(refs.request_types, values["request_type"], "request_type", errors)
    category = _lookup(refs.categories, values["category"], "category", errors)
    urgency = _lookup(refs.urgencies, values["urgency"] or "normal", "urgency", errors)
    street = _lookup(refs.streets, values["street"], "street", errors)
    anonymous = values["is_anonymous"].lower()
    if anonymous not in TRUE_WORDS | FALSE_WORDS:
        errors.setdefault("is_anonymous", []).append(gettext_noop("Write 是 or 否."))
    dates = {}
    for f in ("upstream_received_at", "upstream_due"):
        raw = row.get(f)
        if raw in (None, ""):
            dates[f] = ""
            continue
        try:
            dates[f] = parse_datetime(raw, end_of_day=f == "upstream_due").isoformat()
        except (ValueError, TypeError, OverflowError):
            errors.setdefault(f, []).append(
                Message(gettext_noop("not a date and time: %(value)r (use 2026-03-09 17:30)"), value=str(raw)[:40])
            )
    received, due = dates.get("upstream_received_at"), dates.get("upstream_due")
    if not errors and received and due and datetime.fromisoformat(due) < datetime.fromisoformat(received):
        errors.setdefault("upstream_due", []).append(gettext_noop("The deadline is before the receipt."))
    if errors:
        return None, errors
    return (
        TransferInput(
            upstream_id=uid,
            subject=values["subject"],
            text=values["text"],
            request_type=request_type,
            category=category,
            urgency=urgency,
            address=values["address"],
            street=street,
            requester_name=values["requester_name"],
            requester_phone=values["requester_phone"],
            is_anonymous=anonymous in TRUE_WORDS,
            **dates,
        ),
        {},
    )


# ---------------------------------------------------------------------------------------------------------
# files


def read_table(name: str, data: bytes) -> list[tuple[int, dict]]:
    """Return (line number, row by field) of an .xlsx or .csv export; refuse a bad file as a whole."""
    if len(data) > MAX_BYTES:
        raise Invalid(
            gettext_noop("The file is too large."),
            errors={"file": [Message(gettext_noop("at most %(n)s MB"), n=MAX_BYTES // (1024 * 1024))]},
        )
    lower = (name or "").lower()
    if lower.endswith(".xlsx"):
        table = _read_xlsx(data)
    elif lower.endswith(".csv"):
        table = _read_csv(data)
    else:
        raise Invalid(gettext_noop("Send an .xlsx or .csv file."), errors={"file": [gettext_noop("wrong file type")]})
    if not table:
        raise Invalid(gettext_noop("The file is empty."), errors={"file": [gettext_noop("no header row")]})
    header = [str(h or "").strip() for h in table[0]]
    fields = [_HEADER.get(h) for h in header]
    errors: dict[str, list] = {}
    for h in header:
        if h and h not in _HEADER:
            errors.setdefault("columns", []).append(Message(gettext_noop("unknown column %(name)r"), name=h))
    for f in REQUIRED:
        if f not in fields:
            errors.setdefault("columns", []).append(Message(gettext_noop("missing column %(name)r"), name=f))
    present = [f for f in fields if f]
    if len(present) != len(set(present)):
        errors.setdefault("columns", []).append(gettext_noop("a column appears twice"))
    if errors:
        raise Invalid(gettext_noop("The columns of the file are wrong."), errors=errors)
    rows = []
    for line, values in enumerate(table[1:], start=2):
        if not any(v not in (None, "") and str(v).strip() for v in values):
            continue
        rows.append((line, {f: v for f, v in zip(fields, values, strict=False) if f}))
    if len(rows) > MAX_ROWS:
        raise Invalid(
            gettext_noop("Too many rows."),
            errors={
                "file": [Message(gettext_noop("at most %(max)s rows per file, got %(n)s"), max=MAX_ROWS, n=len(rows))]
            },
        )
    return rows


def _read_csv(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid(
            gettext_noop("The CSV file is not UTF-8 or GB18030 text."),
            errors={"file": [gettext_noop("unknown encoding")]},
        )
    try:
        return [r for r in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise Invalid(
            gettext_noop("The CSV file cannot be read."),
            errors={"file": [Message(gettext_noop("CSV error: %(error)s"), error=str(exc)[:200])]},
        ) from exc


def _read_xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise Invalid(
            gettext_noop("The Excel file cannot be read."), errors={"file": [gettext_noop("not a valid .xlsx file")]}
        ) from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 2_000:  # blank rows are skipped later; stop reading a runaway sheet
                break
        return rows
    finally:
        wb.close()
