"""Formatting of figures: rates as percentages, days with two decimals, changes with their sign."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def fig(value, kind="count"):
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "days":
        return f"{value:.2f}"
    return f"{int(value):,}"


@register.filter
def chg(value, kind="count"):
    """A change: points for rates (+1.2 pt), percent otherwise (+4.0%)."""
    if value is None:
        return "—"
    arrow = "▲" if value > 0 else "▼" if value < 0 else "＝"
    if kind == "rate":
        return f"{arrow}{abs(value) * 100:.1f} pt"
    return f"{arrow}{abs(value) * 100:.1f}%"


@register.filter
def tone(f):
    """good / bad for a change, given whether the indicator is better higher."""
    value = f.get("mom") if isinstance(f, dict) else None
    if not value:
        return ""
    better = value > 0 if f.get("higher_is_better", True) else value < 0
    return "good" if better else "bad"


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def can_export(user) -> bool:
    """Whether ``user`` may export order lists (the one rule: ``analytics.access.can_export``)."""
    from yihaotong.analytics.access import can_export as rule

    return rule(user)
