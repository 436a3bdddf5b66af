"""Queue notifications in the outbox. Called inside an action's transaction: a rollback removes them too."""

from __future__ import annotations

from datetime import datetime

from .models import Outbox, OutboxChannel


def queue_notification(**kwargs) -> list[Outbox]:
    """Queue one notification per addressee: a unit's members with ``roles``, centre ``roles``, a user,
    or the requester's phone (SMS) or email. Fan-out to individual people happens at delivery.

    Rows are saved one by one: with the compiled insert (``CompiledWrites``) two single-row INSERTs cost
    less CPU than compiling one two-row ``bulk_create`` (decision 0009)."""
    rows = outbox_rows(**kwargs)
    for row in rows:
        row.save(force_insert=True)
    return rows


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
) -> list[Outbox]:
    """The outbox rows of one notification (unsaved): see ``queue_notification``."""
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
