"""Deliver outbox rows after the change that queued them has committed (the huey worker).

In-app rows are delivered by being visible in the recipients' inbox. Email goes through Django's mail
backend; SMS through the provider of ``sms.get_sms_provider()`` (the HTTP gateway, or the file).

Never twice: a worker claims rows in a short transaction (state stays ``queued``, ``next_attempt_at``
moves past a lease, so no other worker picks them), sends outside the transaction, then records the
result. Every attempt of a row carries the same idempotency key, so a message the gateway accepted
while its answer was lost is not sent again by the retry. Failures are retried with backoff
(``BACKOFF``); after ``MAX_ATTEMPTS`` (or a refusal for good) the row is ``failed``, listed in the admin
with a retry action. Non-essential SMS to a phone that opted out is ``skipped``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Outbox, OutboxChannel, OutboxState, RecipientLanguage, SmsOptOut
from .phones import phone_hash
from .sms import SmsError, get_sms_provider
from .templates import render

log = logging.getLogger(__name__)

BACKOFF = (30, 120, 600, 1800, 3600)  # seconds before attempt 2, 3, …
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=5)
# SMS that go out even to phones that opted out: the code that proves the phone, and the query code.
ESSENTIAL_SMS_KINDS = frozenset({"verification_code", "order_created"})


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])


def _due(now: datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _claim(now: datetime, batch: int, ids: list[int] | None) -> list[Outbox]:
    with transaction.atomic():
        qs = Outbox.objects.select_for_update(skip_locked=True).filter(_due(now), state=OutboxState.QUEUED)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        rows = list(qs.order_by("id")[:batch])
        internal = [r.pk for r in rows if r.channel == OutboxChannel.INTERNAL]
        if internal:
            Outbox.objects.filter(pk__in=internal).update(
                state=OutboxState.SENT, sent_at=now, attempts=F("attempts") + 1
            )
        external = [r for r in rows if r.channel != OutboxChannel.INTERNAL]
        if external:
            Outbox.objects.filter(pk__in=[r.pk for r in external]).update(
                next_attempt_at=now + LEASE, attempts=F("attempts") + 1
            )
        for r in external:
            r.attempts += 1
        return external


def unsubscribe_footer(phone: str, language: str | None = None) -> str:
    from django.utils import translation
    from django.utils.translation import gettext

    from .optout import unsubscribe_url

    with translation.override(language or settings.LANGUAGE_CODE):
        return " " + gettext("Unsubscribe: %(url)s") % {"url": unsubscribe_url(phone)}


def _send(row: Outbox, provider) -> tuple[str, str]:
    """Send one claimed row; return (state, provider reference). Raises on failure."""
    if row.channel == OutboxChannel.EMAIL:
        send_mail(row.subject, row.body or row.subject, None, [row.recipient_address])
        return OutboxState.SENT, ""
    text = row.body or row.subject
    language = (
        RecipientLanguage.objects.filter(phone_hash=phone_hash(row.recipient_address))
        .values_list("language", flat=True)
        .first()
    )
    if language:
        text = render(row.kind, (row.payload or {}).get("ctx"), language) or text
    if row.kind not in ESSENTIAL_SMS_KINDS:
        if SmsOptOut.objects.filter(phone_hash=phone_hash(row.recipient_address)).exists():
            return OutboxState.SKIPPED, ""
        text += unsubscribe_footer(row.recipient_address, language)
    ref = provider.send(to=row.recipient_address, text=text, idempotency_key=row.idempotency_key)
    return OutboxState.SENT, ref


def deliver_outbox(*, batch: int = 200, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Deliver due rows (or only ``ids``); return how many were sent."""
    now = now or timezone.now()
    rows = _claim(now, batch, ids)
    provider = get_sms_provider() if any(r.channel == OutboxChannel.SMS for r in rows) else None
    sent = 0
    max_attempts = int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", MAX_ATTEMPTS))
    for row in rows:
        fields = {"next_attempt_at": None}
        try:
            state, ref = _send(row, provider)
            fields.update(state=state, provider_ref=ref[:64], last_error="")
            if state == OutboxState.SENT:
                fields["sent_at"] = timezone.now()
                sent += 1
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried
            temporary = getattr(exc, "temporary", True) if isinstance(exc, SmsError) else True
            fields["last_error"] = f"attempt {row.attempts}: {exc}"[:2000]
            if not temporary or row.attempts >= max_attempts:
                fields["state"] = OutboxState.FAILED
            else:
                fields["next_attempt_at"] = now + backoff(row.attempts)
            log.warning("outbox %s (%s) attempt %s failed: %s", row.pk, row.channel, row.attempts, exc)
        Outbox.objects.filter(pk=row.pk, state=OutboxState.QUEUED).update(**fields)
    return sent


def kick_delivery(ids: list[int] | None = None) -> None:
    """Ask the worker to deliver now (after the current transaction commits), not at the next minute."""
    from .tasks import deliver_now

    transaction.on_commit(lambda: deliver_now(ids))
