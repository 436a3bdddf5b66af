"""The monthly report (月报): its figures from the rollups, and its Excel workbook."""

from __future__ import annotations

import calendar as _cal
import io
from datetime import date

from django.utils.translation import gettext as _

from . import kpis
from .models import Alert, MonthlyReport
from .periods import Period
from .selectors import distribution, get_settings, indicators, league, missing_calendar_years, series, street_tiles


def _period(first: date) -> Period:
    return Period("month", first, first.replace(day=_cal.monthrange(first.year, first.month)[1]))


def build_report(first: date) -> dict:
    """Everything the report shows, as plain JSON data (stored with the report)."""
    from yihaotong.directory.models import RequestType, Unit

    p = _period(first)
    settings = get_settings()
    figures = indicators(p, settings=settings)
    steps, trend = series(p, ["created"], dim="channel", by_key=True)
    types = {t.code: t.name for t in RequestType.objects.all()}
    units = {u.code: u.short_name or u.name for u in Unit.objects.all()}
    alerts = Alert.objects.filter(created_at__date__gte=p.start, created_at__date__lte=p.end).order_by("-growth")[:10]
    from yihaotong.workorders.models import WorkOrder

    examples = {}
    for a in alerts:
        examples[a.pk] = list(WorkOrder.objects.filter(pk__in=a.example_order_ids[:3]).values_list("number", "subject"))
    return {
        "month": f"{first:%Y-%m}",
        "missing_calendar_years": missing_calendar_years(p),
        "indicators": [
            {k: f[k] for k in ("code", "label", "kind", "value", "previous", "year_ago", "mom", "yoy")} for f in figures
        ],
        "channels": distribution(p, "channel"),
        "channel_trend": {"steps": steps, "series": trend},
        "types": [(types.get(k, k), n) for k, n in distribution(p, "type")],
        "direct_vs_orders": {
            "contacts_direct": int(sum(n for _, n in distribution(p, "all", "contacts_direct"))),
            "contacts_order": int(sum(n for _, n in distribution(p, "all", "contacts_order"))),
            "answered": int(sum(n for _, n in distribution(p, "all", "answered"))),
            "dispatched": int(sum(n for _, n in distribution(p, "all", "dispatched"))),
        },
        "units": [
            {
                "code": r["code"],
                "name": r["name"],
                "rank": r["rank"],
                **{k: r["figures"][k] for k in kpis.UNIT_INDICATORS},
            }
            for r in league(p, settings=settings)
        ],
        "streets": street_tiles(p, settings),
        "hotspots": [
            {
                "label": a.label,
                "count": a.count,
                "growth": a.growth,
                "street": (a.street.short_name or a.street.name) if a.street else "",
                "examples": examples.get(a.pk, []),
            }
            for a in alerts
        ],
        "causes": distribution(p, "cause", "cause", limit=15),
        "dissatisfied_by_category": distribution(p, "category1", "cb_dissatisfied", limit=10),
        "supervised": int(sum(n for _, n in distribution(p, "all", "supervised"))),
        "supervised_by_unit": [(units.get(k, k), n) for k, n in distribution(p, "unit", "supervised", limit=15)],
        "overdue": int(sum(n for _, n in distribution(p, "all", "warn_red"))),
    }


def _fmt(value, kind: str):
    if value is None:
        return None
    return round(value, 4) if kind != "count" else int(value)


def workbook(report: MonthlyReport) -> bytes:
    """The report as an .xlsx workbook: summary, channels and types, units, streets, hot spots, causes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    d = report.data
    wb = Workbook()
    head_font, head_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")

    def sheet(title, header, rows, *, formats=None, first=False):
        ws = wb.active if first else wb.create_sheet()
        ws.title = title[:31]
        ws.append(header)
        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment = head_font, head_fill, Alignment(horizontal="center")
        for row in rows:
            ws.append(list(row))
        for i, h in enumerate(header, 1):
            width = max([len(str(h)) * 2] + [len(str(r[i - 1])) + 2 for r in rows if i - 1 < len(r)] + [10])
            ws.column_dimensions[get_column_letter(i)].width = min(width, 60)
            fmt = (formats or {}).get(i)
            if fmt:
                for cells in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    for c in cells:
                        c.number_format = fmt
        ws.freeze_panes = "A2"
        return ws

    rows = []
    for f in d["indicators"]:
        pct = f["kind"] == "rate"
        rows.append(
            [
                f["label"],
                _fmt(f["value"], f["kind"]),
                _fmt(f["previous"], f["kind"]),
                _fmt(f["year_ago"], f["kind"]),
                f["mom"],
                f["yoy"],
                "%" if pct else "",
            ]
        )
    ws = sheet(
        _("Summary %(month)s") % {"month": d["month"]},
        [
            _("Indicator"),
            _("This month"),
            _("Previous month"),
            _("A year before"),
            _("Month on month"),
            _("Year on year"),
            "",
        ],
        rows,
        formats={5: "0.0%", 6: "0.0%"},
        first=True,
    )
    for r, f in enumerate(d["indicators"], 2):
        if f["kind"] == "rate":
            for col in (2, 3, 4):
                ws.cell(row=r, column=col).number_format = "0.0%"
    sheet(_("Channels"), [_("Channel"), _("Orders")], d["channels"])
    sheet(_("Request types"), [_("Request type"), _("Orders")], d["types"])
    dv = d["direct_vs_orders"]
    sheet(
        _("Direct answers"),
        [_("Figure"), _("Count")],
        [
            [_("Contacts answered directly"), dv["contacts_direct"]],
            [_("Contacts made into work orders"), dv["contacts_order"]],
            [_("Orders answered directly"), dv["answered"]],
            [_("Orders dispatched"), dv["dispatched"]],
        ],
    )
    unit_cols = [_("Rank"), _("Unit")] + [str(kpis.INDICATORS[c].label) for c in kpis.UNIT_INDICATORS]
    unit_rows = [[u["rank"], u["name"]] + [u[c] for c in kpis.UNIT_INDICATORS] for u in d["units"]]
    rate_cols = {i + 3: "0.0%" for i, c in enumerate(kpis.UNIT_INDICATORS) if kpis.INDICATORS[c].kind == "rate"}
    rate_cols.update({i + 3: "0.00" for i, c in enumerate(kpis.UNIT_INDICATORS) if kpis.INDICATORS[c].kind == "days"})
    sheet(_("Units"), unit_cols, unit_rows, formats=rate_cols)
    sheet(
        _("Streets"),
        [_("Street"), _("Orders"), _("Satisfaction rate")],
        [[s["name"], s["volume"], s["satisfaction"]] for s in d["streets"]],
        formats={3: "0.0%"},
    )
    sheet(
        _("Hot spots"),
        [_("Cluster"), _("Street"), _("Similar requests"), _("Growth"), _("Examples")],
        [
            [h["label"], h["street"], h["count"], h["growth"], "；".join(f"{n} {s}" for n, s in h["examples"])]
            for h in d["hotspots"]
        ],
    )
    sheet(_("Dissatisfaction"), [_("Cause"), _("Callbacks")], d["causes"])
    sheet(
        _("Supervision"),
        [_("Unit"), _("Supervised items")],
        [[_("District"), d["supervised"]]] + [list(r) for r in d["supervised_by_unit"]],
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
