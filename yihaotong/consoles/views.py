"""Staff console views: server-rendered pages and htmx partials over the same selectors as the API."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from yihaotong.accounts.roles import UNIT_ROLES
from yihaotong.core.api import paginate
from yihaotong.core.errors import Invalid, NotFound, NotPermitted
from yihaotong.directory.models import RequestType, Unit, UnitKind
from yihaotong.workorders import states as S
from yihaotong.workorders.access import access_order, is_centre, requester_contact
from yihaotong.workorders.events import event_label
from yihaotong.workorders.models import OrderState
from yihaotong.workorders.selectors import OrderFilter, list_orders, visible_events

from .selectors import home_cards, warning_tone


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_GET
@login_required
def home(request):
    now = timezone.now()
    return render(request, "consoles/home.html", {"cards": home_cards(request.user, now), "now": now})


SORT_CHOICES = [("-created", _("newest first")), ("created", _("oldest first")), ("due", _("deadline soonest"))]
FILTER_FIELDS = [
    "state",
    "warning",
    "street",
    "request_type",
    "unit",
    "assigned_unit",
    "q",
    "sort",
    "created_from",
    "created_to",
]


PAGE_SIZE = 50
# The list counts matching orders up to this many and then says "more than": an exact COUNT of a centre
# user's unfiltered list reads every order (85 ms at a million); nobody pages through 200 pages of 50.
COUNT_CAP = 10_000


@require_GET
@login_required
def orders(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTER_FIELDS}
    f = OrderFilter(
        state=params["state"],
        warning=params["warning"],
        street=params["street"],
        request_type=params["request_type"],
        unit=params["unit"],
        assigned_unit=params["assigned_unit"],
        q=params["q"],
        sort=params["sort"] or "-created",
        created_from=_date(params["created_from"]),
        created_to=_date(params["created_to"]),
    )
    errors = {}
    try:
        items, meta = paginate(list_orders(request.user, f), request.GET.get("page"), PAGE_SIZE, count_cap=COUNT_CAP)
    except Invalid as exc:
        errors = exc.localized_errors()
        items, meta = [], {"page": 1, "page_size": PAGE_SIZE, "total": 0, "pages": 0, "capped": False}
    now = timezone.now()
    rows = [(o, warning_tone(o, now), requester_contact(request.user, o)) for o in items]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "rows": rows,
        "meta": meta,
        "params": params,
        "errors": errors,
        "query": query.urlencode(),
        "states": OrderState.choices,
        "request_types": RequestType.objects.all(),
        "streets": Unit.objects.filter(kind=UnitKind.STREET, is_active=True),
        "sorts": SORT_CHOICES,
    }
    template = "consoles/_order_rows.html" if request.htmx else "consoles/orders.html"
    return render(request, template, context)


def timeline(events) -> list[dict]:
    """The order's events as the timeline shows them: the event's name, the states it moved between, who
    acted (display name and unit; "system" for the deadline sweep) and the unit concerned when another."""
    state_label = dict(OrderState.choices)
    rows = []
    for e in events:
        actor = e.actor
        if actor is not None:
            name, actor_unit = actor.display_name or e.actor_label or actor.username, actor.unit
        else:
            name, actor_unit = (_("System") if e.actor_label in ("", "system") else e.actor_label), None
        rows.append(
            {
                "at": e.at,
                "kind": e.kind,
                "label": event_label(e.kind),
                "from_label": state_label.get(e.from_state, e.from_state) if e.from_state else "",
                "to_label": state_label.get(e.to_state, e.to_state) if e.to_state else "",
                "actor": name,
                "actor_unit": actor_unit,
                "unit": e.unit if e.unit is not None and e.unit != actor_unit else None,
                "reason": e.reason,
            }
        )
    return rows


@require_GET
@login_required
def order_detail(request, pk: int):
    try:
        order = access_order(request.user, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    now = timezone.now()
    context = {
        "order": order,
        "tone": warning_tone(order, now),
        "contact": requester_contact(request.user, order),
        "assignments": order.assignments.select_related("unit", "parent__unit"),
        "events": timeline(visible_events(request.user, order).select_related("actor__unit")),
        "actions": S.available_actions(order.state, request.user.roles),
        "is_centre": is_centre(request.user),
        "is_unit": bool(request.user.roles & UNIT_ROLES),
    }
    return render(request, "consoles/order_detail.html", context)
