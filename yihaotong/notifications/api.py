"""Replies to our SMS, posted by the gateway (signed like our requests to it): "TD", "退订" or "STOP"
opt the phone out of non-essential SMS; "START" or "恢复" opts it back in."""

from __future__ import annotations

import hmac
import json
import time

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Router, Schema

from yihaotong.core.errors import DomainError, Invalid

from .optout import do_opt_in, do_opt_out
from .phones import mobile_or_none, phone_hash
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
