"""Reads of the telephony app: the call log, the missed calls, the call to pop on an agent's desk."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from yihaotong.core.text import normalise_phone

from .access import visible_calls
from .models import Call, CallState

# A call pops on the desk of the agent who answered it until a contact is recorded for it: while it lasts,
# and for a while after the caller hung up (the operator often finishes the record then).
POP_AFTER_END = timedelta(minutes=10)
POP_MAX_AGE = timedelta(hours=2)  # a call "answered" that never ended (a lost event) stops popping


def call_to_pop(actor, now: datetime) -> Call | None:
    """The call the agent answered most recently that still has no contact, or None."""
    return (
        Call.objects.filter(agent=actor, contact__isnull=True, answered_at__gte=now - POP_MAX_AGE)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=now - POP_AFTER_END))
        .order_by("-answered_at", "-id")
        .first()
    )


MISSED_OPEN = "open"
MISSED_DONE = "done"


def list_calls(actor, *, state: str = "", missed: str = "", phone: str = "", agent: str = ""):
    """The call log filtered; ``missed`` = open (not called back yet) or done lists missed calls only."""
    qs = visible_calls(actor).select_related("agent", "called_back_by", "contact", "contact__order")
    if missed:
        qs = qs.filter(state=CallState.MISSED)
        if missed == MISSED_OPEN:
            qs = qs.filter(called_back_at__isnull=True)
        elif missed == MISSED_DONE:
            qs = qs.filter(called_back_at__isnull=False)
    elif state in CallState.values:
        qs = qs.filter(state=state)
    number = normalise_phone(phone)
    if number:
        qs = qs.filter(caller__contains=number)
    if agent:
        qs = qs.filter(agent__username=agent)
    if missed == MISSED_OPEN:
        return qs.order_by("created_at", "id")  # the oldest missed call is called back first
    return qs.order_by("-created_at", "-id")
