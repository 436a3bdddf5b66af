"""Figures read from the rollup buckets (never from the orders: one small indexed range per question)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Sum
from django.utils import timezone

from . import kpis
from .models import AnalyticsSetting, Bucket
from .periods import Period


def get_settings() -> dict:
    """The weights and thresholds in force: the defaults, overridden by the stored rows."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in kpis.DEFAULT_SETTINGS.items()}
    for key, value in AnalyticsSetting.objects.values_list("key", "value"):
        if isinstance(data.get(key), dict) and isinstance(value, dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def sums(start: date, end: date, *, dim: str = "all", key: str = "", metrics=None) -> dict[str, tuple[float, float]]:
    """{metric: (n, total)} over the days [start, end] of one slice."""
    qs = Bucket.objects.filter(dim=dim, key=key, day__gte=start, day__lte=end)
    if metrics:
        qs = qs.filter(metric__in=list(metrics))
    return {
        r["metric"]: (r["n"] or 0, r["t"] or 0.0)
        for r in qs.values("metric").annotate(n=Sum("n"), t=Sum("total")).order_by()
    }


def sums_by_key(start: date, end: date, dim: str, metrics=None) -> dict[str, dict[str, tuple[float, float]]]:
    """{key: {metric: (n, total)}} of every value of one dimension."""
    qs = Bucket.objects.filter(dim=dim, day__gte=start, day__lte=end)
    if metrics:
        qs = qs.filter(metric__in=list(metrics))
    out: dict[str, dict] = defaultdict(dict)
    for r in qs.values("key", "metric").annotate(n=Sum("n"), t=Sum("total")).order_by():
        out[r["key"]][r["metric"]] = (r["n"] or 0, r["t"] or 0.0)
    return dict(out)


def _bounds(start: date, end: date):
    """The instants [start 00:00, the day after end 00:00) in the local time zone."""
    from datetime import datetime, time, timedelta

    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def kb_sums(start: date, end: date) -> dict[str, tuple[float, float]]:
    """The knowledge base's figures over the days [start, end], counted from its own logs (decision 0019).

    ``kb_used``: usage rows "used for a direct answer"; ``kb_searches`` / ``kb_useless``: searches, and those
    with no result or a best match below ``kb.models.USEFUL_COVERAGE``; ``kb_gaps``: gap marks made;
    ``kb_votes`` / ``kb_helpful``: helpful votes cast or last changed in the period. Each is one count over
    a time range (the search log and the gap marks have an index on ``at``)."""
    from django.db.models import Count, Q

    from yihaotong.kb.models import USEFUL_COVERAGE, ArticleUsage, GapMark, HelpfulVote, SearchLog, UsageKind

    lo, hi = _bounds(start, end)
    searches = SearchLog.objects.filter(at__gte=lo, at__lt=hi).aggregate(
        n=Count("pk"), useless=Count("pk", filter=Q(result_count=0) | Q(best_coverage__lt=USEFUL_COVERAGE))
    )
    votes = HelpfulVote.objects.filter(updated_at__gte=lo, updated_at__lt=hi).aggregate(
        n=Count("pk"), helpful=Count("pk", filter=Q(helpful=True))
    )
    counts = {
        "kb_used": ArticleUsage.objects.filter(kind=UsageKind.USED, at__gte=lo, at__lt=hi).count(),
        "kb_searches": searches["n"],
        "kb_useless": searches["useless"],
        "kb_gaps": GapMark.objects.filter(at__gte=lo, at__lt=hi).count(),
        "kb_votes": votes["n"],
        "kb_helpful": votes["helpful"],
    }
    return {m: (n, 0.0) for m, n in counts.items()}


def _all_sums(start: date, end: date, dim: str, key: str, codes) -> dict[str, tuple[float, float]]:
    s = sums(start, end, dim=dim, key=key)
    if dim == "all" and any(kpis.INDICATORS[c].source == "kb" for c in codes):
        s.update(kb_sums(start, end))
    return s


def series(period: Period, metrics, *, dim: str = "all", key: str = "", by_key: bool = False):
    """Trend of ``metrics`` over the period, by day (or by month over long periods).

    Returns (steps, {metric or key: [n per step]}) where steps are ISO dates or YYYY-MM."""
    qs = Bucket.objects.filter(dim=dim, day__gte=period.start, day__lte=period.end, metric__in=list(metrics))
    if not by_key:
        qs = qs.filter(key=key)
    rows = qs.values_list("day", "metric", "key", "n")
    monthly = period.grain == "month"
    steps: list[str] = []
    d = period.start
    while d <= period.end:
        s = f"{d:%Y-%m}" if monthly else d.isoformat()
        if not steps or steps[-1] != s:
            steps.append(s)
        d = date.fromordinal(d.toordinal() + 1)
    index = {s: i for i, s in enumerate(steps)}
    out: dict[str, list[int]] = {}
    for day, metric, k, n in rows:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        s = f"{day:%Y-%m}" if monthly else day.isoformat()
        name = k if by_key else metric
        out.setdefault(name, [0] * len(steps))[index[s]] += n
    return steps, out


def indicators(period: Period, *, dim: str = "all", key: str = "", settings=None, codes=None, unit=False):
    """Each indicator for the period, the previous period and a year before, with the changes.

    Returns a list of dicts: code, label, kind, value, previous, year_ago, mom, yoy, below_target."""
    settings = settings or get_settings()
    codes = tuple(codes or kpis.codes_for(dim))
    prev_p, ago_p = period.previous(), period.year_ago()
    cur, prev, ago = (
        kpis.compute(_all_sums(q.start, q.end, dim, key, codes), settings, codes=codes, unit=unit)
        for q in (period, prev_p, ago_p)
    )
    out = []
    for code, value in cur.items():
        ind = kpis.INDICATORS[code]
        out.append(
            {
                "code": code,
                "label": str(ind.label),
                "kind": ind.kind,
                "metric": ind.metrics[0],
                "value": value,
                "previous": prev[code],
                "year_ago": ago[code],
                "mom": kpis.change(value, prev[code], ind.kind),
                "yoy": kpis.change(value, ago[code], ind.kind),
                "below_target": kpis.below_target(code, value, settings),
                "higher_is_better": ind.higher_is_better,
                "source": ind.source,
            }
        )
    return out


def league(period: Period, *, settings=None, units=None) -> list[dict]:
    """The unit league table: every unit with dispatched orders in the period, best composite first."""
    from yihaotong.directory.models import Unit

    settings = settings or get_settings()
    by_unit = sums_by_key(period.start, period.end, "unit")
    names = {u.code: u for u in Unit.objects.filter(code__in=list(by_unit))}
    rows = []
    for code, s in by_unit.items():
        if units is not None and code not in units:
            continue
        figures = kpis.compute(s, settings, codes=kpis.UNIT_INDICATORS, unit=True)
        unit = names.get(code)
        rows.append(
            {
                "code": code,
                "name": (unit.short_name or unit.name) if unit else code,
                "kind": unit.kind if unit else "",
                "figures": figures,
                "flags": {c: kpis.below_target(c, v, settings) for c, v in figures.items()},
            }
        )
    rows.sort(key=lambda r: (-(r["figures"]["composite"] or -1), -(r["figures"]["dispatched_count"] or 0), r["code"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def distribution(period: Period, dim: str, metric: str = "created", limit: int | None = None) -> list[tuple[str, int]]:
    """(key, n) of one metric by a dimension, largest first."""
    rows = (
        Bucket.objects.filter(dim=dim, metric=metric, day__gte=period.start, day__lte=period.end)
        .values("key")
        .annotate(n=Sum("n"))
        .order_by("-n", "key")
    )
    if limit:
        rows = rows[:limit]
    return [(r["key"], r["n"]) for r in rows]


def street_tiles(period: Period, settings=None) -> list[dict]:
    """The 12 streets with their volume and satisfaction rate (for the tile chart)."""
    from yihaotong.directory.models import Unit, UnitKind

    settings = settings or get_settings()
    by_street = sums_by_key(period.start, period.end, "street")
    out = []
    for u in Unit.objects.filter(kind=UnitKind.STREET, is_active=True).order_by("sort", "code"):
        s = by_street.get(u.code, {})
        out.append(
            {
                "code": u.code,
                "name": u.short_name or u.name,
                "volume": int(s.get("created", (0, 0))[0]),
                "satisfaction": kpis.satisfaction_rate(s, settings),
            }
        )
    return out


def missing_calendar_years(period: Period) -> list[int]:
    """Years of the period with no working-day calendar (reply cycles there are not measured)."""
    from yihaotong.worktime.models import CalendarYear

    known = set(CalendarYear.objects.filter(year__in=period.years()).values_list("year", flat=True))
    return [y for y in period.years() if y not in known]


def open_now():
    """Orders open now with a warning: (yellow, red) — one indexed count each (wo_warning_state)."""
    from yihaotong.workorders import states as S
    from yihaotong.workorders.models import WorkOrder

    open_states = list(S.OPEN_STATES)
    yellow = WorkOrder.objects.filter(warning_level="yellow", state__in=open_states).count()
    red = WorkOrder.objects.filter(warning_level="red", state__in=open_states).count()
    return yellow, red


def today() -> date:
    return timezone.localdate()
