"""Reads of upstream transfers: the platform's status feed, batch reports."""

from __future__ import annotations

from django.utils.translation import gettext

from yihaotong.webhooks.actions import FINAL_REPLY_STATES, settled_event_id
from yihaotong.workorders.models import Event

from .models import Platform


def feed_items(platform: Platform, *, after: int, limit: int) -> list[dict]:
    """Public events of the platform's orders after the cursor, up to the settled horizon (so that a later
    commit can never slip in behind a cursor the platform has already passed)."""
    horizon = settled_event_id()
    events = (
        Event.objects.filter(id__gt=after, id__lte=horizon, is_public=True, order__transfer__platform=platform)
        .select_related("order", "order__transfer")
        .only(
            "id",
            "kind",
            "at",
            "to_state",
            "order__number",
            "order__state",
            "order__public_reply",
            "order__transfer__upstream_id",
        )
        .order_by("id")[:limit]
    )
    items = []
    for e in events:
        state = e.to_state or e.order.state
        items.append(
            {
                "event_id": e.id,
                "kind": e.kind,
                "at": e.at,
                "upstream_id": e.order.transfer.upstream_id,
                "order_number": e.order.number,
                "state": state,
                "reply": e.order.public_reply if e.to_state in FINAL_REPLY_STATES and e.order.public_reply else None,
            }
        )
    return items


def report_errors(stored: dict, *, translate: bool = True) -> dict[str, list[str]]:
    """Stored row errors ([template, params] pairs) as text, in the active language or in English."""
    out = {}
    for field, msgs in (stored or {}).items():
        texts = []
        for template, params in msgs:
            text = gettext(template) if translate else template
            try:
                texts.append(text % params if params else text)
            except (KeyError, TypeError, ValueError):
                texts.append(template)
        out[field] = texts
    return out
