"""Policy values and time-limit rules, read from the tables with a short in-process cache.

Policy changes by official notice and is edited by administrators; a change made in one process is
invalidated there at once and seen by the others within ``TTL`` seconds (docs/decisions/0003).
"""

from __future__ import annotations

import time
from typing import Any

from yihaotong.workorders.deadlines import Limit, RuleView

from .data.time_limits import POLICY_DEFAULTS

TTL = 30.0
_cache: dict[str, tuple[float, Any]] = {}


def _cached(key: str, build):
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < TTL:
        return hit[1]
    value = build()
    _cache[key] = (now, value)
    return value


def invalidate_policy() -> None:
    _cache.clear()


def invalidate_references(**_kwargs) -> None:
    """Drop the cached reference rows (connected to their models' save and delete signals)."""
    for key in [k for k in _cache if k.startswith("ref:")]:
        _cache.pop(key, None)


def _reference_model(kind: str):
    from .models import Category, RequestType, Unit, Urgency

    return {"request_type": RequestType, "urgency": Urgency, "category": Category, "unit": Unit}[kind]


def reference(kind: str, *, code: str | None = None, pk: int | None = None):
    """Return a reference row (request type, urgency, category or unit) by code or id, or None.

    Actions look these up on every order; the whole table is cached like the policy (a change in this
    process is seen at once through the models' signals, in others within ``TTL``). A miss asks the
    database, so a row created a moment ago elsewhere is found. Callers check ``is_active`` themselves.
    Do not modify the returned instances: they are shared.
    """

    def build():
        rows = list(_reference_model(kind).objects.all())
        return {"code": {r.code: r for r in rows}, "pk": {r.pk: r for r in rows}}

    table = _cached(f"ref:{kind}", build)
    key, value = ("code", code) if code is not None else ("pk", pk)
    obj = table[key].get(value)
    if obj is None and value is not None:
        obj = _reference_model(kind).objects.filter(**{key: value}).first()
        if obj is not None:
            table["code"][obj.code] = obj
            table["pk"][obj.pk] = obj
    return obj


def get_policy() -> dict[str, Any]:
    """Return the policy values: the defaults overlaid with the settings table."""

    def build():
        from .models import Setting

        values = dict(POLICY_DEFAULTS)
        for key, value in Setting.objects.values_list("key", "value"):
            values[key] = value
        return values

    return _cached("policy", build)


def get_rules() -> list[RuleView]:
    """Return the active time-limit rules as pure values."""

    def build():
        from .models import TimeLimitRule

        rules = []
        for r in TimeLimitRule.objects.filter(is_active=True).select_related("request_type", "urgency"):
            rules.append(
                RuleView(
                    request_type=r.request_type.code if r.request_type else None,
                    urgency=r.urgency.code if r.urgency else None,
                    sign=Limit(r.sign_value, r.sign_unit),
                    handle=Limit(r.handle_value, r.handle_unit or ""),
                )
            )
        return rules

    return _cached("rules", build)
