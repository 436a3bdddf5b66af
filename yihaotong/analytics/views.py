"""Analytics screens: the leaders' dashboard, a unit's dashboard, the orders behind a figure and their export,
hot-spot alerts, monthly reports and the settings. Views parse and render; actions write; figures come from
the rollups (selectors.py)."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from yihaotong.core.api import paginate
from yihaotong.core.errors import DomainError, Invalid, NotFound, NotPermitted
from yihaotong.directory.models import Category, RequestType, Unit, UnitKind
from yihaotong.workorders.models import Channel

from . import access, actions, drill, kpis
from .models import Alert, AlertState, MonthlyReport, RollupCursor
from .periods import KINDS, Period, parse_period
from .report import workbook
from .selectors import (
    distribution,
    get_settings,
    indicators,
    league,
    missing_calendar_years,
    open_now,
    series,
    street_tiles,
)

PAGE_SIZE = 50
PERIOD_LABELS = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "year": gettext_lazy("Year"),
    "custom": gettext_lazy("Custom"),
}
# The navigation's label of the unit dashboard (consoles/nav.py) is translated in this app's catalogue.
NAV_LABELS = (gettext_lazy("Unit figures"), gettext_lazy("Dashboard"))
SLICE_DIMS = ("all", "channel", "type", "category1", "street", "unit")


def _check(fn, *args):
    try:
        return fn(*args)
    except NotPermitted as exc:
        raise PermissionDenied(exc.localized()) from exc
    except NotFound as exc:
        raise Http404(exc.localized()) from exc


def _period(request) -> tuple[Period, dict, dict]:
    """The period asked for (the current month when the input is bad, with the errors to show)."""
    params = {k: request.GET.get(k, "").strip() for k in ("period", "value", "start", "end", "dim", "key")}
    params["period"] = params["period"] or "month"
    today = timezone.localdate()
    try:
        p = parse_period(params["period"], params["value"], params["start"], params["end"], today=today)
        errors = {}
    except Invalid as exc:
        errors = exc.localized_errors() or {"period": [exc.localized()]}
        p = parse_period("month", today=today)
    if params["dim"] not in SLICE_DIMS:
        params["dim"] = "all"
    if params["dim"] == "all":
        params["key"] = ""
    return p, params, errors


def _period_query(p: Period, dim: str = "all", key: str = "") -> str:
    q = {"period": "custom", "start": p.start.isoformat(), "end": p.end.isoformat()}
    if dim != "all" and key:
        q.update(dim=dim, key=key)
    return urlencode(q)


def _choices():
    return {
        "kinds": [(k, str(PERIOD_LABELS[k])) for k in KINDS],
        "dims": [
            ("all", _("Whole district")),
            ("channel", _("Channel")),
            ("type", _("Request type")),
            ("category1", _("Category")),
            ("street", _("Street")),
            ("unit", _("Unit")),
        ],
        "keys": {
            "channel": list(Channel.choices),
            "type": [(t.code, t.name) for t in RequestType.objects.all()],
            "category1": [(c.code, c.name) for c in Category.objects.filter(parent=None)],
            "street": [(u.code, u.short_name or u.name) for u in Unit.objects.filter(kind=UnitKind.STREET)],
            "unit": [
                (u.code, u.short_name or u.name)
                for u in Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET], is_active=True)
            ],
        },
    }


def _names(dim: str) -> dict[str, str]:
    if dim == "channel":
        return {k: str(v) for k, v in Channel.choices}
    if dim == "type":
        return dict(RequestType.objects.values_list("code", "name"))
    if dim in ("category", "category1"):
        return dict(Category.objects.values_list("code", "name"))
    if dim in ("street", "unit"):
        return {u.code: u.short_name or u.name for u in Unit.objects.all()}
    return {}


def _calendar_notes(p: Period) -> list[str]:
    return [
        _(
            "No working-day calendar for %(year)s: reply cycles in that year are not measured. "
            "Enter the year's calendar."
        )
        % {"year": y}
        for y in missing_calendar_years(p)
    ]


@require_GET
@login_required
def dashboard(request):
    """The leaders' dashboard: figures, trend by channel, direct answers, warnings, league, streets, hot spots."""
    _check(access.check_read_district, request.user)
    p, params, errors = _period(request)
    settings = get_settings()
    dim, key = params["dim"], params["key"]
    figures = indicators(p, dim=dim, key=key, settings=settings)
    steps, by_channel = series(p, ["created"], dim="channel", by_key=True)
    channel_names = _names("channel")
    direct = {
        m: int(sum(n for _k, n in distribution(p, "all", m)))
        for m in ("contacts_direct", "contacts_order", "answered", "dispatched")
    }
    yellow, red = open_now()
    table = league(p, settings=settings)
    tiles = street_tiles(p, settings)
    causes = distribution(p, "cause", "cause", limit=10)
    cat_names = _names("category1")
    dissatisfied = [(cat_names.get(k, k), n) for k, n in distribution(p, "category1", "cb_dissatisfied", limit=8)]
    alerts = list(Alert.objects.exclude(state=AlertState.CLOSED).select_related("street").order_by("-growth")[:6])
    examples = _alert_examples(request.user, alerts)
    charts = {
        "trend": {
            "title": _("Work orders by channel"),
            "unit": _("orders"),
            "steps": steps,
            "series": [{"name": channel_names.get(k, k), "data": v} for k, v in sorted(by_channel.items())],
        },
        "direct": {
            "title": _("Direct answers and work orders"),
            "unit": _("contacts / orders"),
            "data": [
                {"name": _("Contacts answered directly"), "value": direct["contacts_direct"]},
                {"name": _("Contacts made into work orders"), "value": direct["contacts_order"]},
                {"name": _("Orders answered directly"), "value": direct["answered"]},
            ],
        },
        "league": {
            "title": _("Units by composite score (three rates)"),
            "unit": "%",
            "names": [r["name"] for r in table[:15]][::-1],
            "values": [round((r["figures"]["composite"] or 0) * 100, 1) for r in table[:15]][::-1],
        },
        "streets": {
            "title": _("The 12 streets: work orders (colour) and satisfaction"),
            "unit": _("orders"),
            "tiles": [
                {
                    "name": t["name"],
                    "x": i % 4,
                    "y": i // 4,
                    "volume": t["volume"],
                    "satisfaction": None if t["satisfaction"] is None else round(t["satisfaction"] * 100, 1),
                }
                for i, t in enumerate(tiles)
            ],
            "volume_label": _("Work orders"),
            "satisfaction_label": _("Satisfaction rate"),
        },
        "causes": {
            "title": _("Causes of dissatisfaction (words in the reasons)"),
            "unit": _("callbacks"),
            "names": [k for k, _n in causes][::-1],
            "values": [n for _k, n in causes][::-1],
        },
    }
    context = {
        "period": p,
        "params": params,
        "errors": errors,
        "choices": _choices(),
        "figures": figures,
        "kb_figures": [f for f in figures if f["source"] == "kb"],
        "kb_href": _kb_href(p) if _opens_kb_dashboard(request.user) else "",
        "query": _period_query(p, dim, key),
        "yellow": yellow,
        "red": red,
        "league": table,
        "unit_columns": [(c, kpis.INDICATORS[c].label, kpis.INDICATORS[c].kind) for c in kpis.UNIT_INDICATORS],
        "tiles": tiles,
        "alerts": alerts,
        "examples": examples,
        "causes": causes,
        "dissatisfied": dissatisfied,
        "direct": direct,
        "charts": charts,
        "calendar_notes": _calendar_notes(p),
        "slice_name": _names(dim).get(key, key) if dim != "all" else "",
        "empty": not any(f["value"] for f in figures if f["kind"] == "count" and f["source"] != "kb"),
        "rolled_up_at": RollupCursor.objects.filter(source="events").values_list("updated_at", flat=True).first(),
    }
    return render(request, "analytics/dashboard.html", context)


