"""The only code that changes work orders (architecture.md §3.1).

Every action: runs in one transaction, locks the order row, checks the move against the transition table
under the lock, writes one or more append-only events, recomputes the clocks, and queues notifications in
the outbox (same transaction). ``now`` may be passed in (replays, the demo, tests); it defaults to the
current time. Actions take an ``actor`` (a user with roles) and raise domain errors.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Mod
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core import compiled
from yihaotong.core.errors import Code, Conflict, Invalid, InvalidTransition, Message, NotFound, NotPermitted
from yihaotong.core.models import insert_rows, update_rows
from yihaotong.directory.models import Unit, UnitKind
from yihaotong.directory.policy import get_policy, get_rules, reference
from yihaotong.notifications.actions import outbox_rows, queue_notification
from yihaotong.notifications.models import Outbox
from yihaotong.worktime.calendar import TZ
from yihaotong.worktime.loader import get_calendar

from . import deadlines as D
from . import states as S
from .access import (
    access_order,
    actor_assignment_rows,
    actor_has_part,
    check_can_reveal,
    is_centre,
    one_or_none,
    prime_references,
)
from .models import (
    ACTIVE_ASSIGNMENT_STATES,
    Application,
    ApplicationKind,
    ApplicationState,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Attachment,
    Callback,
    CallbackOutcome,
    ContactLog,
    Event,
    Note,
    Reply,
    ReplyState,
    Satisfaction,
    Supervision,
    SupervisionLevel,
    WarningLevel,
    WorkOrder,
)

# ---------------------------------------------------------------------------------------------------------
# helpers


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "display_name", "") or getattr(actor, "username", "") or str(actor)


def record_event(
    order: WorkOrder,
    kind: str,
    actor,
    now: datetime,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    payload: dict | None = None,
    public: bool = False,
    unit=None,
) -> Event:
    """Append one event to the order's timeline."""
    event = _event(
        order,
        kind,
        actor,
        now,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        payload=payload,
        public=public,
        unit=unit,
    )
    event.save()
    return event


def _event(
    order: WorkOrder,
    kind: str,
    actor,
    now: datetime,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    payload: dict | None = None,
    public: bool = False,
    unit=None,
) -> Event:
    return Event(
        order=order,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor),
        unit=unit,
        at=now,
        from_state=from_state,
        to_state=to_state,
        reason=reason or "",
        payload=payload or {},
        is_public=public,
    )


def _lock(actor, order_id: int) -> WorkOrder:
    """Check visibility, then lock the order row for the rest of the transaction."""
    order = access_order(actor, order_id, for_update=True)
    return order


def _hash_code(number: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{number}:{code}".encode(), hashlib.sha256).hexdigest()


def check_query_code(order: WorkOrder, code: str) -> bool:
    return hmac.compare_digest(order.query_code_hash, _hash_code(order.number, (code or "").strip()))


def next_order_number(now: datetime) -> str:
    """Return a readable order number unique under concurrency: QY20261126-0001."""
    return next_order_numbers(now, 1)[0]


def next_order_numbers(now: datetime, n: int) -> list[str]:
    """Return ``n`` consecutive order numbers of ``now``'s day, taken in one statement (``last = last + n``).

    The day's sequence row stays locked until the caller's transaction ends (other creations that day wait
    for it): ``workorders.bulk.reserve_order_numbers`` takes numbers in a transaction of their own."""
    if n < 1:
        return []
    day = timezone.localtime(now, TZ).strftime("%Y%m%d")
    table = "workorders_ordersequence"
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, %s) "  # noqa: S608 - constant table name
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + %s RETURNING last",
            [day, n, n],
        )
        last = cur.fetchone()[0]
    prefix = settings.YIHAOTONG_ORDER_PREFIX
    return [f"{prefix}{day}-{seq:04d}" for seq in range(last - n + 1, last + 1)]


def _rule_for(order: WorkOrder) -> D.RuleView:
    rule = D.pick_rule(get_rules(), order.request_type.code, order.urgency.code)
    if rule is None:
        raise Invalid(
            gettext_noop("No time-limit rule applies to this request type and urgency."),
            errors={"request_type": [gettext_noop("no time-limit rule")]},
        )
    return rule


def _clock_args(policy) -> dict:
    return {
        "yellow_fraction": float(policy["yellow_hour_fraction"]),
        "yellow_working_days": int(policy["yellow_working_days"]),
    }


def _start_handle_clock(order: WorkOrder, now: datetime, *, handle_due: datetime | None = None) -> None:
    policy = get_policy()
    cal = get_calendar()
    rule = _rule_for(order)
    if handle_due is not None:
        unit = rule.handle.unit or "h"
        clock = D.clock_with_due(now, handle_due, cal, unit=unit, **_clock_args(policy))
    elif order.handle_due is not None and order.handle_started_at is not None and not rule.handle.is_set:
        return  # a dispatcher-set deadline stands
    else:
        if not rule.handle.is_set:
            raise Invalid(
                gettext_noop("This urgency needs a handling deadline set by the dispatcher."),
                errors={"handle_due": [gettext_noop("required for this urgency")]},
            )
        clock = D.make_clock(now, rule.handle, cal, count_from=policy["count_from"], **_clock_args(policy))
    order.handle_started_at = now
    order.handle_due = clock.due
    order.handle_warn_at = clock.warn_at
    order.handle_unit = clock.unit
    order.extension_days = 0


def _sync_current_clock(order: WorkOrder) -> None:
    """Point the current clock at the one the state runs on, and schedule the warning sweep."""
    kind = S.CLOCK_OF_STATE.get(order.state)
    due, warn = {
        "sign": (order.sign_due, order.sign_warn_at),
        "handle": (order.handle_due, order.handle_warn_at),
        "callback": (order.callback_due, order.callback_warn_at),
    }.get(kind, (None, None))
    order.due_at = due
    order.warn_at = warn
    order.warning_level = WarningLevel.NONE
    order.next_warning_at = (warn or due) if due else None


def _apply_transition(
    order: WorkOrder,
    name: str,
    actor,
    now: datetime,
    *,
    reason: str = "",
    payload: dict | None = None,
    unit=None,
    public_reason: bool = False,
) -> S.Transition:
    """Check and make a transition on a locked order; write its event; handle pause states."""
    t = S.check_transition(name, order.state, actor.roles, reason)
    source = order.state
    pause_states = set(get_policy().get("pause_states") or [])
    if source in pause_states and order.paused_at and order.handle_due:
        # Leaving a paused state moves the handling deadline, and its yellow warning, by the time spent there.
        cal = get_calendar()
        if order.handle_unit == "wd":
            spent = cal.working_seconds_between(order.paused_at, now)
            order.handle_due = cal.add_working_seconds(order.handle_due, spent)
            if order.handle_warn_at:
                order.handle_warn_at = cal.add_working_seconds(order.handle_warn_at, spent)
        else:
            order.handle_due = order.handle_due + (now - order.paused_at)
            if order.handle_warn_at:
                order.handle_warn_at = order.handle_warn_at + (now - order.paused_at)
        order.paused_at = None
    if t.target in pause_states:
        order.paused_at = now
    order.state = t.target
    data = dict(payload or {})
    record_event(
        order,
        t.event,
        actor,
        now,
        from_state=source,
        to_state=t.target,
        reason=reason,
        payload=data,
        public=t.public,
        unit=unit,
    )
    return t


def _save(order: WorkOrder) -> None:
    order.save()


def _notify_unit(
    unit, kind: str, order: WorkOrder, subject: str, now: datetime, roles=(R.HANDLER, R.UNIT_ADMIN), context=None
):
    queue_notification(kind=kind, unit=unit, roles=roles, order=order, subject=subject, now=now, context=context)


def _notify_requester_sms(order: WorkOrder, kind: str, body: str, now: datetime, **context) -> None:
    """Queue an SMS to the requester; its text comes from the kind's template (notifications.templates,
    in the requester's language at delivery) with the order number and ``context``; ``body`` is the text
    of kinds without a template."""
    if order.requester_phone and order.reply_wanted:
        queue_notification(
            kind=kind,
            phone=order.requester_phone,
            order=order,
            subject=body,
            body=body,
            now=now,
            context={"number": order.number, **context},
        )


