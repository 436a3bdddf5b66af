"""Caller history (screen pop): what the centre knows about a phone number."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Invalid, NotPermitted
from yihaotong.core.text import normalise_phone
from yihaotong.directory.policy import get_policy
from yihaotong.workorders import states as S
from yihaotong.workorders.access import visible_orders

from .models import Contact


def caller_history(actor, phone: str, *, limit: int = 10) -> dict:
    if not actor.roles & {R.OPERATOR, R.DISPATCHER, R.CALLBACK_AGENT, R.SUPERVISOR, R.REVIEWER}:
        raise NotPermitted("Only centre staff see a caller's history.")
    number = normalise_phone(phone)
    if len(number) < 5:
        raise Invalid("Type at least 5 digits.", errors={"phone": ["too short"]})
    orders = visible_orders(actor).filter(requester_phone=number)
    # A contact that led to an order the actor may not see (a whistle-blowing report, say) stays hidden too.
    contacts = (
        Contact.objects.filter(phone=number)
        # EXISTS per contact (a caller has tens of them), not IN (all visible orders): at a million orders
        # the IN form made PostgreSQL materialise every visible order for each contact (seconds).
        .filter(Q(order__isnull=True) | Exists(visible_orders(actor).filter(pk=OuterRef("order_id"))))
        .select_related("order")
        .order_by("-received_at")
    )
    open_orders = orders.filter(state__in=S.OPEN_STATES).order_by("-created_at")[:limit]
    recent = orders.order_by("-created_at")[:limit]
    sat = dict(orders.exclude(satisfaction="").values_list("satisfaction").annotate(n=Count("id")))
    contact_count = contacts.count()
    repeat = sum(orders.values_list("repeat_count", flat=True)[:200])

    def order_row(o):
        return {
            "id": o.pk,
            "number": o.number,
            "state": o.state,
            "subject": o.subject,
            "created_at": o.created_at,
            "due_at": o.due_at,
            "satisfaction": o.satisfaction,
        }

    return {
        "phone": number,
        "contacts": [
            {
                "id": c.pk,
                "received_at": c.received_at,
                "outcome": c.outcome,
                "summary": c.summary,
                "order_number": c.order.number if c.order_id else None,
            }
            for c in contacts[:limit]
        ],
        "open_orders": [order_row(o) for o in open_orders],
        "recent_orders": [order_row(o) for o in recent],
        "contact_count": contact_count,
        "repeat_count": repeat,
        "satisfaction": sat,
        "frequent_caller": contact_count >= int(get_policy()["frequent_caller_contacts"]),
    }