def _opens_kb_dashboard(user) -> bool:
    """Whether ``user`` may open the KB dashboard (the rule of consoles.views_kb.kb_dashboard): the KB team
    and leaders; other readers of the figures see them without a link."""
    from yihaotong.accounts import roles as R
    from yihaotong.kb.access import is_kb_team

    return is_kb_team(user) or R.LEADER in getattr(user, "roles", ())


def _kb_href(p: Period) -> str:
    """The KB dashboard (articles used, searches without a useful result, gap clusters) over the last days
    that cover the period: it counts back from now, up to a year."""
    days = max(1, min((timezone.localdate() - p.start).days + 1, 366))
    return f"{reverse('consoles:kb_dashboard')}?{urlencode({'days': days})}"


def _alert_examples(actor, alerts) -> dict[int, list]:
    from yihaotong.workorders.access import visible_orders

    ids = {i for a in alerts for i in a.example_order_ids[:3]}
    orders = {o.pk: o for o in visible_orders(actor).filter(pk__in=ids).only("id", "number", "subject")}
    return {a.pk: [orders[i] for i in a.example_order_ids[:3] if i in orders] for a in alerts}


@require_GET
@login_required
def unit_dashboard(request):
    """A unit's own figures against the district's."""
    p, params, errors = _period(request)
    unit = _check(access.readable_unit, request.user, request.GET.get("unit", "").strip())
    settings = get_settings()
    mine = {
        f["code"]: f
        for f in indicators(p, dim="unit", key=unit.code, settings=settings, codes=kpis.UNIT_INDICATORS, unit=True)
    }
    table = league(p, settings=settings)
    district_sums = {}
    for r in table:
        for c, v in r["figures"].items():
            district_sums.setdefault(c, []).append(v)
    rows = []
    for code in kpis.UNIT_INDICATORS:
        values = [v for v in district_sums.get(code, []) if v is not None]
        avg = sum(values) / len(values) if values else None
        f = mine[code]
        rows.append({**f, "district": avg, "ind": kpis.INDICATORS[code]})
    rank = next((r["rank"] for r in table if r["code"] == unit.code), None)
    steps, trend = series(p, ["dispatched", "closed", "warn_red"], dim="unit", key=unit.code)
    names = {"dispatched": _("Dispatched"), "closed": _("Closed"), "warn_red": _("Red warnings")}
    charts = {
        "trend": {
            "title": _("%(unit)s: dispatched, closed and overdue") % {"unit": unit.short_name or unit.name},
            "unit": _("orders"),
            "steps": steps,
            "series": [{"name": names[m], "data": trend.get(m, [0] * len(steps))} for m in names],
        }
    }
    context = {
        "unit": unit,
        "period": p,
        "params": params,
        "errors": errors,
        "choices": _choices(),
        "rows": rows,
        "rank": rank,
        "ranked": len(table),
        "charts": charts,
        "query": _period_query(p, "unit", unit.code),
        "can_pick": access.can_read_district(request.user),
        "calendar_notes": _calendar_notes(p),
        "empty": not (mine["dispatched_count"]["value"] or 0),
    }
    return render(request, "analytics/unit.html", context)


