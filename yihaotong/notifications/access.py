"""The one door to in-app notifications on a staff member's behalf (architecture.md §3.3).

``notification_visibility(actor)`` is the only visibility rule; ``visible_notifications`` (lists) and
``access_notification`` (one row) derive from it, so list and detail cannot drift. Missing and not-yours
are the same NotFound. Decision 0024.

An in-app row (channel ``internal``) is addressed three ways (``actions.outbox_rows``): to one user; to
the members of a unit holding a role; to the centre's holders of a role (role only, no unit, no user).
"""

from __future__ import annotations

from django.db.models import CharField, Exists, Expression, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_noop

from yihaotong.core.errors import NotFound

from .models import Outbox, OutboxChannel

NOTHING = Q(pk__in=[])


class _InternalLiteral(Expression):
    """``'internal'`` written into the SQL, not passed as a parameter.

    psycopg prepares statements that repeat (marking read, the newest id for "mark all read"), and
    PostgreSQL may then plan them once for all parameters (a generic plan). A generic plan can use the
    partial index ``outbox_role`` only when the query states its condition ``channel = 'internal'`` with
    the constant itself. (The bell's count runs unprepared: ``core.db.custom_plans``.)
    """

    output_field = CharField()

    def as_sql(self, compiler, connection):
        return f"'{OutboxChannel.INTERNAL.value}'", []


def notification_visibility(actor) -> Q:
    """Return the rule deciding which in-app rows ``actor`` sees: their own rows, their unit's rows for a
    role they hold, and role-only rows for a role they hold.

    Each branch names its index (``outbox_user``, ``outbox_unit``, ``outbox_role``); the role-only branch
    repeats the partial index's condition so that the planner can use it.
    """
    if actor is None or not getattr(actor, "pk", None) or not getattr(actor, "is_active", False):
        return NOTHING
    roles = sorted(getattr(actor, "roles", ()))
    rule = Q(recipient_user_id=actor.pk)
    if roles and actor.unit_id:
        rule |= Q(recipient_unit_id=actor.unit_id, recipient_role__in=roles)
    if roles:
        rule |= Q(
            channel=_InternalLiteral(),
            recipient_user__isnull=True,
            recipient_unit__isnull=True,
            recipient_role__in=roles,
        )
    return Q(channel=OutboxChannel.INTERNAL) & rule


def _earlier_copy(rule: Q) -> Exists:
    """True for a row that the actor also sees as an earlier row of the same notification.

    One ``queue_notification`` call writes one row per addressee with the same kind, order, time and
    text; a unit admin who is also a handler is addressed as (unit, handler) and (unit, unit_admin), a
    supervisor who is also a leader twice by a hot-spot alert. The actor sees the first (lowest id) of
    them only, so the notification is listed, counted and read once.
    """
    return Exists(
        Outbox.objects.filter(
            rule,
            kind=OuterRef("kind"),
            created_at=OuterRef("created_at"),
            subject=OuterRef("subject"),
            pk__lt=OuterRef("pk"),
        )
        .alias(order_key=Coalesce(F("order_id"), Value(0)))
        .filter(order_key=Coalesce(OuterRef("order_id"), Value(0)))
    )


def visible_notifications(actor, *, since=None) -> QuerySet[Outbox]:
    """The in-app notifications ``actor`` sees (created at ``since`` or later), one row per notification.

    Copies (``_earlier_copy``) are looked for when the actor holds two roles or more: every action today
    addresses a person through one address per role it names (a unit and its roles, or centre roles; the
    personal rows go to people no role row of the same notification names), so only a person holding
    two of the named roles is reached twice. The search costs a join over the actor's rows; single-role
    users, nearly everyone, do not pay for it (decision 0024 has the figures). ``since`` bounds both the
    rows and the search for copies (copies share their creation time, so the bound changes nothing else).
    """
    rule = notification_visibility(actor)
    if rule is NOTHING:
        return Outbox.objects.none()
    if since is not None:
        rule &= Q(created_at__gte=since)
    qs = Outbox.objects.filter(rule)
    if len(getattr(actor, "roles", ())) > 1:
        qs = qs.filter(~_earlier_copy(rule))
    return qs


def access_notification(actor, notification_id: int) -> Outbox:
    """Return the notification if ``actor`` sees it; NotFound otherwise (also when it does not exist)."""
    from yihaotong.workorders.access import one_or_none

    try:
        notification_id = int(notification_id)
    except (TypeError, ValueError):
        notification_id = 0
    row = one_or_none(visible_notifications(actor).filter(pk=notification_id))
    if row is None:
        raise NotFound(gettext_noop("No such notification."))
    return row
