"""The indicators of domain.md §10, each formula written once (pure: no ORM, no clock).

Figures are computed from *metric sums*: ``{metric: (n, total)}`` for a period and a slice (a channel, a
unit …), as the rollup buckets give them. Weights and thresholds come in as data (``settings``; the
defaults are below and are edited through ``analytics.actions.do_save_settings``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# The metrics that the rollup counts (rollup.py maps events and contacts onto them).
METRICS = (
    # contacts (intake.Contact)
    "contacts",
    "contacts_direct",
    "contacts_order",
    "contacts_attached",
    "contacts_kb",  # direct answers naming a knowledge-base article
    # orders (workorders.Event)
    "created",
    "accepted",
    "answered",
    "rejected",
    "merged",
    "terminated",
    "dispatched",
    "signed",
    "signed_on_time",
    "returned",
    "replied",
    "replied_on_time",
    "reply_approved",  # total: working days from acceptance to the approved reply
    "closed",
    "closed_on_time",
    "redo",
    "cb_valid",
    "cb_contacted",
    "cb_solved",
    "cb_satisfied",
    "cb_basically",
    "cb_dissatisfied",
    "repeat",
    "warn_yellow",
    "warn_red",
    "supervised",
)

DEFAULT_SETTINGS: dict = {
    # 三率 composite: weights of 响应率, 解决率, 满意率 (normalised to sum 1).
    "weights": {"response": 0.2, "solve": 0.3, "satisfaction": 0.5},
    # 满意率 counts 基本满意 with this weight.
    "basically_weight": 0.9,
    # Targets: league-table figures below (above, for the "lower is better" ones) are flagged.
    "targets": {"completion_rate": 0.95, "on_time_rate": 0.95, "satisfaction_rate": 0.85, "return_rate": 0.1},
    # Hot spots: a cluster rises when its count in the last ``window_days`` is at least ``min_count`` and
    # ``min_growth`` times its usual level over the ``baseline_days`` before.
    "hotspot": {"window_days": 7, "baseline_days": 28, "min_count": 5, "min_growth": 2.0, "max_alerts": 20},
}


@dataclass(frozen=True)
class Indicator:
    code: str
    label: object  # lazy translation
    kind: str  # "rate" (0..1), "days", or "count"
    formula: Callable[[Mapping[str, tuple[float, float]], Mapping], float | None]
    metrics: tuple[str, ...]  # metrics read; the first is the one whose orders a click lists
    higher_is_better: bool = True
    # "orders": from the rollup buckets, in every slice; "kb": (partly) from the knowledge base's own logs,
    # for the whole district only (searches, gaps and votes have no channel, unit or street).
    source: str = "orders"


def _n(sums, metric) -> float:
    return float(sums.get(metric, (0, 0.0))[0])


def _ratio(num: float, den: float) -> float | None:
    return None if not den else num / den


def _weights(settings: Mapping) -> tuple[float, float, float]:
    w = settings.get("weights") or DEFAULT_SETTINGS["weights"]
    r, s, t = float(w.get("response", 0)), float(w.get("solve", 0)), float(w.get("satisfaction", 0))
    total = r + s + t
    return (r / total, s / total, t / total) if total > 0 else (1 / 3, 1 / 3, 1 / 3)


def satisfaction_rate(sums, settings) -> float | None:
    basically = float(settings.get("basically_weight", DEFAULT_SETTINGS["basically_weight"]))
    return _ratio(_n(sums, "cb_satisfied") + basically * _n(sums, "cb_basically"), _n(sums, "cb_valid"))


def composite(sums, settings) -> float | None:
    parts = (
        _ratio(_n(sums, "cb_contacted"), _n(sums, "cb_valid")),
        _ratio(_n(sums, "cb_solved"), _n(sums, "cb_valid")),
        satisfaction_rate(sums, settings),
    )
    if any(p is None for p in parts):
        return None
    return sum(w * p for w, p in zip(_weights(settings), parts, strict=True))


def avg_reply_days(sums, settings) -> float | None:
    n, total = sums.get("reply_approved", (0, 0.0))
    return None if not n else float(total) / float(n)


def _rate(num: str, den: str):
    return lambda sums, settings: _ratio(_n(sums, num), _n(sums, den))


def _count(metric: str):
    return lambda sums, settings: _n(sums, metric)


INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in [
        Indicator("contacts", _("Contacts"), "count", _count("contacts"), ("contacts",)),
        Indicator("created", _("Work orders"), "count", _count("created"), ("created",)),
        Indicator(
            "direct_answer_rate",
            _("Direct-answer rate"),
            "rate",
            _rate("contacts_direct", "contacts"),
            ("contacts_direct", "contacts"),
        ),
        Indicator("completion_rate", _("Completion rate"), "rate", _rate("closed", "accepted"), ("closed", "accepted")),
        Indicator(
            "on_time_rate",
            _("On-time completion rate"),
            "rate",
            _rate("closed_on_time", "closed"),
            ("closed_on_time", "closed"),
        ),
        Indicator(
            "timely_sign_rate",
            _("Timely sign-for rate"),
            "rate",
            _rate("signed_on_time", "dispatched"),
            ("signed_on_time", "dispatched"),
        ),
        Indicator(
            "avg_reply_days",
            _("Average reply cycle (working days)"),
            "days",
            avg_reply_days,
            ("reply_approved",),
            higher_is_better=False,
        ),
        Indicator(
            "response_rate", _("Response rate"), "rate", _rate("cb_contacted", "cb_valid"), ("cb_contacted", "cb_valid")
        ),
        Indicator("solve_rate", _("Solution rate"), "rate", _rate("cb_solved", "cb_valid"), ("cb_solved", "cb_valid")),
        Indicator(
            "satisfaction_rate",
            _("Satisfaction rate"),
            "rate",
            satisfaction_rate,
            ("cb_valid", "cb_satisfied", "cb_basically"),
        ),
        Indicator(
            "composite", _("Composite (three rates)"), "rate", composite, ("cb_valid", "cb_contacted", "cb_solved")
        ),
        Indicator(
            "return_rate",
            _("Return rate"),
            "rate",
            _rate("returned", "dispatched"),
            ("returned", "dispatched"),
            higher_is_better=False,
        ),
        Indicator(
            "redo_rate", _("Redo rate"), "rate", _rate("redo", "closed"), ("redo", "closed"), higher_is_better=False
        ),
        Indicator(
            "repeat_rate",
            _("Repeat-request rate"),
            "rate",
            _rate("repeat", "contacts"),
            ("repeat", "contacts"),
            higher_is_better=False,
        ),
        Indicator(
            "overdue", _("Red warnings (overdue)"), "count", _count("warn_red"), ("warn_red",), higher_is_better=False
        ),
    ]
}

# Knowledge-base figures (domain.md §10 知识库), counted from the KB's logs (selectors.kb_sums) except
# ``contacts_kb``, which the rollup keeps with the other contact metrics.
KB_METRICS = ("kb_used", "kb_searches", "kb_useless", "kb_gaps", "kb_votes", "kb_helpful")
for _ind in [
    Indicator(
        "kb_answer_rate",
        _("Direct-answer rate from the KB"),
        "rate",
        _rate("contacts_kb", "contacts"),
        ("contacts_kb", "contacts"),
        source="kb",
    ),
    Indicator("kb_used", _("KB articles used for answers"), "count", _count("kb_used"), ("kb_used",), source="kb"),
    Indicator("kb_searches", _("KB searches"), "count", _count("kb_searches"), ("kb_searches",), source="kb"),
    Indicator(
        "kb_useless_rate",
        _("KB searches without a useful result"),
        "rate",
        _rate("kb_useless", "kb_searches"),
        ("kb_useless", "kb_searches"),
        higher_is_better=False,
        source="kb",
    ),
    Indicator(
        "kb_gaps",
        _("KB gaps marked (no article answered)"),
        "count",
        _count("kb_gaps"),
        ("kb_gaps",),
        higher_is_better=False,
        source="kb",
    ),
    Indicator(
        "kb_helpful_rate",
        _("KB articles voted helpful"),
        "rate",
        _rate("kb_helpful", "kb_votes"),
        ("kb_helpful", "kb_votes"),
        source="kb",
    ),
]:
    INDICATORS[_ind.code] = _ind
KB_INDICATORS = tuple(c for c, i in INDICATORS.items() if i.source == "kb")


def codes_for(dim: str) -> tuple[str, ...]:
    """The indicators a slice has: the KB's only for the whole district."""
    return tuple(c for c, i in INDICATORS.items() if dim == "all" or i.source != "kb")


