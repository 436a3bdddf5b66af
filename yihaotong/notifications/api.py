"""The staff notification centre's endpoints (``inbox_router``, decision 0024), and replies to our SMS,
posted by the gateway (signed like our requests to it): "TD", "退订" or "STOP" opt the phone out of
non-essential SMS; "START" or "恢复" opts it back in."""

from __future__ import annotations

import hmac
import json
import time
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_noop
from ninja import Field, Router, Schema

from yihaotong.core.api import paginate
from yihaotong.core.errors import DomainError, Invalid

from .actions import do_mark_all_notifications_read, do_mark_notification_read
from .optout import do_opt_in, do_opt_out
from .phones import mobile_or_none, phone_hash
from .selectors import COUNT_CAP, count_unread, list_notifications, present
from .sms import sign

router = Router()

STOP_WORDS = {"td", "t", "n", "stop", "unsubscribe", "退订", "退订短信"}
START_WORDS = {"start", "恢复", "订阅"}
MAX_SKEW = 300  # seconds between the gateway's timestamp and ours


class BadSignature(DomainError):
    status = 401
    code = "bad_signature"
    title = "Bad signature"


class InboundOut(Schema):
    action: str  # opted_out / opted_in / ignored


def _check_signature(request: HttpRequest) -> None:
    key = request.headers.get("X-Api-Key", "")
    ts = request.headers.get("X-Timestamp", "")
    expected_key = getattr(settings, "SMS_GATEWAY_KEY", "")
    secret = getattr(settings, "SMS_GATEWAY_SECRET", "")
    if not secret or not hmac.compare_digest(key, expected_key):
        raise BadSignature(gettext_noop("Unknown gateway key."))
    try:
        skew = abs(time.time() - int(ts))
    except ValueError:
        skew = MAX_SKEW + 1
    if skew > MAX_SKEW or not hmac.compare_digest(
        sign(secret, ts, request.body), request.headers.get("X-Signature", "")
    ):
        raise BadSignature(gettext_noop("The signature does not match."))


@router.post(
    "/inbound",
    response=InboundOut,
    auth=None,
    summary="A citizen's reply to an SMS, posted by the gateway",
    description='Signed like the gateway requests (X-Api-Key, X-Timestamp, X-Signature); body {"from", "text"}.',
)
def inbound(request: HttpRequest):
    _check_signature(request)
    try:
        data = json.loads(request.body)
        sender, text = str(data.get("from", "")), str(data.get("text", ""))
    except (ValueError, AttributeError) as exc:
        raise Invalid(gettext_noop("The message is not valid."), errors={"body": ["a JSON object"]}) from exc
    mobile = mobile_or_none(sender)
    if mobile is None:
        raise Invalid(gettext_noop("The message is not valid."), errors={"from": ["a mobile number"]})
    word = text.strip().lower()
    if word in STOP_WORDS:
        do_opt_out(phone_hash(mobile), source="reply")
        return {"action": "opted_out"}
    if word in START_WORDS:
        do_opt_in(phone_hash(mobile))
        return {"action": "opted_in"}
    return {"action": "ignored"}


# ---------------------------------------------------------------------------------------------------------
# the staff notification centre (mounted at /api/v1/notifications; decision 0024)

inbox_router = Router()


class NotificationOrder(Schema):
    id: int
    number: str


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    subject: str
    body: str
    created_at: datetime
    unread: bool
    order: NotificationOrder | None = Field(None, description="Only when the reader may see the order.")


class NotificationPageMeta(Schema):
    page: int
    page_size: int
    total: int = Field(description="Matching notifications, counted up to 1,000 (see capped).")
    pages: int
    capped: bool = Field(False, description="True when there are more matching notifications than total says.")


class NotificationList(Schema):
    items: list[NotificationOut]
    meta: NotificationPageMeta


class UnreadCount(Schema):
    count: int = Field(description="Unread notifications of the last 30 days, counted up to 1,000.")
    capped: bool


class ReadAllIn(Schema):
    up_to: int | None = Field(None, description="Mark read up to this notification id (the newest the reader saw).")


class ReadAllOut(Schema):
    read_through: int
    unread: int


def _out(item) -> dict:
    return {
        "id": item.row.pk,
        "kind": item.row.kind,
        "kind_label": item.label,
        "subject": item.subject,
        "body": item.body,
        "created_at": item.row.created_at,
        "unread": item.unread,
        "order": {"id": item.order_id, "number": item.order_number} if item.order_id else None,
    }


@inbox_router.get("", response=NotificationList, summary="My in-app notifications, newest first")
def notification_list(
    request: HttpRequest, unread: bool | None = None, kind: str = "", page: int = 1, page_size: int = 50
):
    rows, meta = paginate(
        list_notifications(request.auth, now=timezone.now(), unread=unread, kind=kind.strip()),
        page,
        page_size,
        count_cap=COUNT_CAP,
    )
    return {"items": [_out(i) for i in present(request.auth, rows)], "meta": meta}


@inbox_router.get("/unread-count", response=UnreadCount, summary="How many of my notifications are unread")
def unread_count(request: HttpRequest):
    n = count_unread(request.auth, now=timezone.now(), cap=COUNT_CAP + 1)
    return {"count": min(n, COUNT_CAP), "capped": n > COUNT_CAP}


@inbox_router.post("/read-all", response=ReadAllOut, summary="Mark all my notifications read")
def read_all(request: HttpRequest, payload: ReadAllIn | None = None):
    now = timezone.now()
    mark = do_mark_all_notifications_read(request.auth, up_to=payload.up_to if payload else None, now=now)
    return {"read_through": mark, "unread": count_unread(request.auth, now=now, cap=COUNT_CAP)}


@inbox_router.post("/{int:notification_id}/read", response=NotificationOut, summary="Mark one notification read")
def read_one(request: HttpRequest, notification_id: int):
    now = timezone.now()
    do_mark_notification_read(request.auth, notification_id, now=now)
    row = list_notifications(request.auth, now=now).filter(pk=notification_id).get()
    return _out(present(request.auth, [row])[0])
