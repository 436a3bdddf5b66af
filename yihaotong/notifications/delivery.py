"""Deliver outbox rows. In-app notifications are delivered by being visible in the recipients' inbox;
email goes through Django's mail backend. SMS waits for the SMS gateway adapter (the citizen-side issue)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Outbox, OutboxChannel, OutboxState


def deliver_outbox(*, batch: int = 200) -> int:
    sent = 0
    with transaction.atomic():
        rows = list(
            Outbox.objects.select_for_update(skip_locked=True)
            .filter(state=OutboxState.QUEUED, channel__in=[OutboxChannel.INTERNAL, OutboxChannel.EMAIL])
            .order_by("id")[:batch]
        )
        now = timezone.now()
        for row in rows:
            row.attempts += 1
            try:
                if row.channel == OutboxChannel.EMAIL:
                    send_mail(row.subject, row.body or row.subject, None, [row.recipient_address])
                row.state = OutboxState.SENT
                row.sent_at = now
                sent += 1
            except Exception as exc:  # noqa: BLE001 - record any delivery failure on the row
                row.last_error = str(exc)[:2000]
                if row.attempts >= 5:
                    row.state = OutboxState.FAILED
            row.save(update_fields=["attempts", "state", "sent_at", "last_error"])
    return sent