def _lead_assignment(order: WorkOrder, *, lock: bool = True) -> Assignment | None:
    def build(order_id):
        qs = Assignment.objects.filter(
            order_id=order_id, role=AssignmentRole.LEAD, parent__isnull=True, state__in=ACTIVE_ASSIGNMENT_STATES
        )
        if lock:
            qs = qs.select_for_update(of=("self",))
        return qs.order_by(*Assignment._meta.ordering)[:1]

    rows = compiled.select(("lead_assignment", lock), build, order.pk)
    return rows[0] if rows else None


_ASSIGNMENT_FKS = (("unit", "unit"),)
_SWEEP_FKS = (("lead_unit", "unit"),)


def _actor_assignment(actor, order: WorkOrder, assignment_id: int | None) -> Assignment:
    """Return the active assignment (of the actor's unit) that a unit action is about."""
    if assignment_id is not None:
        rows = actor_assignment_rows(actor, order.pk, lock=True, pk=assignment_id)
        if not rows:
            if Assignment.objects.filter(pk=assignment_id, order=order).exists():
                raise NotPermitted(gettext_noop("This assignment belongs to another unit."))
            raise NotFound(gettext_noop("No such assignment."))
        return prime_references(rows[0], _ASSIGNMENT_FKS)
    items = [prime_references(a, _ASSIGNMENT_FKS) for a in actor_assignment_rows(actor, order.pk, lock=True)]
    if not items:
        raise NotPermitted(gettext_noop("Your unit holds no active assignment of this order."))
    # Prefer the assignment of the actor's own unit, then the lead.
    items.sort(key=lambda a: (a.unit_id != actor.unit_id, a.role != AssignmentRole.LEAD, a.id))
    return items[0]


def _require_active_part(actor, order: WorkOrder) -> None:
    """Unit members write on an order only while their unit holds an active part of it."""
    if not is_centre(actor) and not actor_has_part(actor, order.pk):
        raise NotPermitted(gettext_noop("Your unit holds no active assignment of this order."))


def _require_unit_role(actor) -> None:
    if not actor.roles.intersection(R.UNIT_ROLES):
        raise NotPermitted(gettext_noop("Only members of a handling unit may do this."))


# ---------------------------------------------------------------------------------------------------------
# creation and intake outcomes


@dataclass
class OrderInput:
    channel: str
    request_type: str
    subject: str
    text: str
    urgency: str = "normal"
    category: str | None = None
    address: str = ""
    street: str | None = None  # unit code of the street
    community: str | None = None
    requester_name: str = ""
    requester_phone: str = ""
    is_anonymous: bool = False
    is_confidential: bool = False
    identity_disclosure_agreed: bool = False
    consent_publish: bool = False
    reply_wanted: bool = True
    source: str = ""
    upstream_ref: str = ""
    extra: dict = field(default_factory=dict)


def _validate_input(data: OrderInput) -> dict:
    errors: dict[str, list[str]] = {}
    resolved: dict = {}
    from .models import Channel

    if data.channel not in Channel.values:
        errors.setdefault("channel", []).append(Message(gettext_noop("unknown channel %(code)r"), code=data.channel))
    if not (data.subject or "").strip():
        errors.setdefault("subject", []).append(gettext_noop("This field is required."))
    elif len(data.subject) > 200:
        errors.setdefault("subject", []).append(gettext_noop("At most 200 characters."))
    if not (data.text or "").strip():
        errors.setdefault("text", []).append(gettext_noop("This field is required."))
    rt = reference("request_type", code=data.request_type)
    if rt is None:
        errors.setdefault("request_type", []).append(
            Message(gettext_noop("unknown request type %(code)r"), code=data.request_type)
        )
    urg = reference("urgency", code=data.urgency)
    if urg is None:
        errors.setdefault("urgency", []).append(Message(gettext_noop("unknown urgency %(code)r"), code=data.urgency))
    cat = None
    if data.category:
        cat = reference("category", code=data.category)
        if cat is None or not cat.is_active:
            errors.setdefault("category", []).append(
                Message(gettext_noop("unknown category %(code)r"), code=data.category)
            )
    street = community = None
    if data.street:
        street = reference("unit", code=data.street)
        if street is None or street.kind != UnitKind.STREET:
            errors.setdefault("street", []).append(Message(gettext_noop("unknown street %(code)r"), code=data.street))
    if data.community:
        community = reference("unit", code=data.community)
        if community is None or community.kind != UnitKind.COMMUNITY:
            errors.setdefault("community", []).append(
                Message(gettext_noop("unknown community %(code)r"), code=data.community)
            )
        elif street is not None and community.parent_id != street.pk:
            errors.setdefault("community", []).append(gettext_noop("community is not in that street"))
        elif street is None:
            street = reference("unit", pk=community.parent_id)
    if not data.is_anonymous and not (data.requester_phone or "").strip() and data.reply_wanted:
        errors.setdefault("requester_phone", []).append(
            gettext_noop("A phone number is needed unless the request is anonymous.")
        )
    if errors:
        raise Invalid(gettext_noop("The work order is not valid."), errors=errors)
    resolved.update(request_type=rt, urgency=urg, category=cat, street=street, community=community)
    return resolved


@dataclass
class NewOrder:
    """An order made by ``build_order`` and not written yet: the order, its query code (shown once, stored
    hashed), its events and its outbox rows (their ``order`` is set again once the order has its id)."""

    order: WorkOrder
    code: str
    events: list[Event]
    outbox: list[Outbox]


def creation_state(actor, accepted: bool | None) -> tuple[str, bool]:
    """The state a new order of ``actor`` starts in, and whether it is accepted; refuse an actor whose
    roles may not create orders in that state."""
    roles = actor.roles
    if accepted is None:
        accepted = bool(roles & {R.OPERATOR, R.DISPATCHER})
    state = S.PENDING_DISPATCH if accepted else S.SUBMITTED
    if not roles.intersection(S.CREATE_ROLES[state]):
        raise NotPermitted(gettext_noop("Your roles may not create work orders."))
    return state, accepted


def build_order(
    actor, data: OrderInput, refs: dict, *, number: str, state: str, accepted: bool, now: datetime
) -> NewOrder:
    """The rules of a new order in one place (``do_create_order`` and the bulk ``do_create_orders``): its
    fields from the validated input (``refs``: ``_validate_input``), its create event, the dispatchers'
    notice of an urgent order and the requester's SMS with the number and query code. Nothing is written."""
    from yihaotong.core.text import normalise_phone

    code = f"{secrets.randbelow(1_000_000):06d}"
    order = WorkOrder(
        number=number,
        query_code_hash=_hash_code(number, code),
        state=state,
        channel=data.channel,
        source=data.source,
        upstream_ref=data.upstream_ref,
        subject=data.subject.strip(),
        text=data.text.strip(),
        address=data.address.strip(),
        requester_name="" if data.is_anonymous else data.requester_name.strip(),
        requester_phone=normalise_phone(data.requester_phone),
        is_anonymous=data.is_anonymous,
        is_confidential=data.is_confidential or refs["request_type"].is_whistleblowing,
        identity_disclosure_agreed=data.identity_disclosure_agreed,
        consent_publish=data.consent_publish,
        reply_wanted=data.reply_wanted,
        created_by=actor if actor.pk else None,
        created_at=now,
        accepted_at=now if accepted else None,
        **refs,
    )
    event = _event(
        order,
        "create",
        actor,
        now,
        to_state=state,
        public=True,
        payload={"channel": data.channel, "request_type": data.request_type, "urgency": data.urgency},
    )
    outbox: list[Outbox] = []
    if refs["urgency"].code != "normal":
        outbox += outbox_rows(
            kind="urgent_order",
            roles=(R.DISPATCHER,),
            order=order,
            now=now,
            subject=f"紧急工单 {number}: {order.subject}",
        )
    if order.requester_phone and order.reply_wanted:  # as _notify_requester_sms
        body = f"您的诉求已受理，工单号{number}，查询码{code}。"
        outbox += outbox_rows(
            kind="order_created",
            phone=order.requester_phone,
            order=order,
            subject=body,
            body=body,
            now=now,
            context={"number": number, "code": code},
        )
    return NewOrder(order, code, [event], outbox)


