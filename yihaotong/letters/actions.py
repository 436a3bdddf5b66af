"""Every write of the letters app: a letter read from the mailbox, a refused message, a letter recorded as
a contact (through the intake actions) or dismissed. One transaction each, with an append-only event."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.core.errors import Conflict, Invalid, NotFound, NotPermitted
from yihaotong.intake import actions as IA
from yihaotong.workorders import actions as W
from yihaotong.workorders.access import visible_orders
from yihaotong.workorders.actions import OrderInput

from .access import HANDLER_ROLES, access_letter
from .mail import ParsedMail, Refused
from .models import Letter, LetterAttachment, LetterEvent, LetterState, RejectedMail

log = logging.getLogger("yihaotong.letters")

OUTCOMES = ("work_order", "direct_answer", "disposition", "attached")


def do_receive_letter(
    mail: ParsedMail, *, folder: str = "", uid: str = "", now: datetime | None = None
) -> tuple[Letter, bool]:
    """Keep a parsed message as a letter waiting for an operator; return it and whether it is new.

    Idempotent on the message key: the same message read again returns the letter already kept. The
    letter, its attachments (files included) and its event are written together or not at all.
    """
    now = now or timezone.now()
    existing = Letter.objects.filter(message_key=mail.message_key).first()
    if existing is not None:
        return existing, False
    saved_files: list = []
    try:
        with transaction.atomic():
            letter = Letter.objects.create(
                message_key=mail.message_key,
                message_id=mail.message_id,
                folder=folder[:100],
                uid=str(uid)[:32],
                sender_name=mail.sender_name,
                sender_email=mail.sender_email,
                subject=mail.subject,
                body_text=mail.text,
                body_html=mail.html,
                size=mail.size,
                sent_at=mail.sent_at,
                received_at=now,
            )
            for part in mail.attachments:
                att = LetterAttachment(
                    letter=letter, name=part.name, content_type=part.content_type, size=len(part.data)
                )
                att.file.save(part.name, ContentFile(part.data), save=False)
                saved_files.append(att.file)
                att.save()
            LetterEvent.objects.create(
                letter=letter,
                kind="received",
                at=now,
                payload={"uid": str(uid), "folder": folder, "attachments": len(mail.attachments)},
            )
    except IntegrityError:
        _delete_files(saved_files)
        # Another poller kept the same message a moment ago.
        return Letter.objects.get(message_key=mail.message_key), False
    except BaseException:
        _delete_files(saved_files)
        raise
    log.info("letter %s kept from %s: %r", letter.pk, letter.sender_email, letter.subject)
    return letter, True


def _delete_files(files) -> None:
    for f in files:
        try:
            f.storage.delete(f.name)
        except OSError:  # pragma: no cover - best effort on the way out
            log.exception("could not delete %s", f.name)


@transaction.atomic
def do_refuse_mail(refused: Refused, *, folder: str = "", uid: str = "", size: int = 0, now: datetime | None = None):
    """Log a refused message with its reason (once per message); nothing else of it is kept."""
    now = now or timezone.now()
    row, created = RejectedMail.objects.get_or_create(
        message_key=refused.message_key,
        defaults={
            "message_id": refused.message_id,
            "folder": folder[:100],
            "uid": str(uid)[:32],
            "sender": refused.sender,
            "subject": refused.subject,
            "size": size,
            "reason": refused.reason,
            "detail": refused.detail,
            "at": now,
        },
    )
    log.warning("mail refused (uid %s, %s): %s %s", uid, refused.sender, refused.reason, refused.detail)
    return row, created


def _check_handler(actor) -> None:
    if not actor.roles & HANDLER_ROLES:
        raise NotPermitted(gettext_noop("Only operators and dispatchers record letters."))


def _waiting(actor, pk: int) -> Letter:
    letter = access_letter(actor, pk, for_update=True)
    if letter.state != LetterState.WAITING:
        raise Conflict(gettext_noop("This letter was already handled."))
    return letter


@transaction.atomic
def do_record_letter(
    actor,
    letter_pk: int,
    data: IA.ContactInput,
    *,
    outcome: str,
    answer_text: str = "",
    disposition_reason: str = "",
    order_number: str = "",
    now: datetime | None = None,
):
    """Record a waiting letter as a contact through the intake actions (a work order, a direct answer, a
    disposition, or a repeat contact attached to an open order by its number); the letter links to the
    contact. Returns (letter, contact, order or None, query code or None)."""
    now = now or timezone.now()
    _check_handler(actor)
    letter = _waiting(actor, letter_pk)
    data.channel = "letter"
    data.source = data.source or f"电子邮件 {letter.sender_email}"[:64]
    order = code = None
    if outcome == "work_order":
        order_input = OrderInput(
            channel="letter",
            request_type=data.request_type or "",
            subject=data.summary,
            text=data.text or data.summary,
            urgency=data.urgency or "normal",
            address=data.address,
            street=data.street,
            requester_name=data.name,
            requester_phone=data.phone,
            is_anonymous=data.is_anonymous,
            source=data.source,
        )
        contact, order, code = IA.do_create_order_from_contact(actor, data, order_input, now=now)
        _copy_attachments(actor, letter, order, now)
    elif outcome == "direct_answer":
        contact = IA.do_answer_contact(actor, data, answer_text=answer_text, now=now)
    elif outcome == "disposition":
        contact = IA.do_dispose_contact(
            actor, data, disposition_reason=disposition_reason, answer_text=answer_text, now=now
        )
    elif outcome == "attached":
        number = (order_number or "").strip().upper()
        order_id = visible_orders(actor).filter(number=number).values_list("pk", flat=True).first() if number else None
        if order_id is None:
            raise Invalid(
                gettext_noop("No open order with this number."),
                errors={"order_number": [gettext_noop("No order with this number.")]},
            )
        try:
            contact = IA.do_attach_contact(actor, data, order_id=order_id, now=now)
        except NotFound:
            raise Invalid(
                gettext_noop("No open order with this number."),
                errors={"order_number": [gettext_noop("No order with this number.")]},
            ) from None
        order = contact.order
    else:
        raise Invalid(gettext_noop("Choose an outcome."), errors={"outcome": [gettext_noop("unknown outcome")]})
    letter.state = LetterState.RECORDED
    letter.contact = contact
    letter.handled_by = actor
    letter.handled_at = now
    letter.save(update_fields=["state", "contact", "handled_by", "handled_at"])
    LetterEvent.objects.create(
        letter=letter,
        kind="recorded",
        actor=actor,
        at=now,
        payload={"contact": contact.pk, "outcome": outcome, "order": order.pk if order else None},
    )
    return letter, contact, order, code


def _copy_attachments(actor, letter: Letter, order, now: datetime) -> None:
    """The letter's files go onto the new order (internal, through the order's own action) so the handling
    unit sees them; a type or size the order does not take stays on the letter only."""
    for att in letter.attachments.all():
        if att.content_type not in W.ALLOWED_ATTACHMENT_TYPES or att.size > W.MAX_ATTACHMENT_BYTES:
            continue
        with att.file.open("rb") as f:
            upload = SimpleUploadedFile(att.name, f.read(), content_type=att.content_type)
        W.do_add_attachment(actor, order.pk, uploaded_file=upload, now=now)


@transaction.atomic
def do_dismiss_letter(actor, letter_pk: int, *, reason: str, now: datetime | None = None) -> Letter:
    """Dismiss a waiting letter that is no contact (advertising, an automatic reply), with the reason."""
    now = now or timezone.now()
    _check_handler(actor)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise Invalid(
            gettext_noop("Give the reason for dismissing the letter."),
            errors={"reason": [gettext_noop("1 to 200 characters")]},
        )
    letter = _waiting(actor, letter_pk)
    letter.state = LetterState.DISMISSED
    letter.dismiss_reason = reason
    letter.handled_by = actor
    letter.handled_at = now
    letter.save(update_fields=["state", "dismiss_reason", "handled_by", "handled_at"])
    LetterEvent.objects.create(letter=letter, kind="dismissed", actor=actor, at=now, payload={"reason": reason})
    return letter