def _slice(request) -> tuple[drill.Slice, dict, dict]:
    p, params, errors = _period(request)
    metric = request.GET.get("metric", "").strip() or "created"
    return drill.Slice(metric, p, params["dim"], params["key"]), params, errors


@require_GET
@login_required
def figure_orders(request):
    """The work orders behind one figure (a click on the dashboard)."""
    s, params, errors = _slice(request)
    items, meta = [], {"page": 1, "pages": 0, "total": 0, "capped": False}
    try:
        qs = drill.orders_behind(request.user, s)
        items, meta = paginate(
            qs.select_related("street", "lead_unit"), request.GET.get("page"), PAGE_SIZE, count_cap=10000
        )
    except Invalid as exc:
        errors = {**errors, **(exc.localized_errors() or {"metric": [exc.localized()]})}
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "slice": s,
        "metric_label": _metric_label(s.metric),
        "slice_name": _names(s.dim).get(s.key, s.key),
        "items": items,
        "meta": meta,
        "errors": errors,
        "query": query.urlencode(),
    }
    return render(request, "analytics/orders.html", context)


def _metric_label(metric: str) -> str:
    for ind in kpis.INDICATORS.values():
        if ind.metrics and ind.metrics[0] == metric:
            return str(ind.label)
    return metric


def _export_qs(request):
    """The list to export: the orders behind a figure (``metric=``), or the order list's filters (/orders/)."""
    if request.GET.get("metric"):
        s, _params, errors = _slice(request)
        if errors:
            raise Invalid(_("The period is not valid."), errors=errors)
        return drill.orders_behind(request.user, s)
    from yihaotong.consoles.views import FILTER_FIELDS, _date
    from yihaotong.workorders.selectors import OrderFilter, list_orders

    g = {k: request.GET.get(k, "").strip() for k in FILTER_FIELDS + ["category"]}
    f = OrderFilter(
        state=g["state"],
        warning=g["warning"],
        street=g["street"],
        request_type=g["request_type"],
        unit=g["unit"],
        assigned_unit=g["assigned_unit"],
        category=g["category"],
        q=g["q"],
        created_from=_date(g["created_from"]),
        created_to=_date(g["created_to"]),
        sort=g["sort"] or "-created",
    )
    return list_orders(request.user, f)


