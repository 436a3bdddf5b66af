"""The portal's public API (no account): the same steps as the pages, for the district's app or
mini-programme. Every call is rate-limited per client address; errors are RFC 7807 problems."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Router, Schema

from yihaotong.core.errors import Conflict, Invalid
from yihaotong.notifications import limits
from yihaotong.notifications.codes import do_check_verification_code, do_send_verification_code
from yihaotong.notifications.delivery import kick_delivery
from yihaotong.notifications.phones import mobile_or_none

from . import services
from .views import CODE_PURPOSE, POSTS_PER_MINUTE, client_ip

router = Router()


def _limit(request: HttpRequest) -> str:
    ip = client_ip(request)
    limits.check_and_hit(POSTS_PER_MINUTE, ip)
    return ip


class CodeIn(Schema):
    phone: str


class Accepted(Schema):
    detail: str


class RequestIn(Schema):
    request_type: str
    subject: str
    text: str
    phone: str
    code: str
    address: str = ""
    name: str = ""
    anonymous: bool = False
    consent_publish: bool = False
    confidential: bool = False
    same_matter: Literal["", "same", "new"] = ""


class RequestOut(Schema):
    number: str
    query_code: str = ""
    repeat_of_earlier: bool = False


class TrackIn(Schema):
    number: str
    code: str


class TimelineItemOut(Schema):
    at: datetime
    label: str


class TrackOut(Schema):
    number: str
    state: str
    subject: str
    timeline: list[TimelineItemOut]
    public_reply: str
    can_rate: bool
    satisfaction: str


class RateIn(TrackIn):
    satisfaction: Literal["satisfied", "basically", "dissatisfied"]
    reason: str = ""


@router.post("/code", response={202: Accepted}, auth=None, summary="Send a one-time code by SMS")
def send_code(request: HttpRequest, body: CodeIn):
    ip = _limit(request)
    do_send_verification_code(body.phone, purpose=CODE_PURPOSE, ip=ip)
    kick_delivery()
    return 202, {"detail": "sent"}


@router.post("", response={201: RequestOut, 200: RequestOut}, auth=None, summary="Submit a request")
def submit(request: HttpRequest, body: RequestIn):
    _limit(request)
    phone = mobile_or_none(body.phone)
    if phone is None:
        raise Invalid(gettext_noop("Enter a mobile phone number."), errors={"phone": ["11 digits, starting with 1"]})
    if not body.anonymous and not body.name.strip():
        raise Invalid(gettext_noop("The work order is not valid."), errors={"name": ["required unless anonymous"]})
    do_check_verification_code(phone, body.code, purpose=CODE_PURPOSE, consume=False)
    duplicate = services.find_duplicate(phone, body.subject, body.text)
    if duplicate is not None and not body.same_matter:
        # The code stays good: the client asks the citizen and repeats the call with ``same_matter``.
        raise Conflict(
            gettext_noop("The same text came from this phone a few minutes ago: say whether it is the same matter."),
            order_number=duplicate.number,
        )
    do_check_verification_code(phone, body.code, purpose=CODE_PURPOSE)
    if duplicate is not None and body.same_matter == "same" and duplicate.is_open:
        services.record_same_matter(duplicate)
        return 200, {"number": duplicate.number, "repeat_of_earlier": True}
    order, code = services.submit_request(
        services.Submission(
            request_type=body.request_type,
            subject=body.subject,
            text=body.text,
            phone=phone,
            address=body.address,
            name=body.name,
            anonymous=body.anonymous,
            consent_publish=body.consent_publish,
            confidential=body.confidential,
        )
    )
    return 201, {"number": order.number, "query_code": code}


def _track_out(order) -> dict:
    return {
        "number": order.number,
        "state": order.state,
        "subject": order.subject,
        "timeline": [{"at": i.at, "label": i.label} for i in services.public_timeline(order)],
        "public_reply": order.public_reply,
        "can_rate": services.can_rate(order),
        "satisfaction": order.satisfaction,
    }


@router.post("/track", response=TrackOut, auth=None, summary="Track a request by number and query code")
def track(request: HttpRequest, body: TrackIn):
    ip = _limit(request)
    return _track_out(services.lookup_order(body.number, body.code, ip=ip))


@router.post("/rate", response=TrackOut, auth=None, summary="Rate the reply (满意 / 基本满意 / 不满意)")
def rate(request: HttpRequest, body: RateIn):
    ip = _limit(request)
    order = services.lookup_order(body.number, body.code, ip=ip)
    if body.satisfaction == "dissatisfied" and not body.reason.strip():
        raise Invalid(gettext_noop("Say why you are not satisfied."), errors={"reason": ["required when dissatisfied"]})
    services.rate_order(order, satisfaction=body.satisfaction, reason=body.reason)
    order.refresh_from_db()
    return _track_out(order)
