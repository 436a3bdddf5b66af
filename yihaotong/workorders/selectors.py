"""Read queries over work orders. Every list starts from ``visible_orders`` (access.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet

from yihaotong.core.errors import Invalid
from yihaotong.core.text import normalise_phone
from yihaotong.directory.policy import reference
from yihaotong.worktime.calendar import TZ

from . import states as S
from .access import visible_orders
from .models import Event, WorkOrder

SORTS = {
    "created": "created_at",
    "-created": "-created_at",
    "due": "due_at",
    "-due": "-due_at",
    "number": "number",
    "-number": "-number",
}


@dataclass
class OrderFilter:
    state: str = ""  # comma-separated states, or "open"
    unit: str = ""  # lead unit code (or id)
    assigned_unit: str = ""  # any active assignment's unit code
    street: str = ""
    request_type: str = ""
    category: str = ""  # a category code; its subtree matches
    warning: str = ""  # yellow, red, or "any"
    created_from: date | None = None
    created_to: date | None = None
    due_before: datetime | None = None
    q: str = ""
    phone: str = ""
    review_candidate: bool | None = None
    sort: str = "-created"


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=TZ)


def list_orders(actor, f: OrderFilter) -> QuerySet[WorkOrder]:
    qs = visible_orders(actor)
    errors: dict[str, list[str]] = {}
    if f.state:
        states = {s.strip() for s in f.state.split(",") if s.strip()}
        if "open" in states:
            states = (states - {"open"}) | set(S.OPEN_STATES)
        unknown = states - set(S.ALL_STATES)
        if unknown:
            errors["state"] = [f"unknown state {s!r}" for s in sorted(unknown)]
        qs = qs.filter(state__in=states)
    # Codes are resolved to ids here (reference cache): a filter on the joined code hides the value from
    # the planner, which then scanned a million orders instead of using the (street, created) index.
    if f.unit:
        # Street and community codes are all digits (statistical codes), so a number may be a code or an id.
        ids = {u.pk for u in [reference("unit", code=f.unit)] if u is not None}
        if f.unit.isdigit():
            ids.add(int(f.unit))
        qs = qs.filter(lead_unit_id__in=sorted(ids))
    if f.assigned_unit:
        from .models import ACTIVE_ASSIGNMENT_STATES, Assignment

        unit = reference("unit", code=f.assigned_unit)
        qs = qs.filter(
            pk__in=Assignment.objects.filter(
                unit_id=unit.pk if unit else None, state__in=ACTIVE_ASSIGNMENT_STATES
            ).values("order_id")
        )
    if f.street:
        street = reference("unit", code=f.street)
        qs = qs.filter(street_id=street.pk) if street else qs.none()
    if f.request_type:
        rt = reference("request_type", code=f.request_type)
        qs = qs.filter(request_type_id=rt.pk) if rt else qs.none()
    if f.category:
        cat = reference("category", code=f.category)
        qs = qs.filter(category_id__in=_category_and_below(cat)) if cat else qs.none()
    if f.warning:
        if f.warning == "any":
            qs = qs.filter(warning_level__in=["yellow", "red"])
        elif f.warning in ("yellow", "red", "none"):
            qs = qs.filter(warning_level=f.warning)
        else:
            errors["warning"] = ["yellow, red, none or any"]
    if f.created_from:
        qs = qs.filter(created_at__gte=_day_start(f.created_from))
    if f.created_to:
        qs = qs.filter(created_at__lt=_day_start(f.created_to + timedelta(days=1)))
    if f.due_before:
        qs = qs.filter(due_at__lt=f.due_before)
    if f.phone:
        qs = qs.filter(requester_phone=normalise_phone(f.phone))
    if f.review_candidate is not None:
        qs = qs.filter(is_review_candidate=f.review_candidate)
    if f.q:
        term = f.q.strip()
        qs = qs.filter(
            Q(number__iexact=term) | Q(subject__icontains=term) | Q(text__icontains=term) | Q(address__icontains=term)
        )
    if f.sort not in SORTS:
        errors["sort"] = [f"one of {', '.join(SORTS)}"]
    if errors:
        raise Invalid("Invalid filters.", errors=errors)
    return qs.select_related("request_type", "urgency", "category", "street", "lead_unit").order_by(
        SORTS[f.sort], "-id"
    )


def _category_and_below(cat) -> list[int]:
    """Ids of a category and of its sub-categories (the taxonomy has three levels)."""
    from yihaotong.directory.models import Category

    below = Q(pk=cat.pk) | Q(parent_id=cat.pk) | Q(parent__parent_id=cat.pk)
    return list(Category.objects.filter(below).order_by("pk").values_list("pk", flat=True))


def visible_events(actor, order: WorkOrder) -> QuerySet[Event]:
    """Return the events of an order the actor may see (centre staff and units see the whole timeline)."""
    return order.events.select_related("unit").order_by("at", "id")


def public_events(order: WorkOrder) -> QuerySet[Event]:
    """The requester's view: public events only."""
    return order.events.filter(is_public=True).select_related("unit").order_by("at", "id")
