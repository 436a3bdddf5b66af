"""What each role's home page counts (read-only; every count starts from the visibility rule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from yihaotong.accounts import roles as R
from yihaotong.intake.models import Contact
from yihaotong.workorders import states as S
from yihaotong.workorders.access import actor_unit_ids_q, visible_orders
from yihaotong.workorders.models import ACTIVE_ASSIGNMENT_STATES, Application, ApplicationState, Assignment
from yihaotong.worktime.calendar import TZ


@dataclass
class Card:
    label: str
    value: int
    link: str  # query string for the order list
    tone: str = ""  # "", "warn", "danger"


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(now.astimezone(TZ).date(), time.min, tzinfo=TZ)
    return start, start + timedelta(days=1)


def home_cards(actor, now: datetime) -> list[Card]:
    roles = actor.roles
    orders = visible_orders(actor)
    day_start, day_end = _day_bounds(now)
    cards: list[Card] = []
    if roles & {R.OPERATOR, R.DISPATCHER}:
        by_state = dict(
            orders.filter(state__in=[S.SUBMITTED, S.PENDING_DISPATCH]).values_list("state").annotate(n=Count("id"))
        )
        cards.append(Card(_("Submitted, awaiting acceptance"), by_state.get(S.SUBMITTED, 0), "state=submitted"))
        cards.append(Card(_("Awaiting dispatch"), by_state.get(S.PENDING_DISPATCH, 0), "state=pending_dispatch"))
    if R.OPERATOR in roles:
        cards.append(
            Card(
                _("My contacts today"),
                Contact.objects.filter(operator=actor, received_at__gte=day_start, received_at__lt=day_end).count(),
                "",
            )
        )
    if roles & {R.DISPATCHER, R.REVIEWER}:
        pending = Application.objects.filter(state=ApplicationState.PENDING, order__in=orders)
        counts = dict(pending.values_list("kind").annotate(n=Count("id")))
        if R.DISPATCHER in roles:
            cards.append(Card(_("Returns to decide"), counts.get("return", 0), "state=dispatched,in_progress"))
        if R.REVIEWER in roles:
            cards.append(Card(_("Replies to review"), orders.filter(state=S.REPLIED).count(), "state=replied"))
            cards.append(
                Card(
                    _("Extensions and terminations to decide"),
                    counts.get("extension", 0) + counts.get("termination", 0),
                    "state=in_progress",
                )
            )
    if R.CALLBACK_AGENT in roles:
        waiting = orders.filter(state=S.PENDING_CALLBACK)
        cards.append(Card(_("Awaiting callback"), waiting.count(), "state=pending_callback"))
        cards.append(
            Card(
                _("Callbacks due today"),
                waiting.filter(callback_due__lt=day_end).count(),
                "state=pending_callback&sort=due",
                "warn",
            )
        )
    unit_q = actor_unit_ids_q(actor)
    if unit_q is not None:
        mine = Assignment.objects.filter(unit_q, state__in=ACTIVE_ASSIGNMENT_STATES)
        unit_code = actor.unit.code
        cards.append(
            Card(
                _("To sign"),
                mine.filter(state="pending_sign").count(),
                f"assigned_unit={unit_code}&state=dispatched,in_progress&sort=due",
            )
        )
        open_orders = orders.filter(state__in=[S.DISPATCHED, S.IN_PROGRESS], pk__in=mine.values("order_id"))
        warn = dict(open_orders.values_list("warning_level").annotate(n=Count("id")))
        cards.append(
            Card(
                _("In progress"),
                open_orders.filter(state=S.IN_PROGRESS).count(),
                f"assigned_unit={unit_code}&state=in_progress&sort=due",
            )
        )
        cards.append(
            Card(
                _("Due today"),
                open_orders.filter(due_at__gte=now, due_at__lt=day_end).count(),
                f"assigned_unit={unit_code}&state=dispatched,in_progress&sort=due",
                "warn",
            )
        )
        cards.append(
            Card(_("Yellow warnings"), warn.get("yellow", 0), f"assigned_unit={unit_code}&warning=yellow", "warn")
        )
        cards.append(Card(_("Overdue (red)"), warn.get("red", 0), f"assigned_unit={unit_code}&warning=red", "danger"))
    if roles & {R.SUPERVISOR, R.LEADER}:
        open_orders = orders.filter(state__in=S.OPEN_STATES)
        warn = dict(open_orders.values_list("warning_level").annotate(n=Count("id")))
        cards.append(Card(_("Open orders"), sum(warn.values()), "state=open"))
        cards.append(Card(_("Yellow warnings"), warn.get("yellow", 0), "state=open&warning=yellow", "warn"))
        cards.append(Card(_("Overdue (red)"), warn.get("red", 0), "state=open&warning=red", "danger"))
    if R.LEADER in roles:
        month_start = day_start.replace(day=1)
        closed = orders.filter(closed_at__gte=month_start, state=S.CLOSED)
        sat = dict(closed.exclude(satisfaction="").values_list("satisfaction").annotate(n=Count("id")))
        rated = sum(sat.values())
        rate = round(100 * (sat.get("satisfied", 0) + 0.9 * sat.get("basically", 0)) / rated) if rated else 0
        cards.append(Card(_("Closed this month"), closed.count(), "state=closed"))
        cards.append(Card(_("Satisfaction this month (%)"), rate, "state=closed"))
    return cards


def warning_tone(order, now: datetime) -> str:
    """Colour of an order's deadline right now (the stored level may lag the sweep by a minute)."""
    if order.due_at is None or order.state not in S.CLOCK_OF_STATE:
        return ""
    if now >= order.due_at:
        return "danger"
    if order.warn_at is not None and now >= order.warn_at:
        return "warn"
    return ""


__all__ = ["Card", "home_cards", "warning_tone", "Q"]