def attach_order(new: NewOrder) -> None:
    """Point the events and outbox rows of a built order at it once it has its id."""
    for row in (*new.events, *new.outbox):
        row.order = new.order


@transaction.atomic
def do_create_order(
    actor,
    data: OrderInput,
    *,
    accepted: bool | None = None,
    now: datetime | None = None,
) -> tuple[WorkOrder, str]:
    """Create a work order; return it and its query code (shown once, stored hashed).

    Orders taken by an operator are accepted at once (待派单); those from the portal, the API or upstream
    platforms wait for an operator (待受理) unless ``accepted`` says otherwise. Many at once:
    ``workorders.bulk.do_create_orders`` (the same ``build_order``).
    """
    now = _now(now)
    state, accepted = creation_state(actor, accepted)
    refs = _validate_input(data)
    new = build_order(actor, data, refs, number=next_order_number(now), state=state, accepted=accepted, now=now)
    new.order.save()
    attach_order(new)
    for event in new.events:
        event.save()
    insert_rows(new.outbox)
    return new.order, new.code


@transaction.atomic
def do_accept_order(actor, order_id: int, *, now: datetime | None = None) -> WorkOrder:
    now = _now(now)
    order = _lock(actor, order_id)
    _apply_transition(order, "accept", actor, now)
    order.accepted_at = now
    _save(order)
    return order


@transaction.atomic
def do_answer_order(
    actor, order_id: int, *, answer: str, article_ref: str = "", now: datetime | None = None
) -> WorkOrder:
    """Answer a submitted order directly (from the knowledge base): no dispatch."""
    now = _now(now)
    if not (answer or "").strip():
        raise Invalid(
            gettext_noop("An answer is required."), errors={"answer": [gettext_noop("This field is required.")]}
        )
    order = _lock(actor, order_id)
    _apply_transition(order, "answer", actor, now, payload={"article": article_ref})
    order.public_reply = answer.strip()
    order.article_ref = article_ref
    order.accepted_at = order.accepted_at or now
    order.closed_at = now
    _sync_current_clock(order)
    _save(order)
    _notify_requester_sms(order, "order_answered", f"您的工单{order.number}已答复，请凭查询码查看。", now)
    return order


@transaction.atomic
def do_reject_order(
    actor, order_id: int, *, disposition_reason: str, reason: str = "", now: datetime | None = None
) -> WorkOrder:
    """Dispose of an order the hotline does not handle (分类处置), telling the requester the right channel."""
    from yihaotong.directory.data.dispositions import DISPOSITION_REASONS

    now = _now(now)
    codes = {d["code"] for d in DISPOSITION_REASONS}
    if disposition_reason not in codes:
        raise Invalid(
            gettext_noop("Unknown disposition reason."),
            errors={"disposition_reason": [gettext_noop("choose a listed reason")]},
        )
    order = _lock(actor, order_id)
    _apply_transition(
        order,
        "reject",
        actor,
        now,
        reason=reason or disposition_reason,
        payload={"disposition_reason": disposition_reason},
    )
    order.disposition_reason = disposition_reason
    order.closed_at = now
    _sync_current_clock(order)
    _save(order)
    return order


@transaction.atomic
def do_merge_order(actor, order_id: int, *, master_id: int, reason: str = "", now: datetime | None = None) -> WorkOrder:
    """Merge a duplicate into a master order (并单): the master counts one more repeat contact."""
    now = _now(now)
    if order_id == master_id:
        raise Invalid(
            gettext_noop("An order cannot be merged into itself."), errors={"master_id": [gettext_noop("same order")]}
        )
    # Lock in id order so that two merges cannot deadlock.
    first, second = sorted([order_id, master_id])
    locked = {first: _lock(actor, first), second: _lock(actor, second)}
    order, master = locked[order_id], locked[master_id]
    if master.state in S.TERMINAL_STATES:
        raise InvalidTransition(gettext_noop("The master order is closed for merging."), state=master.state)
    _apply_transition(order, "merge", actor, now, reason=reason, payload={"master": master.number})
    order.master = master
    order.closed_at = now
    _sync_current_clock(order)
    _save(order)
    master.repeat_count += 1 + order.repeat_count
    _save(master)
    record_event(master, "merge_in", actor, now, reason=reason, payload={"merged": order.number})
    return order


@transaction.atomic
def do_classify_order(actor, order_id: int, *, category: str, now: datetime | None = None) -> WorkOrder:
    """Set the order's subject category (事项分类) before dispatch."""
    now = _now(now)
    cat = reference("category", code=category)
    if cat is None or not cat.is_active:
        raise Invalid(
            gettext_noop("Unknown category."),
            errors={"category": [Message(gettext_noop("unknown category %(code)r"), code=category)]},
        )
    order = _lock(actor, order_id)
    S.check_side_action("classify", order.state, actor.roles)
    old = order.category.code if order.category_id else None
    order.category = cat
    _save(order)
    record_event(order, "classify", actor, now, payload={"from": old, "to": cat.code})
    return order


# ---------------------------------------------------------------------------------------------------------
# dispatch and unit work


def _check_units(lead_unit_id: int, support_unit_ids: list[int]) -> tuple[Unit, list[Unit]]:
    ids = [lead_unit_id, *support_unit_ids]
    if len(set(ids)) != len(ids):
        raise Invalid(
            gettext_noop("A unit may appear only once."), errors={"support_unit_ids": [gettext_noop("duplicate unit")]}
        )
    units = {i: u for i in ids if (u := reference("unit", pk=i)) is not None and u.is_active}
    missing = [i for i in ids if i not in units]
    if missing:
        raise Invalid(
            gettext_noop("Unknown or inactive units."),
            errors={"units": [Message(gettext_noop("unknown unit id %(id)s"), id=i) for i in missing]},
        )
    for u in units.values():
        if u.kind == UnitKind.CENTRE:
            raise Invalid(
                gettext_noop("Orders are dispatched to handling units."), errors={"units": [gettext_noop("the centre")]}
            )
    return units[lead_unit_id], [units[i] for i in support_unit_ids]


@transaction.atomic
def do_dispatch_order(
    actor,
    order_id: int,
    *,
    lead_unit_id: int,
    support_unit_ids: list[int] | None = None,
    handle_due: datetime | None = None,
    instructions: str = "",
    designated: bool = False,
    now: datetime | None = None,
) -> WorkOrder:
    """Dispatch (派单) or redispatch (改派) an order to a lead unit and supporting units."""
    now = _now(now)
    order = _lock(actor, order_id)
    lead, supports = _check_units(lead_unit_id, list(support_unit_ids or []))
    if order.category_id is None:
        raise Invalid(
            gettext_noop("Classify the order before dispatching it."),
            errors={"category": [gettext_noop("required to dispatch")]},
        )
    previous = order.state
    redispatch = compiled.exists(("any_assignment",), lambda o: Assignment.objects.filter(order_id=o), order.pk)
    t = _apply_transition(
        order,
        "dispatch",
        actor,
        now,
        unit=lead,
        payload={"lead": lead.code, "support": [u.code for u in supports], "redispatch": redispatch},
    )
    del t, previous
    policy = get_policy()
    cal = get_calendar()
    rule = _rule_for(order)
    sign = D.make_clock(now, rule.sign, cal, count_from=policy["count_from"], **_clock_args(policy))
    order.sign_due, order.sign_warn_at = sign.due, sign.warn_at
    if handle_due is not None and handle_due <= now:
        raise Invalid(
            gettext_noop("The deadline must be in the future."), errors={"handle_due": [gettext_noop("in the past")]}
        )
    if policy["clock_start"] == "dispatch" or handle_due is not None:
        _start_handle_clock(order, now, handle_due=handle_due)
    elif not rule.handle.is_set and handle_due is None:
        raise Invalid(
            gettext_noop("This urgency needs a handling deadline set by the dispatcher."),
            errors={"handle_due": [gettext_noop("required for this urgency")]},
        )
    order.dispatched_at = now
    order.lead_unit = lead
    for unit, role in [(lead, AssignmentRole.LEAD), *[(u, AssignmentRole.SUPPORT) for u in supports]]:
        Assignment.objects.create(
            order=order,
            unit=unit,
            role=role,
            state=AssignmentState.PENDING_SIGN,
            designated=designated,
            dispatched_by=actor,
            dispatched_at=now,
            sign_due=sign.due,
            instructions=instructions,
        )
        _notify_unit(
            unit,
            "dispatched",
            order,
            f"新工单待签收 {order.number}: {order.subject}",
            now,
            context={"number": order.number, "subject": order.subject[:80]},
        )
    _sync_current_clock(order)
    _save(order)
    return order


