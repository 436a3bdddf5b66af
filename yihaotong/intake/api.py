"""Intake endpoints: record a contact with its outcome; the caller's history by phone."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema, Status

from yihaotong.core.errors import Invalid
from yihaotong.workorders.actions import OrderInput
from yihaotong.workorders.api import order_detail
from yihaotong.workorders.schemas import OrderOut

from . import actions as A
from .selectors import caller_history

router = Router()


class ContactIn(Schema):
    channel: Literal["call", "letter", "web", "transfer"]
    summary: str = Field(..., min_length=1, max_length=200)
    text: str = ""
    phone: str = Field("", max_length=32)
    name: str = Field("", max_length=64)
    is_anonymous: bool = False
    address: str = Field("", max_length=255)
    street: str | None = None
    request_type: str | None = None
    urgency: str | None = None
    source: str = ""
    outcome: Literal["direct_answer", "work_order", "attached", "emergency", "disposition"]
    article_ref: str = ""
    answer_text: str = ""
    emergency_service: Literal["110", "119", "120", "122", ""] = ""
    disposition_reason: str = ""
    order_id: int | None = Field(None, description="The open order a repeat contact is attached to.")
    category: str | None = None
    is_confidential: bool = False
    consent_publish: bool = False
    reply_wanted: bool = True


class ContactOut(Schema):
    id: int
    outcome: str
    received_at: datetime
    summary: str
    order_id: int | None
    order_number: str | None


class ContactResult(Schema):
    contact: ContactOut
    order: OrderOut | None = None
    query_code: str | None = None


class HistoryContact(Schema):
    id: int
    received_at: datetime
    outcome: str
    summary: str
    order_number: str | None


class HistoryOrder(Schema):
    id: int
    number: str
    state: str
    subject: str
    created_at: datetime
    due_at: datetime | None
    satisfaction: str


class History(Schema):
    phone: str
    contacts: list[HistoryContact]
    open_orders: list[HistoryOrder]
    recent_orders: list[HistoryOrder]
    contact_count: int
    repeat_count: int
    satisfaction: dict[str, int]
    frequent_caller: bool


def _contact_out(c) -> dict:
    return {
        "id": c.pk,
        "outcome": c.outcome,
        "received_at": c.received_at,
        "summary": c.summary,
        "order_id": c.order_id,
        "order_number": c.order.number if c.order_id else None,
    }


@router.post("", response={201: ContactResult}, summary="Record a contact and its outcome")
def record(request, payload: ContactIn):
    actor = request.auth
    data = A.ContactInput(
        channel=payload.channel,
        summary=payload.summary,
        text=payload.text,
        phone=payload.phone,
        name=payload.name,
        is_anonymous=payload.is_anonymous,
        address=payload.address,
        street=payload.street,
        request_type=payload.request_type,
        urgency=payload.urgency,
        source=payload.source,
    )
    order = code = None
    if payload.outcome == "direct_answer":
        contact = A.do_answer_contact(actor, data, answer_text=payload.answer_text, article_ref=payload.article_ref)
    elif payload.outcome == "emergency":
        try:
            contact = A.do_transfer_emergency(actor, data, service=payload.emergency_service)
        except Invalid as exc:
            # The action calls the field "service"; the request calls it "emergency_service".
            if "service" in exc.errors:
                exc.errors["emergency_service"] = exc.errors.pop("service")
            raise
    elif payload.outcome == "disposition":
        contact = A.do_dispose_contact(
            actor, data, disposition_reason=payload.disposition_reason, answer_text=payload.answer_text
        )
    elif payload.outcome == "attached":
        if payload.order_id is None:
            raise Invalid("Name the open order.", errors={"order_id": ["required to attach"]})
        contact = A.do_attach_contact(actor, data, order_id=payload.order_id)
        order = contact.order
    else:
        if not payload.request_type:
            raise Invalid("A work order needs a request type.", errors={"request_type": ["required"]})
        contact, order, code = A.do_create_order_from_contact(
            actor,
            data,
            OrderInput(
                channel=payload.channel,
                request_type=payload.request_type,
                subject=payload.summary,
                text=payload.text or payload.summary,
                urgency=payload.urgency or "normal",
                category=payload.category,
                address=payload.address,
                street=payload.street,
                requester_name=payload.name,
                requester_phone=payload.phone,
                is_anonymous=payload.is_anonymous,
                is_confidential=payload.is_confidential,
                consent_publish=payload.consent_publish,
                reply_wanted=payload.reply_wanted,
                source=payload.source,
            ),
        )
    return Status(
        201,
        {
            "contact": _contact_out(contact),
            "order": order_detail(actor, order) if order is not None else None,
            "query_code": code,
        },
    )


@router.get("/history", response=History, summary="The caller's history by phone number (screen pop)")
def history(request, phone: str):
    return caller_history(request.auth, phone)
