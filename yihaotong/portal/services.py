"""What the portal's pages do, composed from the domain actions (no writes of its own)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yihaotong.core.errors import InvalidTransition, NotFound
from yihaotong.notifications import limits
from yihaotong.notifications.actions import do_set_recipient_language
from yihaotong.notifications.delivery import kick_delivery
from yihaotong.workorders import actions as A
from yihaotong.workorders import states as S
from yihaotong.workorders.models import Event, WorkOrder

from .actor import portal_actor
from .images import CleanImage

DUPLICATE_WINDOW = timedelta(minutes=10)
# Wrong query codes: per client address and per order number (whether or not it exists), per window.
TRACK_PER_IP = limits.Limit("track-ip", 20, 900)
TRACK_PER_NUMBER = limits.Limit("track-number", 5, 900)


@dataclass
class Submission:
    request_type: str
    subject: str
    text: str
    phone: str
    address: str = ""
    name: str = ""
    anonymous: bool = False
    consent_publish: bool = False
    confidential: bool = False
    photos: list[CleanImage] = field(default_factory=list)


def _norm(text: str) -> str:
    return "".join((text or "").split())


def find_duplicate(phone: str, subject: str, text: str, *, now: datetime | None = None) -> WorkOrder | None:
    """An order from the same phone in the last minutes with (nearly) the same text, or None."""
    now = now or timezone.now()
    recent = WorkOrder.objects.filter(requester_phone=phone, created_at__gte=now - DUPLICATE_WINDOW).order_by(
        "-created_at"
    )[:5]
    body = _norm(text)
    for order in recent:
        if _norm(order.text) == body:
            return order
        if difflib.SequenceMatcher(None, _norm(order.text), body).ratio() >= 0.9:
            return order
    return None


def submit_request(sub: Submission, *, now: datetime | None = None) -> tuple[WorkOrder, str]:
    """Create the order (channel web, 待受理) with its photos in one transaction; the SMS with the
    number and query code is queued with it and delivered right after the commit."""
    now = now or timezone.now()
    actor = portal_actor()
    with transaction.atomic():
        # The citizen's SMS are written in the language they used here (notifications.templates).
        do_set_recipient_language(sub.phone, translation.get_language() or "", now=now)
        order, code = A.do_create_order(
            actor,
            A.OrderInput(
                channel="web",
                request_type=sub.request_type,
                subject=sub.subject,
                text=sub.text,
                address=sub.address,
                requester_name="" if sub.anonymous else sub.name,
                requester_phone=sub.phone,
                is_anonymous=sub.anonymous,
                is_confidential=sub.confidential,
                consent_publish=sub.consent_publish,
                source="网上门户",
            ),
            now=now,
        )
        for i, img in enumerate(sub.photos, start=1):
            upload = SimpleUploadedFile(f"photo-{i}.{img.extension}", img.data, content_type=img.content_type)
            A.do_add_attachment(actor, order.pk, uploaded_file=upload, now=now)
        kick_delivery()
    return order, code


def record_same_matter(order: WorkOrder, *, now: datetime | None = None) -> WorkOrder:
    """The citizen says a repeated submission is the same matter: count a repeat contact (重复诉求)."""
    return A.do_record_repeat_contact(portal_actor(), order.pk, note="网上门户再次提交同一诉求", now=now)


def lookup_order(number: str, code: str, *, ip: str, now: datetime | None = None) -> WorkOrder:
    """The order with this number and query code. Wrong pairs are counted per address and per number;
    past the limits nothing is checked. The answer never tells whether the number exists."""
    now = now or timezone.now()
    number = (number or "").strip().upper()
    if limits.exceeded(TRACK_PER_IP, ip, now=now) or limits.exceeded(TRACK_PER_NUMBER, number, now=now):
        raise limits.Throttled(gettext_noop("Too many wrong attempts. Please try again in 15 minutes."))
    order = WorkOrder.objects.filter(number=number).first() if number else None
    probe = order or WorkOrder(number=number, query_code_hash="0" * 64)
    ok = A.check_query_code(probe, code) and order is not None
    if not ok:
        limits.hit(TRACK_PER_IP, ip, now=now)
        limits.hit(TRACK_PER_NUMBER, number, now=now)
        raise NotFound(gettext_noop("No request matches this order number and query code."))
    return order


# ---------------------------------------------------------------------------------------------------------
# the public timeline

_LABELS = {
    "create": _("Request received"),
    "accept": _("Accepted by the hotline"),
    "dispatch": _("Dispatched to %(unit)s"),
    "sign": _("Taken on by %(unit)s"),
    "reply": _("The unit replied; the reply is being reviewed"),
    "approve_reply": _("Reply approved"),
    "close": _("Closed"),
    "redo": _("Sent back to %(unit)s to handle again"),
    "extension_approved": _("Handling time extended"),
    "terminate": _("Handling terminated"),
    "reject": _("Referred: the hotline does not handle this matter"),
    "answer": _("Answered directly"),
    "merge": _("Merged with a request on the same matter"),
}


@dataclass
class TimelineItem:
    at: datetime
    label: str


def public_timeline(order: WorkOrder) -> list[TimelineItem]:
    """The events the requester may see: what happened and which unit, never who or internal notes."""
    items = []
    for e in Event.objects.filter(order=order, is_public=True).select_related("unit").order_by("at", "id"):
        label = _LABELS.get(e.kind)
        if label is None:
            continue
        unit = e.unit.name if e.unit_id else _("the responsible unit")
        items.append(TimelineItem(e.at, str(label) % {"unit": unit} if "%(unit)s" in str(label) else str(label)))
    return items


def can_rate(order: WorkOrder, *, now: datetime | None = None) -> bool:
    """Awaiting its callback, or closed without the callback reaching the requester (invited by SMS to
    rate online) and still within the redo window."""
    return order.state == S.PENDING_CALLBACK or _closed_unrated(order, now=now)


def _closed_unrated(order: WorkOrder, *, now: datetime | None = None) -> bool:
    """A closed order the requester never rated (the callback did not reach them; they were invited by
    SMS to rate online): within the redo window they may ask for it to be handled again."""
    from yihaotong.directory.policy import get_policy

    if order.state != S.CLOSED or order.satisfaction or order.closed_at is None:
        return False
    window = timedelta(days=int(get_policy()["redo_window_days"]))
    return (now or timezone.now()) - order.closed_at <= window


def rate_order(order: WorkOrder, *, satisfaction: str, reason: str, now: datetime | None = None):
    """The citizen's online rating, recorded as a reached callback: 不满意 sends the order back (重办)
    within the policy's rounds, like a callback agent's record."""
    if not can_rate(order, now=now):
        raise InvalidTransition(gettext_noop("This request cannot be rated now."))
    if order.state == S.CLOSED:
        return A.do_rate_closed_order(
            portal_actor(), order.pk, satisfaction=satisfaction, reason=(reason or "").strip(), now=now
        )
    return A.do_record_callback(
        portal_actor(),
        order.pk,
        outcome="reached",
        satisfaction=satisfaction,
        reason=(reason or "").strip(),
        now=now,
    )