@transaction.atomic
def do_subdispatch(
    actor,
    order_id: int,
    *,
    sub_unit_id: int,
    assignment_id: int | None = None,
    instructions: str = "",
    now: datetime | None = None,
) -> Assignment:
    """Sub-dispatch (下派) the unit's part of an order to one of its sub-units."""
    now = _now(now)
    order = _lock(actor, order_id)
    _require_unit_role(actor)
    S.check_side_action("subdispatch", order.state, actor.roles)
    parent = _actor_assignment(actor, order, assignment_id)
    if parent.state != AssignmentState.SIGNED:
        raise InvalidTransition(gettext_noop("Sign for the order before sub-dispatching it."), state=parent.state)
    sub = one_or_none(Unit.objects.filter(pk=sub_unit_id, is_active=True))
    if sub is None or sub.parent_id != parent.unit_id:
        raise Invalid(
            gettext_noop("Choose a sub-unit of your unit."),
            errors={"sub_unit_id": [gettext_noop("not a sub-unit of the assignee")]},
        )
    if Assignment.objects.filter(order=order, unit=sub, state__in=ACTIVE_ASSIGNMENT_STATES).exists():
        raise Conflict(gettext_noop("That sub-unit already holds this order."))
    child = Assignment.objects.create(
        order=order,
        unit=sub,
        role=parent.role,
        parent=parent,
        state=AssignmentState.PENDING_SIGN,
        dispatched_by=actor,
        dispatched_at=now,
        sign_due=order.sign_due,
        instructions=instructions,
    )
    record_event(order, "subdispatch", actor, now, unit=sub, payload={"from": parent.unit.code, "to": sub.code})
    _notify_unit(sub, "subdispatched", order, f"下派工单待签收 {order.number}", now)
    return child


@transaction.atomic
def do_sign_assignment(
    actor, order_id: int, *, assignment_id: int | None = None, now: datetime | None = None
) -> Assignment:
    """Sign for (签收) an assignment. Signing the lead assignment puts the order in progress."""
    now = _now(now)
    order = _lock(actor, order_id)
    _require_unit_role(actor)
    asg = _actor_assignment(actor, order, assignment_id)
    if asg.state != AssignmentState.PENDING_SIGN:
        raise InvalidTransition(gettext_noop("This assignment has been signed for already."), state=asg.state)
    is_lead = asg.role == AssignmentRole.LEAD and asg.parent_id is None
    if is_lead:
        _apply_transition(order, "sign", actor, now, unit=asg.unit)
        order.signed_at = now
        if get_policy()["clock_start"] == "sign" and order.handle_due is None:
            _start_handle_clock(order, now)
        _sync_current_clock(order)
        _save(order)
    else:
        if order.state not in S.OPEN_FOR_UNITS:
            raise InvalidTransition(
                gettext_noop("Cannot sign while the order is %(state)s."),
                params={"state": Code("order_state", order.state)},
                state=order.state,
            )
        record_event(order, "sign_part", actor, now, unit=asg.unit, payload={"role": asg.role})
    asg.state = AssignmentState.SIGNED
    asg.signed_by = actor
    asg.signed_at = now
    asg.save()
    return asg


@transaction.atomic
def do_request_return(
    actor, order_id: int, *, reason: str, assignment_id: int | None = None, now: datetime | None = None
) -> Application:
    """Ask the centre to take an order back (退单), within the return window after dispatch."""
    now = _now(now)
    order = _lock(actor, order_id)
    _require_unit_role(actor)
    S.check_side_action("request_return", order.state, actor.roles, reason)
    asg = _actor_assignment(actor, order, assignment_id)
    if asg.parent_id is not None:
        raise InvalidTransition(gettext_noop("A sub-unit gives its part back to its parent unit, not to the centre."))
    if asg.state not in (AssignmentState.PENDING_SIGN, AssignmentState.SIGNED):
        raise InvalidTransition(gettext_noop("Only a pending or signed assignment can be returned."), state=asg.state)
    policy = get_policy()
    window_end = get_calendar().add_working_days(
        asg.dispatched_at, int(policy["return_window_wd"]), count_from=policy["count_from"]
    )
    if now > window_end:
        raise InvalidTransition(gettext_noop("The return window has passed; ask for an extension or reply instead."))
    if (
        asg.designated
        and Assignment.objects.filter(order=order, unit=asg.unit, state=AssignmentState.RETURNED).exists()
    ):
        raise InvalidTransition(gettext_noop("A unit designated by the centre may not return the order twice."))
    return _file_application(
        ApplicationKind.RETURN,
        order,
        asg,
        actor,
        now,
        reason,
        notify_role=R.DISPATCHER,
        subject=f"退单申请 {order.number}（{asg.unit}）",
        pending_scope={"assignment": asg},
    )


def _file_application(
    kind: str,
    order: WorkOrder,
    asg: Assignment,
    actor,
    now: datetime,
    reason: str,
    *,
    notify_role: str,
    subject: str,
    pending_scope: dict,
    **fields,
) -> Application:
    """File a unit's application (one pending per kind), write its event and tell the deciding role."""
    if Application.objects.filter(kind=kind, state=ApplicationState.PENDING, **pending_scope).exists():
        raise Conflict(
            {
                ApplicationKind.RETURN: gettext_noop("A return request is already waiting for a decision."),
                ApplicationKind.EXTENSION: gettext_noop("An extension request is already waiting for a decision."),
                ApplicationKind.TERMINATION: gettext_noop("A termination request is already waiting for a decision."),
            }[kind]
        )
    app = Application.objects.create(
        kind=kind, order=order, assignment=asg, requested_by=actor, requested_at=now, reason=reason.strip(), **fields
    )
    payload = {"application": app.pk}
    if fields.get("working_days"):
        payload["working_days"] = fields["working_days"]
    record_event(order, f"request_{kind}", actor, now, unit=asg.unit, reason=reason, payload=payload)
    queue_notification(kind=f"{kind}_requested", roles=(notify_role,), order=order, now=now, subject=subject)
    return app


def _record_decision(app: Application, approve: bool, actor, now: datetime, note: str) -> Application:
    app.state = ApplicationState.APPROVED if approve else ApplicationState.REFUSED
    app.decided_by = actor
    app.decided_at = now
    app.decision_note = note
    app.save()
    return app


def _close_pending_applications(order: WorkOrder, actor, now: datetime, *, except_pk: int | None = None) -> None:
    """Refuse the applications left pending when the order moves on without them (returned, terminated)."""
    pending = Application.objects.filter(order=order, state=ApplicationState.PENDING).exclude(pk=except_pk)
    for app in pending.select_for_update():
        app.state = ApplicationState.REFUSED
        app.decided_by = actor
        app.decided_at = now
        app.decision_note = "superseded: the order left the unit"
        app.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])


def _lock_application(actor, application_id: int, kind: str) -> tuple[Application, WorkOrder]:
    app = one_or_none(Application.objects.filter(pk=application_id, kind=kind).only("order_id"))
    if app is None:
        raise NotFound(gettext_noop("No such application."))
    order = _lock(actor, app.order_id)
    app = Application.objects.select_for_update().select_related("assignment__unit").get(pk=application_id)
    if app.state != ApplicationState.PENDING:
        raise InvalidTransition(gettext_noop("This application has been decided already."), state=app.state)
    return app, order


