"""Letters endpoints: the letters read from the mailbox, one letter, recording it as a contact, dismissal."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema

from yihaotong.core.api import AUTH, paginate
from yihaotong.intake.actions import ContactInput

from . import actions as A
from .access import access_letter, visible_letters
from .models import Letter

router = Router(auth=AUTH)


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class LetterOut(Schema):
    id: int
    state: str
    sender_name: str
    sender_email: str
    subject: str
    body_text: str
    received_at: datetime
    sent_at: datetime | None
    contact_id: int | None
    attachments: list[AttachmentOut]

    @staticmethod
    def of(letter: Letter) -> dict:
        return {
            "id": letter.pk,
            "state": letter.state,
            "sender_name": letter.sender_name,
            "sender_email": letter.sender_email,
            "subject": letter.subject,
            "body_text": letter.body_text,
            "received_at": letter.received_at,
            "sent_at": letter.sent_at,
            "contact_id": letter.contact_id,
            "attachments": [
                {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size}
                for a in letter.attachments.all()
            ],
        }


class LetterPage(Schema):
    items: list[LetterOut]
    page: int
    page_size: int
    total: int
    pages: int


class LetterFilters(Schema):
    state: Literal["waiting", "recorded", "dismissed"] = "waiting"
    page: int = 1
    page_size: int = 50


class RecordIn(Schema):
    outcome: Literal["work_order", "direct_answer", "disposition", "attached"]
    summary: str = Field(..., min_length=1, max_length=200)
    text: str = ""
    phone: str = Field("", max_length=32)
    name: str = Field("", max_length=64)
    is_anonymous: bool = False
    address: str = Field("", max_length=255)
    street: str | None = None
    request_type: str | None = None
    urgency: str | None = None
    answer_text: str = ""
    disposition_reason: str = ""
    order_number: str = Field("", max_length=24, description="The open order a repeat letter is attached to.")


class RecordOut(Schema):
    letter: LetterOut
    contact_id: int
    order_id: int | None
    order_number: str | None
    query_code: str | None


class DismissIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


@router.get("", response=LetterPage, summary="Letters read from the mailbox")
def list_letters(request, filters: Query[LetterFilters]):
    qs = visible_letters(request.user).filter(state=filters.state).prefetch_related("attachments")
    qs = qs.order_by("received_at", "id") if filters.state == "waiting" else qs.order_by("-handled_at", "-id")
    items, meta = paginate(qs, filters.page, filters.page_size)
    return {"items": [LetterOut.of(x) for x in items], **{k: meta[k] for k in ("page", "page_size", "total", "pages")}}


@router.get("/{letter_id}", response=LetterOut, summary="One letter")
def get_letter(request, letter_id: int):
    return LetterOut.of(access_letter(request.user, letter_id))


@router.post("/{letter_id}/record", response=RecordOut, summary="Record a waiting letter as a contact")
def record_letter(request, letter_id: int, payload: RecordIn):
    data = ContactInput(
        channel="letter",
        summary=payload.summary,
        text=payload.text,
        phone=payload.phone,
        name=payload.name,
        is_anonymous=payload.is_anonymous,
        address=payload.address,
        street=payload.street,
        request_type=payload.request_type,
        urgency=payload.urgency,
    )
    letter, contact, order, code = A.do_record_letter(
        request.user,
        letter_id,
        data,
        outcome=payload.outcome,
        answer_text=payload.answer_text,
        disposition_reason=payload.disposition_reason,
        order_number=payload.order_number,
    )
    return {
        "letter": LetterOut.of(letter),
        "contact_id": contact.pk,
        "order_id": order.pk if order else None,
        "order_number": order.number if order else None,
        "query_code": code,
    }


@router.post("/{letter_id}/dismiss", response=LetterOut, summary="Dismiss a waiting letter (not a contact)")
def dismiss_letter(request, letter_id: int, payload: DismissIn):
    return LetterOut.of(A.do_dismiss_letter(request.user, letter_id, reason=payload.reason))
