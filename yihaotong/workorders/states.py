"""The work-order transition table (domain.md §4). Pure: no ORM.

One row per move: which states it leaves, the state it reaches, which roles may make it, whether a reason
is required, what it does to the clock, and the event kind it writes. Actions consult this table under the
row lock; screens consult it to decide which buttons to show. Nothing else decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop, pgettext_lazy

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Code, Invalid, InvalidTransition, NotPermitted, register_labels

SUBMITTED = "submitted"
PENDING_DISPATCH = "pending_dispatch"
DISPATCHED = "dispatched"
IN_PROGRESS = "in_progress"
REPLIED = "replied"
PENDING_CALLBACK = "pending_callback"
CLOSED = "closed"
ANSWERED = "answered"
REJECTED = "rejected"
MERGED = "merged"
TERMINATED = "terminated"

ALL_STATES = (
    SUBMITTED,
    PENDING_DISPATCH,
    DISPATCHED,
    IN_PROGRESS,
    REPLIED,
    PENDING_CALLBACK,
    CLOSED,
    ANSWERED,
    REJECTED,
    MERGED,
    TERMINATED,
)
# States in which the order is still being worked on (closed can be reopened by redo, but is not open).
OPEN_STATES = frozenset({SUBMITTED, PENDING_DISPATCH, DISPATCHED, IN_PROGRESS, REPLIED, PENDING_CALLBACK})
TERMINAL_STATES = frozenset({ANSWERED, REJECTED, MERGED, TERMINATED})
# States whose deadline clock raises warnings, and which clock it is.
CLOCK_OF_STATE = {DISPATCHED: "sign", IN_PROGRESS: "handle", PENDING_CALLBACK: "callback"}

# Clock effects.
CLOCK_START = "start"  # dispatch: sign clock starts; the handle clock too when the policy starts it at dispatch
CLOCK_SIGN = "sign"  # sign: the handle clock starts when the policy starts it at sign-for
CLOCK_STOP = "stop"  # the order leaves the unit's hands for good (or back to the centre)
CLOCK_RESTART = "restart"  # redo: a new handle clock from now
CLOCK_CALLBACK = "callback"  # reply approved: the callback clock starts
CLOCK_KEEP = "keep"  # the current clock goes on


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    reason_required: bool
    clock: str
    event: str
    public: bool = True  # whether the requester sees the event in the public timeline


def _t(name, sources, target, roles, reason_required, clock, event=None, public=True) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(roles), reason_required, clock, event or name, public)


CENTRE_INTAKE = {R.OPERATOR, R.DISPATCHER}
UNIT = {R.HANDLER, R.UNIT_ADMIN}

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("accept", [SUBMITTED], PENDING_DISPATCH, CENTRE_INTAKE, False, CLOCK_KEEP),
        _t("answer", [SUBMITTED, PENDING_DISPATCH], ANSWERED, CENTRE_INTAKE, False, CLOCK_STOP),
        _t("reject", [SUBMITTED, PENDING_DISPATCH], REJECTED, CENTRE_INTAKE, True, CLOCK_STOP),
        _t("merge", [SUBMITTED, PENDING_DISPATCH], MERGED, CENTRE_INTAKE, False, CLOCK_STOP),
        _t("dispatch", [PENDING_DISPATCH], DISPATCHED, {R.DISPATCHER}, False, CLOCK_START),
        _t("sign", [DISPATCHED], IN_PROGRESS, UNIT, False, CLOCK_SIGN),
        # A return is requested by the unit and approved by the centre; only the approval moves the order.
        _t(
            "approve_return",
            [DISPATCHED, IN_PROGRESS],
            PENDING_DISPATCH,
            {R.DISPATCHER, R.REVIEWER},
            True,
            CLOCK_STOP,
            "return",
            public=False,
        ),
        _t("reply", [IN_PROGRESS], REPLIED, UNIT, False, CLOCK_KEEP),
        _t("approve_reply", [REPLIED], PENDING_CALLBACK, {R.REVIEWER}, False, CLOCK_CALLBACK),
        _t("send_back", [REPLIED], IN_PROGRESS, {R.REVIEWER}, True, CLOCK_KEEP, public=False),
        _t("approve_termination", [IN_PROGRESS], TERMINATED, {R.REVIEWER}, True, CLOCK_STOP, "terminate"),
        _t("close", [PENDING_CALLBACK], CLOSED, {R.CALLBACK_AGENT}, False, CLOCK_STOP),
        _t(
            "redo",
            [PENDING_CALLBACK, CLOSED],
            IN_PROGRESS,
            {R.CALLBACK_AGENT, R.DISPATCHER, R.SUPERVISOR},
            True,
            CLOCK_RESTART,
        ),
    ]
}

# Orders are born in one of two states.
CREATE_ROLES = {
    SUBMITTED: frozenset({R.OPERATOR, R.DISPATCHER, R.INTEGRATION}),
    PENDING_DISPATCH: frozenset({R.OPERATOR, R.DISPATCHER}),
}


@dataclass(frozen=True)
class SideAction:
    name: str
    states: frozenset[str]
    roles: frozenset[str]
    reason_required: bool = False


OPEN_FOR_UNITS = {DISPATCHED, IN_PROGRESS}
SIDE_ACTIONS: dict[str, SideAction] = {
    a.name: a
    for a in [
        SideAction("classify", frozenset({SUBMITTED, PENDING_DISPATCH}), frozenset(CENTRE_INTAKE)),
        SideAction("subdispatch", frozenset(OPEN_FOR_UNITS), frozenset(UNIT)),
        SideAction("request_return", frozenset(OPEN_FOR_UNITS), frozenset(UNIT), True),
        SideAction("refuse_return", frozenset(OPEN_FOR_UNITS), frozenset({R.DISPATCHER, R.REVIEWER}), True),
        SideAction("request_extension", frozenset({IN_PROGRESS}), frozenset(UNIT), True),
        SideAction("decide_extension", frozenset({IN_PROGRESS, REPLIED}), frozenset({R.REVIEWER})),
        SideAction("request_termination", frozenset({IN_PROGRESS}), frozenset(UNIT), True),
        SideAction("refuse_termination", frozenset({IN_PROGRESS}), frozenset({R.REVIEWER}), True),
        SideAction("remind", frozenset(OPEN_STATES - {SUBMITTED}), frozenset({R.SUPERVISOR, R.DISPATCHER})),
        SideAction("supervise", frozenset(OPEN_STATES - {SUBMITTED}), frozenset({R.SUPERVISOR}), True),
        SideAction("escalate", frozenset(OPEN_STATES - {SUBMITTED}), frozenset({R.SUPERVISOR}), True),
        SideAction("callback_attempt", frozenset({PENDING_CALLBACK}), frozenset({R.CALLBACK_AGENT})),
        SideAction("contact_log", frozenset(OPEN_STATES), frozenset(UNIT | {R.CALLBACK_AGENT, R.OPERATOR})),
        SideAction(
            "note",
            frozenset(ALL_STATES),
            frozenset(UNIT | {R.OPERATOR, R.DISPATCHER, R.REVIEWER, R.CALLBACK_AGENT, R.SUPERVISOR}),
        ),
        SideAction(
            "attach",
            frozenset(OPEN_STATES | {CLOSED}),
            frozenset(UNIT | {R.OPERATOR, R.DISPATCHER, R.REVIEWER, R.CALLBACK_AGENT, R.INTEGRATION}),
        ),
        SideAction("repeat_contact", frozenset(OPEN_STATES), frozenset({R.OPERATOR, R.DISPATCHER, R.INTEGRATION})),
    ]
}


# What each move is called in an error message ("Cannot %(action)s ..."): a verb, in the reader's language.
# Each is spelled out as pgettext_lazy("order action", …) so that makemessages extracts it with its context.
ACTION_VERBS = {
    "accept": pgettext_lazy("order action", "accept"),
    "answer": pgettext_lazy("order action", "answer directly"),
    "reject": pgettext_lazy("order action", "dispose of"),
    "merge": pgettext_lazy("order action", "merge"),
    "dispatch": pgettext_lazy("order action", "dispatch"),
    "sign": pgettext_lazy("order action", "sign for"),
    "approve_return": pgettext_lazy("order action", "approve the return of"),
    "reply": pgettext_lazy("order action", "reply to"),
    "approve_reply": pgettext_lazy("order action", "approve the reply to"),
    "send_back": pgettext_lazy("order action", "send back the reply to"),
    "approve_termination": pgettext_lazy("order action", "approve the termination of"),
    "close": pgettext_lazy("order action", "close"),
    "redo": pgettext_lazy("order action", "send back for redo"),
    "classify": pgettext_lazy("order action", "classify"),
    "subdispatch": pgettext_lazy("order action", "dispatch to a sub-unit"),
    "request_return": pgettext_lazy("order action", "ask to return"),
    "refuse_return": pgettext_lazy("order action", "refuse a return"),
    "request_extension": pgettext_lazy("order action", "ask for an extension"),
    "decide_extension": pgettext_lazy("order action", "decide on an extension"),
    "request_termination": pgettext_lazy("order action", "ask for termination"),
    "refuse_termination": pgettext_lazy("order action", "refuse termination"),
    "remind": pgettext_lazy("order action", "remind"),
    "supervise": pgettext_lazy("order action", "supervise"),
    "escalate": pgettext_lazy("order action", "escalate"),
    "callback_attempt": pgettext_lazy("order action", "call back"),
    "contact_log": pgettext_lazy("order action", "log a contact"),
    "note": pgettext_lazy("order action", "add a note"),
    "attach": pgettext_lazy("order action", "attach a file"),
    "repeat_contact": pgettext_lazy("order action", "record a repeat contact"),
}
register_labels("order_action", ACTION_VERBS)


def _action(name: str) -> Code:
    """The move's name in a message: "request return" in English (as ever), its verb when localized."""
    return Code("order_action", name, name.replace("_", " "))


