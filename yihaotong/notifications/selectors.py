"""Read queries of the staff notification centre: the list with each row's read state, the unread count.

Read state is per user (decision 0024): a notification is read for a user when its id is at or below
the user's watermark (``NotificationWatermark``: "mark all read"), when the user has a receipt for it
(``NotificationReceipt``: "mark read"), or when it is older than ``UNREAD_WINDOW``. Every list starts from
``access.visible_notifications``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import BooleanField, Exists, ExpressionWrapper, Max, OuterRef, Q, QuerySet, Value
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from yihaotong.core.db import custom_plans

from .access import notification_visibility, visible_notifications
from .models import NotificationReceipt, NotificationWatermark, Outbox
from .templates import kind_label, render

# Older notifications count as read: a new account (or one back from leave) does not start with
# thousands of unread warnings; the list still shows them.
UNREAD_WINDOW = timedelta(days=30)
# The navigation bar's bell counts up to this many unread rows (one COUNT … LIMIT per page) and shows "99+".
BELL_CAP = 100
# The API's unread count and the list's total count up to this many rows (``capped`` says there are more).
COUNT_CAP = 1000

# What the list and the API read of a row (the payload for the text in the reader's language).
LIST_FIELDS = ("id", "kind", "subject", "body", "payload", "order_id", "created_at")


def unread_q(actor, now: datetime) -> Q:
    """The rows of ``visible_notifications(actor)`` that are unread for ``actor`` at ``now``.

    The watermark is tested as "no watermark of the actor covers the row" rather than ``id > (subquery)``:
    a prepared statement's generic plan read ``id > $n`` as a cheap range on the primary key and walked
    the whole table (120 ms at a million rows instead of 2 ms; decision 0024).
    """
    covered = NotificationWatermark.objects.filter(user_id=actor.pk, read_through__gte=OuterRef("pk"))
    receipt = NotificationReceipt.objects.filter(user_id=actor.pk, notification_id=OuterRef("pk"))
    return Q(created_at__gte=now - UNREAD_WINDOW) & ~Q(Exists(covered)) & ~Q(Exists(receipt))


def list_notifications(actor, *, now: datetime, unread: bool | None = None, kind: str = "") -> QuerySet[Outbox]:
    """The actor's notifications, newest first, each with ``unread`` (bool); filtered by read state and kind."""
    # Unread rows are all inside the window: bounding the rows bounds the search for copies too.
    since = now - UNREAD_WINDOW if unread is True else None
    qs = visible_notifications(actor, since=since).only(*LIST_FIELDS)
    if kind:
        qs = qs.filter(kind=kind)
    condition = unread_q(actor, now)
    if unread is True:
        qs = qs.filter(condition).annotate(unread=Value(True, output_field=BooleanField()))
    elif unread is False:
        qs = qs.exclude(condition).annotate(unread=Value(False, output_field=BooleanField()))
    else:
        qs = qs.annotate(unread=ExpressionWrapper(condition, output_field=BooleanField()))
    return qs.order_by("-created_at", "-id")


def newest_unread_candidate(actor, *, now: datetime, up_to: int | None = None) -> int:
    """Return the highest id among the actor's rows inside the unread window (up to ``up_to``), or 0:
    where "mark all read" puts the watermark. Older rows count as read whatever the watermark says."""
    qs = Outbox.objects.filter(notification_visibility(actor), created_at__gte=now - UNREAD_WINDOW)
    if up_to is not None:
        qs = qs.filter(pk__lte=up_to)
    return qs.aggregate(top=Max("pk"))["top"] or 0


def count_unread(actor, *, now: datetime, cap: int = BELL_CAP) -> int:
    """Return how many notifications are unread for ``actor``, counted up to ``cap`` (one query)."""
    qs = visible_notifications(actor, since=now - UNREAD_WINDOW).filter(unread_q(actor, now)).order_by()[:cap]
    # Unprepared (core.db.custom_plans): PostgreSQL's generic plan for this count, which runs on every page,
    # expects the LIMIT to stop a sequential scan early; true while a user has unread rows, false once they
    # have read them (90 ms at a million rows instead of 4; decision 0024).
    with custom_plans(qs.db):
        return qs.count()


def display_subject(row: Outbox) -> str:
    """The row's text in the reader's language when its kind has a template, else the text as queued."""
    ctx = (row.payload or {}).get("ctx") if isinstance(row.payload, dict) else None
    return render(row.kind, ctx, translation.get_language()) or row.subject


@dataclass
class NotificationItem:
    """A row as the page and the API show it."""

    row: Outbox
    label: str
    subject: str
    unread: bool
    order_id: int | None  # only when the reader may see the order
    order_number: str
    body: str = ""  # empty, like the subject's text, when the row is about an order the reader may not see


HIDDEN_TEXT = gettext_noop("About an order you may not see: its text is not shown.")


def present(actor, rows: list[Outbox]) -> list[NotificationItem]:
    """Describe a page of rows: label, text in the reader's language, and the order when the reader may
    see it (one query for the page, through the orders' visibility rule)."""
    from yihaotong.workorders.access import visible_orders

    order_ids = {r.order_id for r in rows if r.order_id}
    numbers = dict(visible_orders(actor).filter(pk__in=order_ids).values_list("pk", "number")) if order_ids else {}
    return [
        NotificationItem(
            row=r,
            label=kind_label(r.kind),
            # The text names the order's matter; it shows no more than the order's own rule allows (a
            # whistle-blower or confidential order, or one the reader's unit no longer handles).
            subject=display_subject(r) if not r.order_id or r.order_id in numbers else gettext(HIDDEN_TEXT),
            body=r.body if not r.order_id or r.order_id in numbers else "",
            unread=bool(getattr(r, "unread", False)),
            order_id=r.order_id if r.order_id in numbers else None,
            order_number=numbers.get(r.order_id, ""),
        )
        for r in rows
    ]