@transaction.atomic
def do_decide_return(
    actor, application_id: int, *, approve: bool, note: str = "", now: datetime | None = None
) -> Application:
    """Approve a return (the order goes back for redispatch) or refuse it (the unit keeps it)."""
    now = _now(now)
    app, order = _lock_application(actor, application_id, ApplicationKind.RETURN)
    asg = Assignment.objects.select_for_update().get(pk=app.assignment_id)
    if approve:
        if asg.role == AssignmentRole.LEAD:
            _apply_transition(
                order,
                "approve_return",
                actor,
                now,
                reason=app.reason,
                unit=asg.unit,
                payload={"application": app.pk, "note": note},
            )
            _close_pending_applications(order, actor, now, except_pk=app.pk)
            # The whole dispatch goes back: withdraw the other units' parts too.
            for other in (
                Assignment.objects.select_for_update()
                .filter(order=order, state__in=ACTIVE_ASSIGNMENT_STATES)
                .exclude(pk=asg.pk)
            ):
                other.state = AssignmentState.WITHDRAWN
                other.save(update_fields=["state"])
            order.lead_unit = None
            order.sign_due = order.sign_warn_at = None
            order.handle_due = order.handle_warn_at = order.handle_started_at = None
            _sync_current_clock(order)
            _save(order)
        else:
            S.check_side_action("refuse_return", order.state, actor.roles, app.reason)
            record_event(order, "return_part", actor, now, unit=asg.unit, reason=app.reason)
        asg.state = AssignmentState.RETURNED
        asg.returned_at = now
        asg.return_reason = app.reason
        asg.save()
        queue_notification(
            kind="returned", roles=(R.DISPATCHER,), order=order, now=now, subject=f"退单待改派 {order.number}"
        )
    else:
        S.check_side_action("refuse_return", order.state, actor.roles, note)
        record_event(order, "refuse_return", actor, now, unit=asg.unit, reason=note)
        _notify_unit(asg.unit, "return_refused", order, f"退单申请未同意 {order.number}", now)
    return _record_decision(app, approve, actor, now, note)


@transaction.atomic
def do_request_extension(
    actor,
    order_id: int,
    *,
    working_days: int,
    reason: str,
    assignment_id: int | None = None,
    now: datetime | None = None,
) -> Application:
    """Ask for more time (延期), before the handling deadline, within the policy's maximum."""
    now = _now(now)
    order = _lock(actor, order_id)
    _require_unit_role(actor)
    S.check_side_action("request_extension", order.state, actor.roles, reason)
    asg = _actor_assignment(actor, order, assignment_id)
    if asg.role != AssignmentRole.LEAD or asg.parent_id is not None:
        raise NotPermitted(gettext_noop("Only the lead unit asks for an extension."))
    policy = get_policy()
    max_days = int(policy["extension_max_wd"])
    if working_days is None or working_days < 1:
        raise Invalid(
            gettext_noop("Ask for at least one working day."),
            errors={"working_days": [gettext_noop("must be at least 1")]},
        )
    if order.extension_days + working_days > max_days:
        raise Invalid(
            gettext_noop("Extensions may add at most %(max_days)s working days in all."),
            params={"max_days": max_days},
            errors={
                "working_days": [Message(gettext_noop("at most %(days)s more"), days=max_days - order.extension_days)]
            },
        )
    if order.handle_due is None or now >= order.handle_due:
        raise InvalidTransition(gettext_noop("Extensions are asked for before the deadline."))
    if order.handle_unit != "wd":
        raise InvalidTransition(gettext_noop("Hour-based deadlines cannot be extended in working days."))
    return _file_application(
        ApplicationKind.EXTENSION,
        order,
        asg,
        actor,
        now,
        reason,
        notify_role=R.REVIEWER,
        subject=f"延期申请 {order.number}（{working_days}个工作日）",
        pending_scope={"order": order},
        working_days=working_days,
        old_due=order.handle_due,
    )


@transaction.atomic
def do_decide_extension(
    actor, application_id: int, *, approve: bool, note: str = "", now: datetime | None = None
) -> Application:
    now = _now(now)
    app, order = _lock_application(actor, application_id, ApplicationKind.EXTENSION)
    S.check_side_action("decide_extension", order.state, actor.roles)
    if approve:
        cal = get_calendar()
        policy = get_policy()
        # Count the extra working days from the old deadline (its end-of-day), same-day basis.
        old_due = order.handle_due
        new_due = cal.add_working_days(old_due, int(app.working_days), count_from="same_day")
        order.handle_due = new_due
        order.handle_warn_at = D.warn_before(order.handle_started_at or now, new_due, "wd", cal, **_clock_args(policy))
        order.extension_days += int(app.working_days)
        app.new_due = new_due
        if order.state == S.IN_PROGRESS:
            _sync_current_clock(order)
        _save(order)
        record_event(
            order,
            "extension_approved",
            actor,
            now,
            reason=note,
            public=True,
            payload={"old_due": old_due.isoformat(), "new_due": new_due.isoformat(), "working_days": app.working_days},
        )
        # A working-day due is the local midnight that ends the last working day: name that day, not the next.
        last_day = timezone.localtime(new_due - timedelta(microseconds=1), TZ)
        _notify_requester_sms(
            order,
            "extension_approved",
            f"您的工单{order.number}办理期限延长至{last_day:%Y-%m-%d}。",
            now,
            due=f"{last_day:%Y-%m-%d}",
        )
    else:
        record_event(order, "extension_refused", actor, now, reason=note)
    _notify_unit(
        app.assignment.unit,
        "extension_decided",
        order,
        f"延期申请{'已同意' if approve else '未同意'} {order.number}",
        now,
    )
    return _record_decision(app, approve, actor, now, note)


def _open_sub_assignments(parent_id):
    states = [AssignmentState.PENDING_SIGN, AssignmentState.SIGNED]
    return Assignment.objects.filter(parent_id=parent_id, state__in=states)


def _pending_reply(order_id):
    # The newest reply waiting for review (Reply's ordering reversed, as ``last()`` would), locked.
    qs = Reply.objects.select_for_update(of=("self",)).filter(order_id=order_id, state=ReplyState.PENDING)
    return qs.order_by("-created_at", "-id")[:1]


def _locked_assignment(pk):
    return Assignment.objects.select_for_update(of=("self",)).filter(pk=pk).order_by()


@transaction.atomic
def do_reply_order(
    actor,
    order_id: int,
    *,
    internal_notes: str,
    public_text: str = "",
    requester_contacted: bool = False,
    solved: bool | None = None,
    assignment_id: int | None = None,
    now: datetime | None = None,
) -> Reply:
    """Reply (答复): the lead unit's reply goes to review; a supporting or sub-unit's reply goes to the lead."""
    now = _now(now)
    order = _lock(actor, order_id)
    _require_unit_role(actor)
    errors = {}
    if not (internal_notes or "").strip():
        errors["internal_notes"] = [gettext_noop("This field is required.")]
    asg = _actor_assignment(actor, order, assignment_id)
    is_lead = asg.role == AssignmentRole.LEAD and asg.parent_id is None
    if is_lead and order.reply_wanted and not (public_text or "").strip():
        errors["public_text"] = [gettext_noop("The requester's reply text is required.")]
    if errors:
        raise Invalid(gettext_noop("The reply is not complete."), errors=errors)
    if asg.state != AssignmentState.SIGNED:
        raise InvalidTransition(gettext_noop("Sign for the order before replying."), state=asg.state)
    if compiled.exists(("open_sub_assignment",), _open_sub_assignments, asg.pk):
        raise InvalidTransition(gettext_noop("A sub-unit has not replied yet."))
    reply = Reply(
        order=order,
        assignment=asg,
        author=actor,
        internal_notes=internal_notes.strip(),
        public_text=(public_text or "").strip(),
        requester_contacted=requester_contacted,
        solved=solved,
        created_at=now,
        state=ReplyState.PENDING if is_lead else ReplyState.INTERNAL,
    )
    if is_lead:
        _apply_transition(
            order,
            "reply",
            actor,
            now,
            unit=asg.unit,
            payload={"on_time": bool(order.handle_due and now <= order.handle_due)},
        )
        order.replied_at = now
        _sync_current_clock(order)
        _save(order)
        queue_notification(
            kind="reply_to_review", roles=(R.REVIEWER,), order=order, now=now, subject=f"答复待审核 {order.number}"
        )
    else:
        if order.state not in S.OPEN_FOR_UNITS:
            raise InvalidTransition(
                gettext_noop("Cannot reply while the order is %(state)s."),
                params={"state": Code("order_state", order.state)},
                state=order.state,
            )
        record_event(order, "reply_part", actor, now, unit=asg.unit)
    reply.save()
    asg.state = AssignmentState.REPLIED
    asg.replied_at = now
    asg.save()
    return reply


