"""Writes to the audit tables."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import AccessLog, ConfigChange


def log_access(
    actor, *, subject, fields: str, reason: str, ip: str | None = None, now: datetime | None = None
) -> AccessLog:
    """Record that ``actor`` saw personal data of ``subject``."""
    return AccessLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        at=now or timezone.now(),
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        fields=fields,
        reason=reason.strip(),
        ip=ip or None,
    )


def _field_values(instance) -> dict:
    values = {}
    for f in instance._meta.concrete_fields:
        value = getattr(instance, f.attname)
        values[f.name] = value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
    return values


@transaction.atomic
def do_save_config(actor, instance, *, m2m_callback=None, note: str = "") -> None:
    """Save a policy-data row (directory, time limits, catalogue, settings) and record the change.

    ``instance.full_clean()`` runs first, so the admin and the API reject the same bad input.
    """
    from yihaotong.directory.policy import invalidate_policy

    creating = instance.pk is None
    before = {}
    if not creating:
        old = type(instance).objects.filter(pk=instance.pk).first()
        before = _field_values(old) if old else {}
    instance.full_clean()
    instance.save()
    if m2m_callback is not None:
        m2m_callback()
    after = _field_values(instance)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    ConfigChange.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        at=timezone.now(),
        model=instance._meta.label_lower,
        object_id=str(instance.pk),
        action="create" if creating else "update",
        summary=(note or str(instance))[:255],
        changes=changes,
    )
    transaction.on_commit(invalidate_policy)


@transaction.atomic
def do_delete_config(actor, instance, *, note: str = "") -> None:
    from yihaotong.directory.policy import invalidate_policy

    ConfigChange.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        at=timezone.now(),
        model=instance._meta.label_lower,
        object_id=str(instance.pk),
        action="delete",
        summary=(note or str(instance))[:255],
        changes=_field_values(instance),
    )
    instance.delete()
    transaction.on_commit(invalidate_policy)
