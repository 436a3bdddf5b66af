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
