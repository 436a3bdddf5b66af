"""Every write of the analytics app: settings, hot-spot alerts (raise, acknowledge, assign, close), reports.

Each action runs in one transaction, locks what it changes and appends to the alert log where an alert
changes. Rollup buckets are written by ``rollup.py`` only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Code, Invalid, InvalidTransition, NotFound, register_labels
from yihaotong.directory.models import Unit

from . import access, hotspots, kpis
from .models import Alert, AlertLog, AlertState, AnalyticsSetting, MonthlyReport
from .selectors import get_settings

register_labels("alert_state", AlertState)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- settings ---------------------------------------------------------------------------------------------


def _number(errors, field, value, lo, hi):
    try:
        v = float(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(gettext_noop("Enter a number."))
        return None
    if not lo <= v <= hi:
        errors.setdefault(field, []).append(gettext_noop("The number is out of range."))
        return None
    return v


@transaction.atomic
def do_save_settings(actor, data: dict, *, now: datetime | None = None) -> dict:
    """Validate and store weights and thresholds (keys of ``kpis.DEFAULT_SETTINGS``); return the settings."""
    access.check_settings_editor(actor)
    now = _now(now)
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    unknown = set(data) - set(kpis.DEFAULT_SETTINGS)
    for key in sorted(unknown):
        errors.setdefault(key, []).append(gettext_noop("Unknown setting."))
    if "weights" in data:
        w = data["weights"] or {}
        clean["weights"] = {
            k: _number(errors, f"weights.{k}", w.get(k, kpis.DEFAULT_SETTINGS["weights"][k]), 0, 100)
            for k in ("response", "solve", "satisfaction")
        }
        if not errors and sum(clean["weights"].values()) <= 0:
            errors.setdefault("weights", []).append(gettext_noop("At least one weight must be above zero."))
    if "basically_weight" in data:
        clean["basically_weight"] = _number(errors, "basically_weight", data["basically_weight"], 0, 1)
    if "targets" in data:
        t = data["targets"] or {}
        clean["targets"] = {}
        for k in t:
            if k not in kpis.INDICATORS:
                errors.setdefault(f"targets.{k}", []).append(gettext_noop("Unknown indicator."))
                continue
            clean["targets"][k] = _number(errors, f"targets.{k}", t[k], 0, 1000)
    if "hotspot" in data:
        h = data["hotspot"] or {}
        ranges = {
            "window_days": (1, 90),
            "baseline_days": (1, 365),
            "min_count": (1, 100000),
            "min_growth": (1, 1000),
            "max_alerts": (1, 200),
        }
        clean["hotspot"] = {}
        for k, v in h.items():
            if k not in ranges:
                errors.setdefault(f"hotspot.{k}", []).append(gettext_noop("Unknown setting."))
                continue
            n = _number(errors, f"hotspot.{k}", v, *ranges[k])
            clean["hotspot"][k] = n if k == "min_growth" or n is None else int(n)
    if errors:
        raise Invalid(gettext_noop("Some settings are invalid."), errors=errors)
    for key, value in clean.items():
        row = AnalyticsSetting.objects.select_for_update().filter(key=key).first()
        if row is None:
            AnalyticsSetting.objects.create(key=key, value=value, updated_at=now, updated_by=actor)
        else:
            row.value, row.updated_at, row.updated_by = value, now, actor
            row.save()
    return get_settings()


# --- alerts ------------------------------------------------------------------------------------------------


def _log(alert: Alert, kind: str, actor, now: datetime, note: str = "", payload: dict | None = None) -> None:
    AlertLog(
        alert=alert,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
        note=note,
        payload=payload or {},
    ).save()


def recent_requests(now: datetime, days: int, *, limit: int = 60000) -> list[hotspots.Request]:
    """The orders created in the last ``days`` (at most ``limit``, newest first) as detection input."""
    from yihaotong.directory.policy import reference
    from yihaotong.workorders.models import WorkOrder

    rows = (
        WorkOrder.objects.filter(created_at__gte=now - timedelta(days=days), created_at__lt=now)
        .order_by("-created_at")
        .values_list("id", "created_at", "subject", "street_id", "category_id")[:limit]
    )

    def code(kind, pk):
        ref = reference(kind, pk=pk) if pk else None
        return ref.code if ref else ""

    return [hotspots.Request(i, at, subject, code("unit", s), code("category", c)) for i, at, subject, s, c in rows]


@transaction.atomic
def do_detect_hotspots(*, now: datetime | None = None, requests=None) -> list[Alert]:
    """Run the detection on the recent orders; raise new alerts and update the open ones of the same key.

    New alerts are queued as notifications to leaders and supervisors."""
    from yihaotong.notifications.actions import queue_notification
    from yihaotong.workorders.models import WorkOrder

    now = _now(now)
    h = get_settings()["hotspot"]
    window, baseline = int(h["window_days"]), int(h["baseline_days"])
    if requests is None:
        requests = recent_requests(now, window + baseline)
    clusters = hotspots.detect(
        requests,
        now=now,
        window_days=window,
        baseline_days=baseline,
        min_count=int(h["min_count"]),
        min_growth=float(h["min_growth"]),
        max_clusters=int(h["max_alerts"]),
    )
    streets = {u.code: u for u in Unit.objects.filter(kind="street")}
    from yihaotong.directory.models import Category

    out = []
    for c in clusters:
        examples = c.ids[:5]
        unit_ids = sorted(
            {u for u in WorkOrder.objects.filter(pk__in=c.ids[:200]).values_list("lead_unit_id", flat=True) if u}
        )
        fields = {
            "label": c.label[:200],
            "window_start": now - timedelta(days=window),
            "window_end": now,
            "count": c.count,
            "baseline": c.baseline,
            "growth": c.growth,
            "seasonal": c.seasonal,
            "street": streets.get(c.place),
            "category": Category.objects.filter(code=c.category).first() if c.category else None,
            "example_order_ids": examples,
            "unit_ids": unit_ids,
            "updated_at": now,
        }
        alert = Alert.objects.select_for_update().filter(key=c.key).exclude(state=AlertState.CLOSED).first()
        if alert is None:
            alert = Alert.objects.create(key=c.key[:160], created_at=now, **fields)
            _log(alert, "raised", None, now, payload={"count": c.count, "growth": c.growth})
            place = f"（{alert.street.short_name or alert.street.name}）" if alert.street else ""
            queue_notification(
                kind="hotspot_alert",
                roles=(R.LEADER, R.SUPERVISOR),
                subject=f"预警提示：{alert.label}{place} 近{window}天{c.count}件，为常态的{c.growth}倍",
                now=now,
                payload={"alert": alert.pk},
            )
        else:
            for k, v in fields.items():
                setattr(alert, k, v)
            alert.save()
            _log(alert, "updated", None, now, payload={"count": c.count, "growth": c.growth})
        out.append(alert)
    return out


def _lock_alert(actor, alert_id: int) -> Alert:
    access.check_alert_actor(actor)
    alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(gettext_noop("No such alert."))
    return alert


def _check_open(alert: Alert, allowed: tuple[str, ...]) -> None:
    if alert.state not in allowed:
        raise InvalidTransition(
            gettext_noop("This alert is %(state)s."),
            params={"state": Code("alert_state", alert.state)},
            state=alert.state,
        )


@transaction.atomic
def do_acknowledge_alert(actor, alert_id: int, *, note: str = "", now: datetime | None = None) -> Alert:
    now = _now(now)
    alert = _lock_alert(actor, alert_id)
    _check_open(alert, (AlertState.OPEN,))
    alert.state, alert.updated_at = AlertState.ACKNOWLEDGED, now
    alert.save()
    _log(alert, "acknowledged", actor, now, note)
    return alert


@transaction.atomic
def do_assign_alert(actor, alert_id: int, *, unit_id, note: str = "", now: datetime | None = None) -> Alert:
    """Give the alert to a unit to look into (its members are notified)."""
    from yihaotong.notifications.actions import queue_notification

    now = _now(now)
    alert = _lock_alert(actor, alert_id)
    _check_open(alert, (AlertState.OPEN, AlertState.ACKNOWLEDGED, AlertState.ASSIGNED))
    unit = Unit.objects.filter(pk=unit_id, is_active=True).first() if str(unit_id or "").isdigit() else None
    if unit is None:
        raise Invalid(gettext_noop("Choose a unit."), errors={"unit": [gettext_noop("Choose an active unit.")]})
    alert.state, alert.assigned_unit, alert.updated_at = AlertState.ASSIGNED, unit, now
    alert.save()
    _log(alert, "assigned", actor, now, note, payload={"unit": unit.code})
    queue_notification(
        kind="hotspot_assigned",
        unit=unit,
        roles=(R.UNIT_ADMIN,),
        subject=f"预警提示交办：{alert.label}（{alert.count}件）",
        body=note,
        now=now,
        payload={"alert": alert.pk},
    )
    return alert


@transaction.atomic
def do_close_alert(actor, alert_id: int, *, note: str, now: datetime | None = None) -> Alert:
    now = _now(now)
    if not (note or "").strip():
        raise Invalid(
            gettext_noop("Say how the alert was dealt with."),
            errors={"note": [gettext_noop("This field is required.")]},
        )
    alert = _lock_alert(actor, alert_id)
    _check_open(alert, (AlertState.OPEN, AlertState.ACKNOWLEDGED, AlertState.ASSIGNED))
    alert.state, alert.updated_at = AlertState.CLOSED, now
    alert.save()
    _log(alert, "closed", actor, now, note.strip())
    return alert


# --- monthly report ---------------------------------------------------------------------------------------


def month_start(value: str | date) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        y, m = (int(x) for x in str(value).strip().split("-")[:2])
        return date(y, m, 1)
    except (TypeError, ValueError):
        raise Invalid(
            gettext_noop("Write the month as YYYY-MM."), errors={"month": [gettext_noop("Enter a valid month.")]}
        ) from None


@transaction.atomic
def do_generate_monthly_report(actor, month: str | date, *, now: datetime | None = None) -> MonthlyReport:
    """Compute the month's report from the rollups (replacing an earlier one of the month) and store it."""
    from .report import build_report

    now = _now(now)
    if actor is not None:
        access.check_read_district(actor)
    first = month_start(month)
    if first > timezone.localdate(now).replace(day=1):
        raise Invalid(
            gettext_noop("The month has not begun."),
            errors={"month": [gettext_noop("Choose a past or the current month.")]},
        )
    data = build_report(first)
    report, _ = MonthlyReport.objects.select_for_update().update_or_create(
        month=first,
        defaults={"data": data, "generated_at": now, "generated_by": actor if getattr(actor, "pk", None) else None},
    )
    return report


def first_working_day(year: int, month: int) -> date | None:
    """The month's first working day (None when the calendar does not know the year)."""
    from yihaotong.worktime.calendar import CalendarMissing
    from yihaotong.worktime.loader import get_calendar

    try:
        return get_calendar().next_working_day(date(year, month, 1), include_self=True)
    except CalendarMissing:
        return None


def do_monthly_report_if_due(*, now: datetime | None = None) -> MonthlyReport | None:
    """On the first working day of a month, generate the previous month's report once."""
    now = _now(now)
    today = timezone.localdate(now)
    due = first_working_day(today.year, today.month)
    if due is None or today < due:
        return None
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    if MonthlyReport.objects.filter(month=previous).exists():
        return None
    return do_generate_monthly_report(None, previous, now=now)