@transaction.atomic
def do_review_reply(actor, order_id: int, *, approve: bool, comment: str = "", now: datetime | None = None) -> Reply:
    """Approve the lead unit's reply (to callback) or send it back with comments."""
    now = _now(now)
    order = _lock(actor, order_id)
    S.check_transition("approve_reply" if approve else "send_back", order.state, actor.roles, comment)
    replies = compiled.select(("pending_reply",), _pending_reply, order.pk)
    if not replies:
        raise InvalidTransition(gettext_noop("There is no reply waiting for review."), state=order.state)
    reply = replies[0]
    if approve:
        _apply_transition(order, "approve_reply", actor, now, reason=comment)
        policy = get_policy()
        cal = get_calendar()
        clock = D.make_clock(
            now, D.Limit(int(policy["callback_wd"]), "wd"), cal, count_from=policy["count_from"], **_clock_args(policy)
        )
        order.callback_due, order.callback_warn_at = clock.due, clock.warn_at
        order.reply_approved_at = now
        order.public_reply = reply.public_text
        reply.state = ReplyState.APPROVED
        _notify_requester_sms(order, "reply_approved", f"您的工单{order.number}已答复，请凭查询码查看。", now)
    else:
        _apply_transition(order, "send_back", actor, now, reason=comment)
        reply.state = ReplyState.SENT_BACK
        asg = prime_references(
            compiled.select(("locked_assignment",), _locked_assignment, reply.assignment_id)[0], _ASSIGNMENT_FKS
        )
        asg.state = AssignmentState.SIGNED
        asg.replied_at = None
        asg.save()
        _notify_unit(asg.unit, "reply_sent_back", order, f"答复被退回修改 {order.number}", now)
    reply.reviewed_by = actor
    reply.reviewed_at = now
    reply.review_comment = comment
    reply.save()
    _sync_current_clock(order)
    _save(order)
    return reply


@transaction.atomic
def do_request_termination(
    actor, order_id: int, *, reason: str, assignment_id: int | None = None, now: datetime | None = None
) -> Application:
    now = _now(now)
    order = _lock(actor, order_id)
    _require_unit_role(actor)
    S.check_side_action("request_termination", order.state, actor.roles, reason)
    asg = _actor_assignment(actor, order, assignment_id)
    if asg.role != AssignmentRole.LEAD or asg.parent_id is not None:
        raise NotPermitted(gettext_noop("Only the lead unit asks for termination."))
    return _file_application(
        ApplicationKind.TERMINATION,
        order,
        asg,
        actor,
        now,
        reason,
        notify_role=R.REVIEWER,
        subject=f"终止办理申请 {order.number}",
        pending_scope={"order": order},
    )


@transaction.atomic
def do_decide_termination(
    actor, application_id: int, *, approve: bool, note: str = "", now: datetime | None = None
) -> Application:
    now = _now(now)
    app, order = _lock_application(actor, application_id, ApplicationKind.TERMINATION)
    if approve:
        _apply_transition(
            order, "approve_termination", actor, now, reason=app.reason, payload={"application": app.pk, "note": note}
        )
        order.closed_at = now
        _close_pending_applications(order, actor, now, except_pk=app.pk)
        for asg in Assignment.objects.select_for_update().filter(order=order, state__in=ACTIVE_ASSIGNMENT_STATES):
            asg.state = AssignmentState.WITHDRAWN
            asg.save(update_fields=["state"])
        _sync_current_clock(order)
        _save(order)
        _notify_requester_sms(order, "terminated", f"您的工单{order.number}已终止办理，原因可凭查询码查看。", now)
    else:
        S.check_side_action("refuse_termination", order.state, actor.roles, note)
        record_event(order, "refuse_termination", actor, now, reason=note)
    _notify_unit(
        app.assignment.unit,
        "termination_decided",
        order,
        f"终止办理申请{'已同意' if approve else '未同意'} {order.number}",
        now,
    )
    return _record_decision(app, approve, actor, now, note)


# ---------------------------------------------------------------------------------------------------------
# supervision and side records

SUPERVISION_ORDER = [SupervisionLevel.REMIND, SupervisionLevel.SUPERVISE, SupervisionLevel.ESCALATE]


@transaction.atomic
def do_supervise_order(actor, order_id: int, *, level: str, note: str = "", now: datetime | None = None) -> Supervision:
    """Remind (催办), supervise (督办) or escalate (挂牌督办) an open order."""
    now = _now(now)
    if level not in SUPERVISION_ORDER:
        raise Invalid(
            gettext_noop("Unknown supervision level."),
            errors={"level": [gettext_noop("remind, supervise or escalate")]},
        )
    order = _lock(actor, order_id)
    S.check_side_action(level, order.state, actor.roles, note)
    sup = Supervision.objects.create(order=order, level=level, unit=order.lead_unit, by=actor, at=now, note=note)
    current = order.supervision_level
    if current == SupervisionLevel.NONE or SUPERVISION_ORDER.index(level) > SUPERVISION_ORDER.index(current):
        order.supervision_level = level
        _save(order)
    record_event(order, level, actor, now, unit=order.lead_unit, reason=note)
    if order.lead_unit:
        _notify_unit(order.lead_unit, level, order, f"{sup.get_level_display()} {order.number}", now)
    if level == SupervisionLevel.ESCALATE:
        queue_notification(
            kind="escalated",
            roles=(R.LEADER,),
            order=order,
            now=now,
            subject=f"挂牌督办 {order.number}: {order.subject}",
        )
    return sup


@transaction.atomic
def do_add_note(actor, order_id: int, *, text: str, now: datetime | None = None) -> Note:
    now = _now(now)
    if not (text or "").strip():
        raise Invalid(gettext_noop("The note is empty."), errors={"text": [gettext_noop("This field is required.")]})
    order = _lock(actor, order_id)
    S.check_side_action("note", order.state, actor.roles)
    _require_active_part(actor, order)
    note = Note.objects.create(
        order=order, author=actor, unit=actor.unit if not is_centre(actor) else None, at=now, text=text.strip()
    )
    record_event(order, "note", actor, now, payload={"note": note.pk})
    return note


@transaction.atomic
def do_log_contact(
    actor, order_id: int, *, note: str = "", method: str = "phone", now: datetime | None = None
) -> ContactLog:
    """Record that the actor contacted the requester (联系群众)."""
    now = _now(now)
    order = _lock(actor, order_id)
    S.check_side_action("contact_log", order.state, actor.roles)
    if not is_centre(actor) and not actor_has_part(actor, order.pk):
        raise NotPermitted(gettext_noop("Your unit holds no active assignment of this order."))
    log = ContactLog.objects.create(order=order, unit=actor.unit, by=actor, at=now, method=method, note=note)
    record_event(order, "contact_log", actor, now, unit=actor.unit, payload={"method": method})
    return log


ALLOWED_ATTACHMENT_TYPES = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