def transition_between(source: str, target: str) -> Transition | None:
    """Return the transition from ``source`` to ``target`` (pairs are unique), or None."""
    for t in TRANSITIONS.values():
        if source in t.sources and t.target == target:
            return t
    return None


def is_allowed(source: str, target: str, role: str) -> bool:
    t = transition_between(source, target)
    return t is not None and role in t.roles


def check_transition(name: str, state: str, roles: frozenset[str] | set[str], reason: str = "") -> Transition:
    """Return the transition if the actor may make it now; raise InvalidTransition or NotPermitted."""
    t = TRANSITIONS[name]
    if state not in t.sources:
        raise InvalidTransition(
            gettext_noop("Cannot %(action)s an order that is %(state)s."),
            params={"action": _action(name), "state": Code("order_state", state)},
            action=name,
            state=state,
        )
    if not t.roles.intersection(roles):
        raise NotPermitted(
            gettext_noop("Your roles may not %(action)s an order."), params={"action": _action(name)}, action=name
        )
    if t.reason_required and not (reason or "").strip():
        raise Invalid(
            gettext_noop("A reason is required."), errors={"reason": [gettext_noop("This field is required.")]}
        )
    return t


def check_side_action(name: str, state: str, roles: frozenset[str] | set[str], reason: str = "") -> SideAction:
    a = SIDE_ACTIONS[name]
    if state not in a.states:
        raise InvalidTransition(
            gettext_noop("Cannot %(action)s while the order is %(state)s."),
            params={"action": _action(name), "state": Code("order_state", state)},
            action=name,
        )
    if not a.roles.intersection(roles):
        raise NotPermitted(
            gettext_noop("Your roles may not %(action)s."), params={"action": _action(name)}, action=name
        )
    if a.reason_required and not (reason or "").strip():
        raise Invalid(
            gettext_noop("A reason is required."), errors={"reason": [gettext_noop("This field is required.")]}
        )
    return a


def available_actions(state: str, roles: frozenset[str] | set[str]) -> list[str]:
    """Return the names of the transitions and side actions these roles may use in this state."""
    names = [t.name for t in TRANSITIONS.values() if state in t.sources and t.roles.intersection(roles)]
    names += [a.name for a in SIDE_ACTIONS.values() if state in a.states and a.roles.intersection(roles)]
    return names
