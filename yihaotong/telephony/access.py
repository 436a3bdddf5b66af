"""Who sees calls: the one visibility rule of the telephony app."""

from __future__ import annotations

from yihaotong.accounts import roles as R
from yihaotong.core.errors import NotFound

from .models import Call

# Centre staff who answer, dispatch, call back or oversee calls see the call log.
CALL_ROLES = frozenset({R.OPERATOR, R.DISPATCHER, R.CALLBACK_AGENT, R.SUPERVISOR, R.LEADER, R.SYSADMIN})
# Who may mark a missed call as called back.
CALLBACK_ROLES = frozenset({R.OPERATOR, R.DISPATCHER, R.CALLBACK_AGENT})
# Who may report call events (the telephony server's service account).
REPORTER_ROLES = frozenset({R.INTEGRATION})


def visible_calls(actor):
    if not getattr(actor, "is_authenticated", False) or not actor.roles & CALL_ROLES:
        return Call.objects.none()
    return Call.objects.all()


def access_call(actor, pk: int, *, for_update: bool = False) -> Call:
    qs = visible_calls(actor).filter(pk=pk)
    if for_update:
        qs = qs.select_for_update()
    call = qs.first()
    if call is None:
        raise NotFound("No such call.")
    return call