@transaction.atomic
def do_add_attachment(
    actor, order_id: int, *, uploaded_file, is_public: bool = False, now: datetime | None = None
) -> Attachment:
    now = _now(now)
    order = _lock(actor, order_id)
    S.check_side_action("attach", order.state, actor.roles)
    _require_active_part(actor, order)
    content_type = getattr(uploaded_file, "content_type", "") or "application/octet-stream"
    errors = []
    if content_type not in ALLOWED_ATTACHMENT_TYPES:
        errors.append(Message(gettext_noop("file type %(type)s is not accepted"), type=content_type))
    if uploaded_file.size > MAX_ATTACHMENT_BYTES:
        errors.append(gettext_noop("files may be at most 10 MB"))
    if errors:
        raise Invalid(gettext_noop("The attachment was refused."), errors={"file": errors})
    att = Attachment(
        order=order,
        name=uploaded_file.name[:200],
        content_type=content_type,
        size=uploaded_file.size,
        is_public=is_public,
        uploaded_by=actor,
        at=now,
    )
    att.file.save(uploaded_file.name, uploaded_file, save=False)
    att.save()
    record_event(order, "attach", actor, now, payload={"attachment": att.pk, "name": att.name})
    return att


@transaction.atomic
def do_record_repeat_contact(actor, order_id: int, *, note: str = "", now: datetime | None = None) -> WorkOrder:
    """Count one more contact on the same matter (重复诉求) against an open order."""
    now = _now(now)
    order = _lock(actor, order_id)
    S.check_side_action("repeat_contact", order.state, actor.roles)
    order.repeat_count += 1
    if order.repeat_count >= int(get_policy()["review_candidate_contacts"]):
        order.is_review_candidate = True
    _save(order)
    record_event(order, "repeat_contact", actor, now, reason=note, payload={"repeat_count": order.repeat_count})
    if order.lead_unit:
        _notify_unit(order.lead_unit, "repeat_contact", order, f"群众再次来电 {order.number}", now)
    return order


# ---------------------------------------------------------------------------------------------------------
# callback, redo, close


def _redo(order: WorkOrder, actor, now: datetime, reason: str) -> None:
    lead = _lead_assignment(order)
    if lead is None:
        raise InvalidTransition(gettext_noop("The order has no lead unit to redo it."))
    _apply_transition(order, "redo", actor, now, reason=reason, unit=lead.unit, payload={"round": order.redo_count + 1})
    order.redo_count += 1
    order.closed_at = None
    order.callback_due = order.callback_warn_at = None
    if _rule_for(order).handle.is_set:
        order.handle_due = None
        _start_handle_clock(order, now)
    else:
        # A deadline the dispatcher set (特急): the redo gets the same span again.
        span = (order.handle_due - order.handle_started_at) if order.handle_due and order.handle_started_at else None
        _start_handle_clock(order, now, handle_due=now + (span or timedelta(hours=24)))
    _sync_current_clock(order)
    lead.state = AssignmentState.SIGNED
    lead.replied_at = None
    lead.save()
    _notify_unit(lead.unit, "redo", order, f"工单重办 {order.number}: {reason[:60]}", now)


