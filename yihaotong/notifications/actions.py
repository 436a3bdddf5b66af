"""Queue notifications in the outbox. Called inside an action's transaction: a rollback removes them too."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from yihaotong.core.models import insert_rows

from .access import access_notification
from .models import NotificationReceipt, NotificationWatermark, Outbox, OutboxChannel
from .selectors import newest_unread_candidate, unread_q
from .templates import render


def queue_notification(**kwargs) -> list[Outbox]:
    """Queue one notification per addressee: a unit's members with ``roles``, centre ``roles``, a user,
    or the requester's phone (SMS) or email. Fan-out to individual people happens at delivery.

    The rows of one notification are inserted in one statement compiled once per row count
    (``core.models.insert_rows``, decision 0009)."""
    return insert_rows(outbox_rows(**kwargs))


def outbox_rows(
    *,
    kind: str,
    order=None,
    subject: str,
    body: str = "",
    now: datetime,
    unit=None,
    roles: tuple[str, ...] = (),
    user=None,
    phone: str = "",
    email: str = "",
    payload: dict | None = None,
    context: dict | None = None,
) -> list[Outbox]:
    """The outbox rows of one notification (unsaved): see ``queue_notification``.

    With a ``context``, a kind that has a template (``templates.TEMPLATES``) gets its text from it, in the
    default language; the context is kept in the payload so that delivery renders the text again in the
    recipient's language.
    """
    text = render(kind, context)
    if text is not None:
        subject = text
        body = text if (body or phone or email) else body
        payload = {**(payload or {}), "ctx": context}
    rows = []
    common = {
        "kind": kind,
        "order": order,
        "subject": subject[:200],
        "body": body,
        "created_at": now,
        "payload": payload or {},
    }
    if phone:
        rows.append(Outbox(channel=OutboxChannel.SMS, recipient_address=phone, **common))
    if email:
        rows.append(Outbox(channel=OutboxChannel.EMAIL, recipient_address=email, **common))
    if user is not None:
        rows.append(Outbox(channel=OutboxChannel.INTERNAL, recipient_user=user, **common))
    for role in roles if (unit is not None or not (phone or email or user)) else ():
        rows.append(Outbox(channel=OutboxChannel.INTERNAL, recipient_unit=unit, recipient_role=role, **common))
    return rows


def do_retry_outbox(ids) -> int:
    """Put failed rows back in the queue (the admin's retry): attempts start again, the key stays."""
    from .models import OutboxState

    return Outbox.objects.filter(pk__in=list(ids), state=OutboxState.FAILED).update(
        state=OutboxState.QUEUED, attempts=0, next_attempt_at=None
    )


def do_set_recipient_language(phone: str, language: str, *, now: datetime | None = None) -> None:
    """Remember the language a citizen uses with us; their later SMS are written in it. The default
    language needs no row (a row is removed when the citizen goes back to it)."""
    from django.conf import settings
    from django.utils import timezone

    from .models import RecipientLanguage
    from .phones import phone_hash

    if not phone:
        return
    languages = {code for code, _name in settings.LANGUAGES}
    key = phone_hash(phone)
    if language not in languages or language == settings.LANGUAGE_CODE:
        RecipientLanguage.objects.filter(phone_hash=key).delete()
        return
    RecipientLanguage.objects.update_or_create(
        phone_hash=key, defaults={"language": language, "updated_at": now or timezone.now()}
    )


# ---------------------------------------------------------------------------------------------------------
# read state of the staff notification centre (decision 0024)


def do_mark_notification_read(actor, notification_id: int, *, now: datetime | None = None) -> Outbox:
    """Mark one notification read for ``actor`` only (a receipt; colleagues addressed by the same unit or
    role row keep it unread). NotFound when the actor does not see it; nothing is written when it is
    already read."""
    now = now or timezone.now()
    with transaction.atomic():
        row = access_notification(actor, notification_id)
        if Outbox.objects.filter(unread_q(actor, now), pk=row.pk).exists():
            NotificationReceipt.objects.bulk_create(
                [NotificationReceipt(user=actor, notification=row, read_at=now)], ignore_conflicts=True
            )
    return row


def do_mark_all_notifications_read(actor, *, up_to: int | None = None, now: datetime | None = None) -> int:
    """Mark every notification ``actor`` sees read, up to id ``up_to`` (the newest the reader was shown;
    rows that arrived after stay unread) or all of them. Move the actor's watermark there and drop the
    receipts it covers; return the watermark."""
    now = now or timezone.now()
    if not getattr(actor, "pk", None):
        return 0
    top = newest_unread_candidate(actor, now=now, up_to=up_to)
    with transaction.atomic():
        NotificationWatermark.objects.bulk_create(
            [NotificationWatermark(user=actor, read_through=0, updated_at=now)], ignore_conflicts=True
        )
        # Only forward: two tabs marking at once keep the higher mark.
        NotificationWatermark.objects.filter(user=actor, read_through__lt=top).update(read_through=top, updated_at=now)
        NotificationReceipt.objects.filter(user=actor, notification_id__lte=top).delete()
        return NotificationWatermark.objects.filter(user=actor).values_list("read_through", flat=True).get()
