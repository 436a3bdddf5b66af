"""Record contacts and their outcomes (domain.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Invalid, Message, NotPermitted
from yihaotong.core.text import normalise_phone
from yihaotong.directory.models import UnitKind
from yihaotong.directory.policy import reference
from yihaotong.workorders import actions as W
from yihaotong.workorders.access import access_order

from .models import Contact, ContactOutcome, EmergencyService

INTAKE_ROLES = {R.OPERATOR, R.DISPATCHER, R.INTEGRATION}


@dataclass
class ContactInput:
    channel: str
    summary: str
    text: str = ""
    phone: str = ""
    name: str = ""
    is_anonymous: bool = False
    address: str = ""
    street: str | None = None
    request_type: str | None = None
    urgency: str | None = None
    source: str = ""


def _contact_row(actor, data: ContactInput, now: datetime, outcome: str) -> Contact:
    from yihaotong.workorders.models import Channel

    errors: dict[str, list[str]] = {}
    if data.channel not in Channel.values:
        errors["channel"] = [Message(gettext_noop("unknown channel %(code)r"), code=data.channel)]
    if not (data.summary or "").strip():
        errors["summary"] = [gettext_noop("This field is required.")]
    rt = urg = street = None
    if data.request_type:
        rt = reference("request_type", code=data.request_type)
        if rt is None:
            errors["request_type"] = [Message(gettext_noop("unknown request type %(code)r"), code=data.request_type)]
    if data.urgency:
        urg = reference("urgency", code=data.urgency)
        if urg is None:
            errors["urgency"] = [Message(gettext_noop("unknown urgency %(code)r"), code=data.urgency)]
    if data.street:
        street = reference("unit", code=data.street)
        if street is None or street.kind != UnitKind.STREET:
            errors["street"] = [Message(gettext_noop("unknown street %(code)r"), code=data.street)]
    if errors:
        raise Invalid(gettext_noop("The contact is not valid."), errors=errors)
    return Contact(
        channel=data.channel,
        source=data.source,
        received_at=now,
        operator=actor if actor.pk else None,
        phone=normalise_phone(data.phone),
        name="" if data.is_anonymous else data.name.strip(),
        is_anonymous=data.is_anonymous,
        address=data.address.strip(),
        street=street,
        summary=data.summary.strip()[:200],
        text=(data.text or "").strip(),
        request_type=rt,
        urgency=urg,
        outcome=outcome,
    )


def _check_roles(actor) -> None:
    if not actor.roles & INTAKE_ROLES:
        raise NotPermitted(gettext_noop("Only the centre's intake staff record contacts."))


@transaction.atomic
def do_answer_contact(
    actor, data: ContactInput, *, answer_text: str = "", article_ref: str = "", now: datetime | None = None
) -> Contact:
    """Direct answer (直接答复) at intake, from a knowledge-base article or a three-way call."""
    now = now or timezone.now()
    _check_roles(actor)
    if not (article_ref or (answer_text or "").strip()):
        raise Invalid(
            gettext_noop("Name the article used or write the answer given."),
            errors={"article_ref": [gettext_noop("an article or an answer is required")]},
        )
    contact = _contact_row(actor, data, now, ContactOutcome.DIRECT_ANSWER)
    contact.article_ref = article_ref
    contact.answer_text = (answer_text or "").strip()
    contact.save()
    return contact


@transaction.atomic
def do_transfer_emergency(actor, data: ContactInput, *, service: str, now: datetime | None = None) -> Contact:
    """Emergency transfer to 110 / 119 / 120 / 122, recorded with its time."""
    now = now or timezone.now()
    _check_roles(actor)
    if service not in EmergencyService.values:
        raise Invalid(
            gettext_noop("Choose 110, 119, 120 or 122."),
            errors={"service": [gettext_noop("unknown emergency service")]},
        )
    contact = _contact_row(actor, data, now, ContactOutcome.EMERGENCY)
    contact.emergency_service = service
    contact.transferred_at = now
    contact.save()
    return contact


@transaction.atomic
def do_dispose_contact(
    actor, data: ContactInput, *, disposition_reason: str, answer_text: str = "", now: datetime | None = None
) -> Contact:
    """Classified disposition (分类处置): the hotline does not handle it; the caller is told where to go."""
    from yihaotong.directory.data.dispositions import DISPOSITION_REASONS

    now = now or timezone.now()
    _check_roles(actor)
    if disposition_reason not in {d["code"] for d in DISPOSITION_REASONS}:
        raise Invalid(
            gettext_noop("Choose a listed reason."), errors={"disposition_reason": [gettext_noop("unknown reason")]}
        )
    contact = _contact_row(actor, data, now, ContactOutcome.DISPOSITION)
    contact.disposition_reason = disposition_reason
    contact.answer_text = answer_text
    contact.save()
    return contact


@transaction.atomic
def do_attach_contact(actor, data: ContactInput, *, order_id: int, now: datetime | None = None) -> Contact:
    """Attach a contact on the same matter to an open order (重复诉求): the order counts one more contact."""
    now = now or timezone.now()
    _check_roles(actor)
    access_order(actor, order_id)
    contact = _contact_row(actor, data, now, ContactOutcome.ATTACHED)
    order = W.do_record_repeat_contact(actor, order_id, note=data.summary, now=now)
    contact.order = order
    contact.save()
    return contact


@transaction.atomic
def do_create_order_from_contact(
    actor, data: ContactInput, order: W.OrderInput, *, now: datetime | None = None
) -> tuple[Contact, object, str]:
    """Record the contact and create its work order; return both and the query code."""
    now = now or timezone.now()
    _check_roles(actor)
    contact = _contact_row(actor, data, now, ContactOutcome.WORK_ORDER)
    created, code = W.do_create_order(actor, order, now=now)
    contact.order = created
    contact.save()
    return contact, created, code