@transaction.atomic
def do_record_callback(
    actor,
    order_id: int,
    *,
    outcome: str,
    contacted: bool | None = None,
    solved: bool | None = None,
    satisfaction: str = "",
    score5: int | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Callback:
    """Record one callback attempt (回访). A reached requester closes the order or sends it back (重办)."""
    now = _now(now)
    if outcome not in CallbackOutcome.values:
        raise Invalid(
            gettext_noop("Unknown callback outcome."), errors={"outcome": [gettext_noop("choose a listed outcome")]}
        )
    if score5 is not None and not 1 <= score5 <= 5:
        raise Invalid(gettext_noop("Scores run from 1 to 5."), errors={"score5": [gettext_noop("between 1 and 5")]})
    if score5 is not None and not satisfaction:
        # The national 5-level scale folds onto the 3-level one: 4-5 satisfied, 3 basically, 1-2 not.
        satisfaction = "satisfied" if score5 >= 4 else "basically" if score5 == 3 else "dissatisfied"
    if outcome == CallbackOutcome.REACHED and satisfaction not in Satisfaction.values:
        raise Invalid(
            gettext_noop("Record the requester's satisfaction."),
            errors={"satisfaction": [gettext_noop("required when reached")]},
        )
    if satisfaction == Satisfaction.DISSATISFIED and not (reason or "").strip():
        raise Invalid(
            gettext_noop("Record why the requester is dissatisfied."),
            errors={"reason": [gettext_noop("This field is required.")]},
        )
    order = _lock(actor, order_id)
    S.check_side_action("callback_attempt", order.state, actor.roles)
    cb = Callback.objects.create(
        order=order,
        agent=actor,
        at=now,
        round=order.redo_count,
        outcome=outcome,
        contacted=contacted,
        solved=solved,
        satisfaction=satisfaction if outcome == CallbackOutcome.REACHED else "",
        score5=score5,
        reason=reason,
    )
    record_event(
        order,
        "callback",
        actor,
        now,
        reason=reason,
        payload={
            "outcome": outcome,
            "contacted": contacted,
            "solved": solved,
            "satisfaction": cb.satisfaction,
            "score5": score5,
        },
    )
    policy = get_policy()
    if outcome == CallbackOutcome.REACHED:
        order.satisfaction = satisfaction
        if satisfaction == Satisfaction.DISSATISFIED:
            order.dissatisfied_count += 1
            if order.dissatisfied_count >= int(policy["review_candidate_dissatisfied"]):
                order.is_review_candidate = True
            if order.redo_count < int(policy["redo_max_rounds"]):
                _redo(order, actor, now, reason)
            else:
                order.is_review_candidate = True
                _apply_transition(
                    order, "close", actor, now, reason="redo rounds exhausted", payload={"review_candidate": True}
                )
                order.closed_at = now
                _sync_current_clock(order)
        else:
            _apply_transition(order, "close", actor, now, payload={"satisfaction": satisfaction})
            order.closed_at = now
            _sync_current_clock(order)
    else:
        attempts = Callback.objects.filter(order=order, round=order.redo_count).count()
        if attempts >= int(policy["callback_max_attempts"]) or outcome in (
            CallbackOutcome.WRONG_NUMBER,
            CallbackOutcome.REFUSED,
        ):
            _apply_transition(
                order,
                "close",
                actor,
                now,
                reason=f"callback not possible: {outcome}",
                payload={"unreached": True, "attempts": attempts},
            )
            order.closed_at = now
            _sync_current_clock(order)
            # Policy "callback_fallback": "sms" invites a requester who never answered to rate online
            # (order number + query code); "none" closes without. A wrong number or a refusal gets no SMS.
            if outcome == CallbackOutcome.NO_ANSWER and policy.get("callback_fallback", "sms") == "sms":
                _notify_requester_sms(
                    order,
                    "rating_invitation",
                    f"您的工单{order.number}已办结，我们未能电话回访，请凭查询码在网上评价。",
                    now,
                )
    _save(order)
    return cb


@transaction.atomic
def do_close_order(actor, order_id: int, *, reason: str = "", now: datetime | None = None) -> WorkOrder:
    """Close an order awaiting callback without one (the requester asked for no reply, or is anonymous)."""
    now = _now(now)
    order = _lock(actor, order_id)
    if order.reply_wanted and order.requester_phone and not (reason or "").strip():
        raise Invalid(
            gettext_noop("Say why this order closes without a callback."), errors={"reason": [gettext_noop("required")]}
        )
    _apply_transition(order, "close", actor, now, reason=reason)
    order.closed_at = now
    _sync_current_clock(order)
    _save(order)
    return order


@transaction.atomic
def do_rate_closed_order(
    actor, order_id: int, *, satisfaction: str, reason: str = "", now: datetime | None = None
) -> Callback:
    """Record the requester's own rating of a closed order that no callback reached (they were invited by
    SMS to rate online, policy ``callback_fallback``), within the redo window. The rating counts as a
    reached callback of the current round; 不满意 (with a reason) sends the order back to its unit (重办)
    within the policy's rounds, as a callback would."""
    now = _now(now)
    if satisfaction not in Satisfaction.values:
        raise Invalid(
            gettext_noop("Record the requester's satisfaction."),
            errors={"satisfaction": [gettext_noop("choose a listed outcome")]},
        )
    reason = (reason or "").strip()
    if satisfaction == Satisfaction.DISSATISFIED and not reason:
        raise Invalid(
            gettext_noop("Record why the requester is dissatisfied."),
            errors={"reason": [gettext_noop("This field is required.")]},
        )
    order = _lock(actor, order_id)
    window = timedelta(days=int(get_policy()["redo_window_days"]))
    if order.state != S.CLOSED or order.satisfaction or order.closed_at is None or now - order.closed_at > window:
        raise InvalidTransition(gettext_noop("This order cannot be rated now."))
    cb = Callback.objects.create(
        order=order,
        agent=actor,
        at=now,
        round=order.redo_count,
        outcome=CallbackOutcome.REACHED,
        satisfaction=satisfaction,
        reason=reason,
    )
    record_event(order, "rated_online", actor, now, reason=reason, payload={"satisfaction": satisfaction}, public=True)
    order.satisfaction = satisfaction
    if satisfaction == Satisfaction.DISSATISFIED:
        policy = get_policy()
        order.dissatisfied_count += 1
        if order.dissatisfied_count >= int(policy["review_candidate_dissatisfied"]):
            order.is_review_candidate = True
        if order.redo_count < int(policy["redo_max_rounds"]):
            S.check_transition("redo", order.state, actor.roles, reason)
            _redo(order, actor, now, reason)
        else:
            order.is_review_candidate = True
    _save(order)
    return cb


@transaction.atomic
def do_redo_order(actor, order_id: int, *, reason: str, now: datetime | None = None) -> WorkOrder:
    """Send a closed order (within the redo window) or one awaiting callback back to its unit (重办)."""
    now = _now(now)
    order = _lock(actor, order_id)
    S.check_transition("redo", order.state, actor.roles, reason)
    if order.state == S.CLOSED:
        window = timedelta(days=int(get_policy()["redo_window_days"]))
        if order.closed_at is None or now - order.closed_at > window:
            raise InvalidTransition(gettext_noop("The redo window of this closed order has passed."))
    _redo(order, actor, now, reason)
    _save(order)
    return order


# ---------------------------------------------------------------------------------------------------------
# personal data


@transaction.atomic
def reveal_requester_contact(
    actor, order_id: int, *, reason: str, ip: str | None = None, now: datetime | None = None
) -> dict[str, str]:
    """Return the requester's name and phone unmasked, and log who saw them and why."""
    from yihaotong.audit.actions import log_access

    now = _now(now)
    if not (reason or "").strip():
        raise Invalid(
            gettext_noop("Give a reason for revealing the requester's contact details."),
            errors={"reason": [gettext_noop("This field is required.")]},
        )
    order = access_order(actor, order_id)
    check_can_reveal(actor, order)
    log_access(actor, subject=order, fields="requester_name,requester_phone", reason=reason, ip=ip, now=now)
    record_event(order, "reveal_contact", actor, now, reason=reason, unit=actor.unit)
    return {"name": order.requester_name, "phone": order.requester_phone}


# ---------------------------------------------------------------------------------------------------------
# warnings


def do_sweep_warnings(*, now: datetime | None = None, batch: int = 500, shard: tuple[int, int] | None = None) -> int:
    """Raise yellow and red warnings whose time has come; return how many warnings were raised.

    ``shard=(i, n)`` sweeps only the orders whose id modulo n is i, so that n processes can share the sweep
    (the replay benchmark's workers do); the periodic task sweeps everything.

    Due orders are handled a batch per transaction: the batch is locked in one statement (rows that an
    action holds right now are skipped and left for the next sweep), its events and notifications are
    inserted in one statement each, and the orders updated in one. An hourly sweep of a district finds a
    dozen orders; one transaction per order cost more than the warnings themselves.
    """
    now = _now(now)
    raised = 0
    seen: set[int] = set()
    # Only orders on a clock have a next_warning_at (_sync_current_clock); filtering on it alone lets the
    # database walk its partial index in order, which stays cheap while the table churns. A state without
    # a clock is checked below anyway.
    due = WorkOrder.objects.only(*_SWEEP_FIELDS)
    if shard is not None:
        index, count = shard
        if not 0 <= index < count:
            raise Invalid("A shard is (index, count) with 0 <= index < count.", errors={"shard": [str(shard)]})
        due = due.alias(shard_of_id=Mod("id", count)).filter(shard_of_id=index)

    def first_batch(at):  # compiled once per shard and batch size (core.compiled): most sweeps stop here
        return (
            due.filter(next_warning_at__lte=at)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_warning_at", "id")[:batch]
        )

    while True:
        with transaction.atomic():
            if not seen:
                orders = compiled.select(("sweep_due", shard, batch), first_batch, now)
            else:
                orders = list(
                    due.filter(next_warning_at__lte=now)
                    .select_for_update(skip_locked=True, of=("self",))
                    .exclude(pk__in=seen)
                    .order_by("next_warning_at", "id")[:batch]
                )
            if not orders:
                return raised
            seen.update(o.pk for o in orders)
            raised += _sweep_batch(orders, now)
        if len(orders) < batch:
            # A short batch was everything due but the rows an action holds (left for the next sweep):
            # no second transaction just to find nothing.
            return raised


_SWEEP_FIELDS = (
    "id",
    "number",
    "subject",
    "state",
    "warn_at",
    "due_at",
    "warning_level",
    "next_warning_at",
    "lead_unit",
)


def _sweep_batch(orders: list[WorkOrder], now: datetime) -> int:
    # Warnings raised before on the same clock and deadline (the order left and re-entered the clock,
    # e.g. a reply sent back): keep the level, do not notify twice.
    earlier = set()
    for order_id, kind, payload in Event.objects.filter(
        order_id__in=[o.pk for o in orders], kind__in=["warning_yellow", "warning_red"]
    ).values_list("order_id", "kind", "payload"):
        earlier.add((order_id, kind, (payload or {}).get("clock"), (payload or {}).get("due")))
    events, notes = [], []
    raised = 0
    for order in orders:
        prime_references(order, _SWEEP_FKS)
        clock = S.CLOCK_OF_STATE.get(order.state, "")
        if not clock:  # left its clock without the clock being cleared: nothing to warn about
            order.next_warning_at = None
            continue
        level = D.warning_level(now, order.warn_at, order.due_at)
        due_key = order.due_at.isoformat() if order.due_at else None
        if D.LEVEL_RANK[level] > D.LEVEL_RANK[order.warning_level]:
            if (order.pk, f"warning_{level}", clock, due_key) not in earlier:
                events.append(
                    _event(
                        order,
                        f"warning_{level}",
                        None,
                        now,
                        unit=order.lead_unit,
                        payload={"clock": clock, "due": due_key},
                    )
                )
                raised += 1
                subject = f"{'黄牌预警' if level == D.YELLOW else '红牌超期'} {order.number}: {order.subject}"
                ctx = {"number": order.number, "subject": order.subject[:80]}
                if clock == "callback":
                    notes += outbox_rows(
                        kind=f"warning_{level}",
                        roles=(R.CALLBACK_AGENT,),
                        order=order,
                        now=now,
                        subject=subject,
                        context=ctx,
                    )
                elif order.lead_unit:
                    notes += outbox_rows(
                        kind=f"warning_{level}",
                        unit=order.lead_unit,
                        roles=(R.HANDLER, R.UNIT_ADMIN),
                        order=order,
                        now=now,
                        subject=subject,
                        context=ctx,
                    )
                if level == D.RED:
                    notes += outbox_rows(
                        kind="warning_red", roles=(R.SUPERVISOR,), order=order, now=now, subject=subject, context=ctx
                    )
            order.warning_level = level
        order.next_warning_at = D.next_warning_instant(now, order.warn_at, order.due_at)
    # Statements compiled once (insert_rows per row count, update_rows per field list): compiling
    # bulk_create / bulk_update for a handful of orders cost more than running them.
    insert_rows(events)
    insert_rows(notes)
    if len(orders) == 1:
        orders[0].save(update_fields=["warning_level", "next_warning_at"])
    else:
        update_rows(orders, ["warning_level", "next_warning_at"])
    return raised
