"""Analytics endpoints: indicators, the unit league, hot-spot alerts and their actions, monthly reports,
settings. Same selectors and actions as the screens; errors are the RFC 7807 problems of config/api.py."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Router, Schema, Status

from yihaotong.core.api import paginate

from . import access, actions
from .models import Alert, AlertState, MonthlyReport
from .periods import Period, parse_period
from .selectors import get_settings, indicators, league

router = Router()


class PeriodOut(Schema):
    kind: str
    start: str
    end: str


class FigureOut(Schema):
    code: str
    label: str
    kind: str
    metric: str
    value: float | None
    previous: float | None
    year_ago: float | None
    mom: float | None
    yoy: float | None
    below_target: bool
    source: str  # "orders" (rollup buckets) or "kb" (the knowledge base's logs; whole district only)


class IndicatorsOut(Schema):
    period: PeriodOut
    dim: str
    key: str
    figures: list[FigureOut]
    missing_calendar_years: list[int]


class LeagueRow(Schema):
    rank: int
    code: str
    name: str
    figures: dict[str, float | None]


class LeagueOut(Schema):
    period: PeriodOut
    units: list[LeagueRow]


class AlertOut(Schema):
    id: int
    label: str
    state: str
    count: int
    baseline: float
    growth: float
    seasonal: bool
    street: str | None
    category: str | None
    example_order_ids: list[int]
    unit_ids: list[int]
    assigned_unit: str | None
    window_start: datetime
    window_end: datetime
    created_at: datetime


class AlertList(Schema):
    items: list[AlertOut]
    page: int
    page_size: int
    total: int
    pages: int
    capped: bool = False


class NoteIn(Schema):
    note: str = ""


class AssignIn(Schema):
    unit_id: int
    note: str = ""


class MonthIn(Schema):
    month: str


class ReportOut(Schema):
    month: str
    generated_at: datetime
    data: dict


def _period(period: str, value: str, start: str, end: str) -> Period:
    return parse_period(period, value, start, end, today=timezone.localdate())


def _p(p: Period) -> dict:
    return {"kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()}


@router.get("/indicators", response=IndicatorsOut, summary="Indicators of a period, with their changes")
def indicators_(
    request: HttpRequest,
    period: str = "month",
    value: str = "",
    start: str = "",
    end: str = "",
    dim: str = "all",
    key: str = "",
):
    """Every indicator of domain.md §10 for the period (``day``, ``week``, ``month``, ``year``, ``custom``
    with ``start`` and ``end``) and a slice (``dim`` = channel, type, category1, street or unit; ``key`` its
    code), with the previous period and a year before. Unit members read their own unit only."""
    from .selectors import missing_calendar_years

    p = _period(period, value, start, end)
    if dim == "unit" and not access.can_read_district(request.auth):
        key = access.readable_unit(request.auth, key).code
    else:
        access.check_read_district(request.auth)
    if dim not in ("all", "channel", "type", "category1", "street", "unit"):
        from yihaotong.core.errors import Invalid

        raise Invalid("Unknown dimension.", errors={"dim": ["Choose a listed dimension."]})
    figures = indicators(p, dim=dim, key=key if dim != "all" else "", unit=dim == "unit")
    return {
        "period": _p(p),
        "dim": dim,
        "key": key,
        "figures": figures,
        "missing_calendar_years": missing_calendar_years(p),
    }


@router.get("/league", response=LeagueOut, summary="The unit league table of a period")
def league_(request: HttpRequest, period: str = "month", value: str = "", start: str = "", end: str = ""):
    access.check_read_district(request.auth)
    p = _period(period, value, start, end)
    return {"period": _p(p), "units": league(p)}


def _alert(a: Alert) -> dict:
    return {
        "id": a.pk,
        "label": a.label,
        "state": a.state,
        "count": a.count,
        "baseline": a.baseline,
        "growth": a.growth,
        "seasonal": a.seasonal,
        "street": a.street.code if a.street else None,
        "category": a.category.code if a.category else None,
        "example_order_ids": a.example_order_ids,
        "unit_ids": a.unit_ids,
        "assigned_unit": a.assigned_unit.code if a.assigned_unit else None,
        "window_start": a.window_start,
        "window_end": a.window_end,
        "created_at": a.created_at,
    }


@router.get("/alerts", response=AlertList, summary="Hot-spot alerts (not closed unless state says)")
def alerts(request: HttpRequest, state: str = "", page: int = 1, page_size: int = 50):
    access.check_read_district(request.auth)
    qs = Alert.objects.select_related("street", "category", "assigned_unit")
    if state in AlertState.values:
        qs = qs.filter(state=state)
    elif state != "all":
        qs = qs.exclude(state=AlertState.CLOSED)
    items, meta = paginate(qs, page, page_size)
    return {"items": [_alert(a) for a in items], **meta}


@router.post("/alerts/{int:alert_id}/acknowledge", response=AlertOut, summary="Acknowledge an alert")
def acknowledge(request: HttpRequest, alert_id: int, payload: NoteIn):
    return _alert(actions.do_acknowledge_alert(request.auth, alert_id, note=payload.note))


@router.post("/alerts/{int:alert_id}/assign", response=AlertOut, summary="Assign an alert to a unit")
def assign(request: HttpRequest, alert_id: int, payload: AssignIn):
    return _alert(actions.do_assign_alert(request.auth, alert_id, unit_id=payload.unit_id, note=payload.note))


@router.post("/alerts/{int:alert_id}/close", response=AlertOut, summary="Close an alert (a note is required)")
def close(request: HttpRequest, alert_id: int, payload: NoteIn):
    return _alert(actions.do_close_alert(request.auth, alert_id, note=payload.note))


@router.post("/reports", response={201: ReportOut}, summary="Generate the monthly report of a month")
def generate(request: HttpRequest, payload: MonthIn):
    r = actions.do_generate_monthly_report(request.auth, payload.month)
    return Status(201, {"month": f"{r.month:%Y-%m}", "generated_at": r.generated_at, "data": r.data})


@router.get("/reports/{month}", response=ReportOut, summary="A monthly report (YYYY-MM)")
def report(request: HttpRequest, month: str):
    from yihaotong.core.errors import NotFound

    access.check_read_district(request.auth)
    r = MonthlyReport.objects.filter(month=actions.month_start(month)).first()
    if r is None:
        raise NotFound("No report for this month yet.")
    return {"month": f"{r.month:%Y-%m}", "generated_at": r.generated_at, "data": r.data}


@router.get("/settings", response=dict, summary="Weights and thresholds in force")
def settings_(request: HttpRequest):
    access.check_read_district(request.auth)
    return get_settings()


@router.put("/settings", response=dict, summary="Change weights and thresholds (leaders, system admin)")
def save_settings(request: HttpRequest, payload: dict = Body(...)):  # noqa: B008 - ninja's body marker
    return actions.do_save_settings(request.auth, payload)
