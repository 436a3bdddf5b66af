"""Every write of the telephony app: call events from the telephony server, links, call-backs.

Each action runs in one transaction, locks the call row, and appends a ``CallEvent`` (the call's own
append-only log). Events are idempotent on (call id, event): a replayed event changes nothing, and the
state is computed from the times received, so events arriving out of order give the same call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.core.errors import Conflict, Invalid, Message, NotPermitted
from yihaotong.core.text import normalise_phone

from .access import CALLBACK_ROLES, REPORTER_ROLES, access_call
from .models import WEBHOOK_EVENTS, Call, CallEvent, CallEventKind, CallState, Extension

CALL_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,64}$")
# A server's clock may run a little ahead of ours; an event further in the future is refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)
AGENT_ROLES = frozenset({"operator", "dispatcher"})


@dataclass
class CallReport:
    """One event as the telephony server reports it."""

    call_id: str
    event: str
    caller: str = ""
    agent: str = ""
    at: datetime | None = None


def resolve_agent(ref: str):
    """The operator an agent reference names: an extension first, else a username; None when unknown."""
    ref = (ref or "").strip()
    if not ref:
        return None
    ext = Extension.objects.select_related("user").filter(number=ref).first()
    user = ext.user if ext else get_user_model().objects.filter(username=ref).first()
    if user is None or not user.is_active or not user.roles & AGENT_ROLES:
        return None
    return user


def _validate(report: CallReport, now: datetime) -> tuple[str, datetime, object]:
    errors: dict[str, list] = {}
    if not CALL_ID.match(report.call_id or ""):
        errors["call_id"] = [gettext_noop("1 to 64 letters, digits or . _ : @ -")]
    if report.event not in WEBHOOK_EVENTS:
        errors["event"] = [Message(gettext_noop("unknown event %(code)r"), code=report.event)]
    caller = normalise_phone(report.caller)
    if len(caller.lstrip("+")) < 3 or len(caller) > 32:
        errors["caller"] = [gettext_noop("a phone number of 3 to 32 digits is required")]
    at = report.at or now
    if timezone.is_naive(at):
        errors["at"] = [gettext_noop("the time needs a time zone")]
    elif at > now + MAX_CLOCK_SKEW:
        errors["at"] = [gettext_noop("the time is in the future")]
    agent = resolve_agent(report.agent)
    if report.agent and agent is None:
        errors["agent"] = [Message(gettext_noop("no operator has the extension or username %(ref)r"), ref=report.agent)]
    elif report.event == CallEventKind.ANSWERED and agent is None:
        errors["agent"] = [gettext_noop("an answered call needs the agent")]
    if errors:
        raise Invalid(gettext_noop("The call event is not valid."), errors=errors)
    return caller, at, agent


def _lock_or_create(call_id: str, caller: str, now: datetime) -> Call:
    call = Call.objects.select_for_update().filter(call_id=call_id).first()
    if call is not None:
        return call
    try:
        with transaction.atomic():  # two first events of one call at once: the loser reads the winner's row
            return Call.objects.create(call_id=call_id, caller=caller, created_at=now)
    except IntegrityError:
        return Call.objects.select_for_update().get(call_id=call_id)


def _settle(call: Call) -> None:
    """The state and talk time that follow from the times received (whatever order they came in)."""
    if call.ended_at:
        call.state = CallState.ENDED if call.answered_at else CallState.MISSED
    elif call.answered_at:
        call.state = CallState.ANSWERED
    elif call.pk and CallEvent.objects.filter(call=call, kind=CallEventKind.EXPIRED).exists():
        call.state = CallState.MISSED  # rang out earlier (see do_expire_unanswered)
    else:
        call.state = CallState.RINGING
    if call.answered_at and call.ended_at:
        call.duration = max(0, int((call.ended_at - call.answered_at).total_seconds()))
    else:
        call.duration = None


@transaction.atomic
def do_record_call_event(actor, report: CallReport, *, now: datetime | None = None) -> tuple[Call, bool]:
    """Record one event reported by the telephony server; return the call and whether anything changed."""
    now = now or timezone.now()
    if not actor.roles & REPORTER_ROLES:
        raise NotPermitted(gettext_noop("Only the telephony server's service account reports calls."))
    caller, at, agent = _validate(report, now)
    call = _lock_or_create(report.call_id, caller, now)
    if call.caller != caller:
        raise Conflict(
            gettext_noop("Call %(call)s was reported with another caller number."),
            params={"call": report.call_id},
            errors={"caller": [gettext_noop("differs from the call's earlier events")]},
        )
    if CallEvent.objects.filter(call=call, kind=report.event).exists():
        return call, False  # a replay: the first report of this event stands
    CallEvent.objects.create(
        call=call,
        kind=report.event,
        at=at,
        received_at=now,
        payload={"agent": report.agent} if report.agent else {},
    )
    field = {CallEventKind.RINGING: "rang_at", CallEventKind.ANSWERED: "answered_at", CallEventKind.ENDED: "ended_at"}
    setattr(call, field[report.event], at)
    # The agent who answered is the call's agent; a ringing or ended event names one only until then.
    if agent is not None and (report.event == CallEventKind.ANSWERED or call.agent_id is None):
        call.agent = agent
        call.agent_ref = report.agent[:64]
    _settle(call)
    call.save()
    return call, True


# A call still ringing this long after it began was not answered, whether or not its end was reported.
RING_OUT_AFTER = timedelta(minutes=10)


@transaction.atomic
def do_expire_unanswered(*, now: datetime | None = None, after: timedelta = RING_OUT_AFTER) -> int:
    """Count calls that rang and were never answered nor reported ended (a lost event) as missed, so they
    reach the call-back list. An answer reported later still makes the call answered."""
    now = now or timezone.now()
    cutoff = now - after
    stale = (
        Call.objects.filter(state=CallState.RINGING)
        .filter(Q(rang_at__lt=cutoff) | Q(rang_at__isnull=True, created_at__lt=cutoff))
        .select_for_update(skip_locked=True)
    )
    count = 0
    for call in stale:
        call.state = CallState.MISSED
        call.save(update_fields=["state"])
        CallEvent.objects.create(call=call, kind=CallEventKind.EXPIRED, at=now, received_at=now)
        count += 1
    return count


@transaction.atomic
def do_link_call(actor, call_pk: int, contact, *, now: datetime | None = None) -> Call:
    """Link a call to the contact its agent recorded during it (the first contact recorded wins)."""
    now = now or timezone.now()
    call = access_call(actor, call_pk, for_update=True)
    if call.agent_id != actor.pk:
        raise NotPermitted(gettext_noop("Only the operator who answered the call links it to a contact."))
    if call.contact_id is None:
        call.contact = contact
        call.save(update_fields=["contact"])
        CallEvent.objects.create(
            call=call, kind=CallEventKind.LINKED, at=now, received_at=now, payload={"contact": contact.pk}
        )
    return call


@transaction.atomic
def do_mark_called_back(actor, call_pk: int, *, note: str = "", now: datetime | None = None) -> Call:
    """Mark a missed call as called back (回拨), with an optional note on how it went."""
    now = now or timezone.now()
    call = access_call(actor, call_pk, for_update=True)
    if not actor.roles & CALLBACK_ROLES:
        raise NotPermitted(gettext_noop("Only operators, dispatchers and call-back agents mark call-backs."))
    if call.state != CallState.MISSED:
        raise Conflict(gettext_noop("Only a missed call is called back."))
    if call.called_back_at is not None:
        raise Conflict(gettext_noop("This call was already marked as called back."))
    note = (note or "").strip()
    if len(note) > 200:
        raise Invalid(gettext_noop("The note is too long."), errors={"note": [gettext_noop("at most 200 characters")]})
    call.called_back_at = now
    call.called_back_by = actor
    call.callback_note = note
    call.save(update_fields=["called_back_at", "called_back_by", "callback_note"])
    CallEvent.objects.create(call=call, kind=CallEventKind.CALLED_BACK, at=now, received_at=now, payload={"note": note})
    return call