# What the unit league table shows (a unit's contacts and direct answers are the centre's, not the unit's).
UNIT_INDICATORS = (
    "dispatched_count",
    "completion_rate",
    "on_time_rate",
    "timely_sign_rate",
    "avg_reply_days",
    "satisfaction_rate",
    "composite",
    "return_rate",
    "redo_rate",
)
INDICATORS["dispatched_count"] = Indicator(
    "dispatched_count", _("Dispatched orders"), "count", _count("dispatched"), ("dispatched",)
)
# For units, 办结率 is over the orders dispatched to them (the centre's acceptances are not theirs).
UNIT_OVERRIDES = {"completion_rate": _rate("closed", "dispatched")}


def compute(sums: Mapping[str, tuple[float, float]], settings: Mapping | None = None, *, codes=None, unit=False):
    """Return ``{indicator code: value or None}`` (None: nothing to divide by)."""
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    out = {}
    for code in codes or INDICATORS:
        formula = (UNIT_OVERRIDES.get(code) if unit else None) or INDICATORS[code].formula
        out[code] = formula(sums, settings)
    return out


def change(current: float | None, previous: float | None, kind: str) -> float | None:
    """Month-on-month / year-on-year change: relative for counts and days, in points (difference) for rates."""
    if current is None or previous is None:
        return None
    if kind == "rate":
        return current - previous
    if not previous:
        return None
    return (current - previous) / previous


def below_target(code: str, value: float | None, settings: Mapping | None = None) -> bool:
    """Whether ``value`` misses the target set for the indicator (no target, or no value: False)."""
    targets = ({**DEFAULT_SETTINGS, **(settings or {})}).get("targets") or {}
    if value is None or code not in targets:
        return False
    target = float(targets[code])
    return value > target if not INDICATORS[code].higher_is_better else value < target