@require_GET
@login_required
def export(request, fmt: str):
    """Stream an order list as CSV or .xlsx (a million rows without holding them in memory)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404(_("Export as csv or xlsx."))
    _check(access.check_export, request.user)
    try:
        qs = _export_qs(request)
    except DomainError as exc:
        messages.error(request, exc.localized())
        return redirect("analytics:orders")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = StreamingHttpResponse(drill.csv_stream(qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response
    tmp = drill.xlsx_file(qs)
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=f"orders-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- alerts -------------------------------------------------------------------------------------------------


@require_GET
@login_required
def alerts(request):
    _check(access.check_read_district, request.user)
    state = request.GET.get("state", "").strip()
    qs = Alert.objects.select_related("street", "assigned_unit")
    if state in AlertState.values:
        qs = qs.filter(state=state)
    elif state != "all":
        qs = qs.exclude(state=AlertState.CLOSED)
    items, meta = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "analytics/alerts.html",
        {
            "items": items,
            "meta": meta,
            "state": state,
            "states": AlertState.choices,
            "query": urlencode({"state": state}),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def alert_detail(request, pk: int):
    _check(access.check_read_district, request.user)
    alert = Alert.objects.select_related("street", "assigned_unit", "category").filter(pk=pk).first()
    if alert is None:
        raise Http404(_("No such alert."))
    if request.method == "POST":
        move = request.POST.get("move", "")
        note = request.POST.get("note", "").strip()
        try:
            if move == "acknowledge":
                actions.do_acknowledge_alert(request.user, pk, note=note)
                messages.success(request, _("Alert acknowledged."))
            elif move == "assign":
                actions.do_assign_alert(request.user, pk, unit_id=request.POST.get("unit", ""), note=note)
                messages.success(request, _("Alert assigned."))
            elif move == "close":
                actions.do_close_alert(request.user, pk, note=note)
                messages.success(request, _("Alert closed."))
            else:
                messages.error(request, _("Unknown action."))
        except DomainError as exc:
            text = exc.localized()
            for errs in exc.localized_errors().values():
                text += " " + " ".join(errs)
            messages.error(request, text)
        return redirect("analytics:alert", pk=pk)
    from yihaotong.workorders.access import visible_orders

    examples = list(visible_orders(request.user).filter(pk__in=alert.example_order_ids).select_related("street"))
    units = Unit.objects.filter(pk__in=alert.unit_ids)
    return render(
        request,
        "analytics/alert.html",
        {
            "alert": alert,
            "examples": examples,
            "units": units,
            "log": alert.log.select_related("actor"),
            "unit_choices": Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET], is_active=True),
            "can_act": bool(request.user.roles & access.ALERT_ACTORS),
        },
    )


# --- reports ------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def reports(request):
    _check(access.check_read_district, request.user)
    if request.method == "POST":
        try:
            report = actions.do_generate_monthly_report(request.user, request.POST.get("month", ""))
        except DomainError as exc:
            text = exc.localized()
            for errs in exc.localized_errors().values():
                text += " " + " ".join(errs)
            messages.error(request, text)
            return redirect("analytics:reports")
        messages.success(request, _("The report of %(month)s is ready.") % {"month": f"{report.month:%Y-%m}"})
        return redirect("analytics:report", month=f"{report.month:%Y-%m}")
    items, meta = paginate(MonthlyReport.objects.all(), request.GET.get("page"), 24)
    last = (timezone.localdate().replace(day=1) - date.resolution).strftime("%Y-%m")
    return render(request, "analytics/reports.html", {"items": items, "meta": meta, "default_month": last})


def _report(month: str) -> MonthlyReport:
    try:
        first = actions.month_start(month)
    except Invalid as exc:
        raise Http404(exc.localized()) from exc
    report = MonthlyReport.objects.filter(month=first).first()
    if report is None:
        raise Http404(_("No report for this month yet: generate it first."))
    return report


@require_GET
@login_required
def report_page(request, month: str):
    _check(access.check_read_district, request.user)
    report = _report(month)
    d = report.data
    charts = {
        "trend": {
            "title": _("Work orders by channel"),
            "unit": _("orders"),
            "steps": d["channel_trend"]["steps"],
            "series": [
                {"name": _names("channel").get(k, k), "data": v}
                for k, v in sorted(d["channel_trend"]["series"].items())
            ],
        },
        "causes": {
            "title": _("Causes of dissatisfaction (words in the reasons)"),
            "unit": _("callbacks"),
            "names": [k for k, _n in d["causes"]][::-1],
            "values": [n for _k, n in d["causes"]][::-1],
        },
    }
    channel_names = _names("channel")
    cat_names = _names("category1")
    return render(
        request,
        "analytics/report.html",
        {
            "report": report,
            "d": d,
            "charts": charts,
            "channels": [(channel_names.get(k, k), n) for k, n in d["channels"]],
            "dissatisfied": [(cat_names.get(k, k), n) for k, n in d["dissatisfied_by_category"]],
            "unit_columns": [(c, kpis.INDICATORS[c].label, kpis.INDICATORS[c].kind) for c in kpis.UNIT_INDICATORS],
        },
    )


@require_GET
@login_required
def report_xlsx(request, month: str):
    _check(access.check_read_district, request.user)
    report = _report(month)
    response = HttpResponse(
        workbook(report), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="monthly-report-{report.month:%Y-%m}.xlsx"'
    return response


# --- settings -----------------------------------------------------------------------------------------------

SETTING_FIELDS = [
    ("weights.response", "weights", "response"),
    ("weights.solve", "weights", "solve"),
    ("weights.satisfaction", "weights", "satisfaction"),
    ("basically_weight", "basically_weight", None),
    ("targets.completion_rate", "targets", "completion_rate"),
    ("targets.on_time_rate", "targets", "on_time_rate"),
    ("targets.satisfaction_rate", "targets", "satisfaction_rate"),
    ("targets.return_rate", "targets", "return_rate"),
    ("hotspot.window_days", "hotspot", "window_days"),
    ("hotspot.baseline_days", "hotspot", "baseline_days"),
    ("hotspot.min_count", "hotspot", "min_count"),
    ("hotspot.min_growth", "hotspot", "min_growth"),
    ("hotspot.max_alerts", "hotspot", "max_alerts"),
]


@require_http_methods(["GET", "POST"])
@login_required
def settings_view(request):
    _check(access.check_read_district, request.user)
    errors: dict[str, list[str]] = {}
    current = get_settings()
    values = {name: (current[k] if sub is None else current[k].get(sub)) for name, k, sub in SETTING_FIELDS}
    if request.method == "POST":
        data: dict = {}
        for name, k, sub in SETTING_FIELDS:
            raw = request.POST.get(name, "").strip()
            values[name] = raw
            if sub is None:
                data[k] = raw
            else:
                data.setdefault(k, {})[sub] = raw
        try:
            actions.do_save_settings(request.user, data)
        except NotPermitted as exc:
            raise PermissionDenied(exc.localized()) from exc
        except DomainError as exc:
            errors = exc.localized_errors()
            messages.error(request, exc.localized())
        else:
            messages.success(request, _("Settings saved."))
            return redirect("analytics:settings")
    labels = {
        "weights.response": _("Weight of the response rate"),
        "weights.solve": _("Weight of the solution rate"),
        "weights.satisfaction": _("Weight of the satisfaction rate"),
        "basically_weight": _("Weight of 'basically satisfied' (0–1)"),
        "targets.completion_rate": _("Target completion rate (0–1)"),
        "targets.on_time_rate": _("Target on-time rate (0–1)"),
        "targets.satisfaction_rate": _("Target satisfaction rate (0–1)"),
        "targets.return_rate": _("Highest return rate (0–1)"),
        "hotspot.window_days": _("Hot spots: window (days)"),
        "hotspot.baseline_days": _("Hot spots: usual level over (days)"),
        "hotspot.min_count": _("Hot spots: at least this many requests"),
        "hotspot.min_growth": _("Hot spots: at least this many times the usual level"),
        "hotspot.max_alerts": _("Hot spots: at most this many alerts per run"),
    }
    fields = [(name, labels[name], values[name], errors.get(name, [])) for name, _k, _s in SETTING_FIELDS]
    return render(
        request,
        "analytics/settings.html",
        {"fields": fields, "can_edit": bool(request.user.roles & access.SETTINGS_EDITORS)},
    )


def charts_json(charts: dict) -> str:
    return json.dumps(charts, ensure_ascii=False)
