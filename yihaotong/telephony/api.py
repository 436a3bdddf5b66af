"""Telephony endpoints: the webhook the telephony server posts call events to; the call log; call-backs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema

from yihaotong.core.api import AUTH, TokenAuth, paginate

from . import actions as A
from .access import access_call
from .models import Call
from .selectors import list_calls

router = Router()


class CallEventIn(Schema):
    call_id: str = Field(..., max_length=64, description="The telephony server's id of the call.")
    event: Literal["ringing", "answered", "ended"]
    caller: str = Field(..., max_length=32, description="The caller's number.")
    agent: str = Field("", max_length=64, description="The operator's extension or username (required at answered).")
    at: datetime | None = Field(None, description="When it happened (ISO 8601 with zone); default: on receipt.")


class CallOut(Schema):
    id: int
    call_id: str
    caller: str
    state: str
    agent: str | None
    rang_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration: int | None
    contact_id: int | None
    order_number: str | None
    called_back_at: datetime | None
    callback_note: str

    @staticmethod
    def of(call: Call) -> dict:
        contact = call.contact if call.contact_id else None
        return {
            "id": call.pk,
            "call_id": call.call_id,
            "caller": call.caller,
            "state": call.state,
            "agent": call.agent.username if call.agent_id else None,
            "rang_at": call.rang_at,
            "answered_at": call.answered_at,
            "ended_at": call.ended_at,
            "duration": call.duration,
            "contact_id": call.contact_id,
            "order_number": contact.order.number if contact and contact.order_id else None,
            "called_back_at": call.called_back_at,
            "callback_note": call.callback_note,
        }


class CallEventResult(Schema):
    call: CallOut
    applied: bool = Field(..., description="False when the event was a replay of one already received.")


class CallPage(Schema):
    items: list[CallOut]
    page: int
    page_size: int
    total: int
    pages: int


class CallFilters(Schema):
    state: Literal["ringing", "answered", "ended", "missed", ""] = ""
    missed: Literal["open", "done", "all", ""] = Field("", description="missed calls: not called back, done, all")
    phone: str = ""
    agent: str = ""
    page: int = 1
    page_size: int = 50


class CalledBackIn(Schema):
    note: str = Field("", max_length=200)


@router.post("/events", response=CallEventResult, auth=[TokenAuth()], summary="Report a call event (webhook)")
def post_event(request, payload: CallEventIn):
    """The telephony server reports ringing, answered and ended. Bearer token of a service account with the
    integration role. Idempotent on (call_id, event): a replay answers ``applied: false``."""
    report = A.CallReport(
        call_id=payload.call_id, event=payload.event, caller=payload.caller, agent=payload.agent, at=payload.at
    )
    call, applied = A.do_record_call_event(request.user, report)
    return {"call": CallOut.of(call), "applied": applied}


@router.get("/calls", response=CallPage, auth=AUTH, summary="The call log and the missed calls")
def get_calls(request, filters: Query[CallFilters]):
    qs = list_calls(request.user, state=filters.state, missed=filters.missed, phone=filters.phone, agent=filters.agent)
    items, meta = paginate(qs, filters.page, filters.page_size)
    return {"items": [CallOut.of(c) for c in items], **{k: meta[k] for k in ("page", "page_size", "total", "pages")}}


@router.get("/calls/{call_pk}", response=CallOut, auth=AUTH, summary="One call")
def get_call(request, call_pk: int):
    return CallOut.of(access_call(request.user, call_pk))


@router.post("/calls/{call_pk}/called-back", response=CallOut, auth=AUTH, summary="Mark a missed call called back")
def post_called_back(request, call_pk: int, payload: CalledBackIn):
    return CallOut.of(A.do_mark_called_back(request.user, call_pk, note=payload.note))
