"""The work-order transition table (domain.md §4), checked against a golden table written out by hand.

Pure: no database. The golden table below is the specification; it is deliberately not derived from
``states.TRANSITIONS``, so a change to the table in the code must be made here too, on purpose.
"""

from __future__ import annotations

import pytest

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Invalid, InvalidTransition, NotPermitted
from yihaotong.workorders import states as S

STATES = (
    "submitted",
    "pending_dispatch",
    "dispatched",
    "in_progress",
    "replied",
    "pending_callback",
    "closed",
    "answered",
    "rejected",
    "merged",
    "terminated",
)
ROLES = (
    "operator",
    "dispatcher",
    "handler",
    "unit_admin",
    "reviewer",
    "callback_agent",
    "supervisor",
    "kb_editor",
    "panel_member",
    "leader",
    "sysadmin",
    "integration",
)

# Every allowed (from_state, to_state, role); anything else is forbidden.
# fmt: off
GOLDEN = {
    # accept (待受理 → 待派单)
    ("submitted", "pending_dispatch", "operator"),
    ("submitted", "pending_dispatch", "dispatcher"),
    # answer directly (直接答复)
    ("submitted", "answered", "operator"),
    ("submitted", "answered", "dispatcher"),
    ("pending_dispatch", "answered", "operator"),
    ("pending_dispatch", "answered", "dispatcher"),
    # classified disposition (分类处置)
    ("submitted", "rejected", "operator"),
    ("submitted", "rejected", "dispatcher"),
    ("pending_dispatch", "rejected", "operator"),
    ("pending_dispatch", "rejected", "dispatcher"),
    # merge (并单)
    ("submitted", "merged", "operator"),
    ("submitted", "merged", "dispatcher"),
    ("pending_dispatch", "merged", "operator"),
    ("pending_dispatch", "merged", "dispatcher"),
    # dispatch (派单)
    ("pending_dispatch", "dispatched", "dispatcher"),
    # sign for (签收)
    ("dispatched", "in_progress", "handler"),
    ("dispatched", "in_progress", "unit_admin"),
    # return approved (退单)
    ("dispatched", "pending_dispatch", "dispatcher"),
    ("dispatched", "pending_dispatch", "reviewer"),
    ("in_progress", "pending_dispatch", "dispatcher"),
    ("in_progress", "pending_dispatch", "reviewer"),
    # reply (答复)
    ("in_progress", "replied", "handler"),
    ("in_progress", "replied", "unit_admin"),
    # review: approve / send back
    ("replied", "pending_callback", "reviewer"),
    ("replied", "in_progress", "reviewer"),
    # termination approved (终止办理)
    ("in_progress", "terminated", "reviewer"),
    # close after callback
    ("pending_callback", "closed", "callback_agent"),
    # redo (重办)
    ("pending_callback", "in_progress", "callback_agent"),
    ("pending_callback", "in_progress", "dispatcher"),
    ("pending_callback", "in_progress", "supervisor"),
    ("closed", "in_progress", "callback_agent"),
    ("closed", "in_progress", "dispatcher"),
    ("closed", "in_progress", "supervisor"),
}

# name: (sources, target, reason required, event kind, public, clock effect)
GOLDEN_TRANSITIONS = {
    "accept": ({"submitted"}, "pending_dispatch", False, "accept", True, "keep"),
    "answer": ({"submitted", "pending_dispatch"}, "answered", False, "answer", True, "stop"),
    "reject": ({"submitted", "pending_dispatch"}, "rejected", True, "reject", True, "stop"),
    "merge": ({"submitted", "pending_dispatch"}, "merged", False, "merge", True, "stop"),
    "dispatch": ({"pending_dispatch"}, "dispatched", False, "dispatch", True, "start"),
    "sign": ({"dispatched"}, "in_progress", False, "sign", True, "sign"),
    "approve_return": ({"dispatched", "in_progress"}, "pending_dispatch", True, "return", False, "stop"),
    "reply": ({"in_progress"}, "replied", False, "reply", True, "keep"),
    "approve_reply": ({"replied"}, "pending_callback", False, "approve_reply", True, "callback"),
    "send_back": ({"replied"}, "in_progress", True, "send_back", False, "keep"),
    "approve_termination": ({"in_progress"}, "terminated", True, "terminate", True, "stop"),
    "close": ({"pending_callback"}, "closed", False, "close", True, "stop"),
    "redo": ({"pending_callback", "closed"}, "in_progress", True, "redo", True, "restart"),
}
# fmt: on


def test_the_golden_table_covers_the_states_and_roles_of_the_code():
    assert S.ALL_STATES == STATES
    assert R.ALL_ROLES == ROLES
    for source, target, role in GOLDEN:
        assert source in STATES and target in STATES and role in ROLES


def test_is_allowed_matches_the_golden_table_for_every_state_pair_and_role():
    wrong = [
        (source, target, role, (source, target, role) in GOLDEN)
        for source in STATES
        for target in STATES
        for role in ROLES
        if S.is_allowed(source, target, role) != ((source, target, role) in GOLDEN)
    ]
    assert wrong == [], "is_allowed disagrees with the golden table (last item: expected)"
    assert len(STATES) * len(STATES) * len(ROLES) == 1452


def test_transitions_match_the_golden_details():
    actual = {
        name: (set(t.sources), t.target, t.reason_required, t.event, t.public, t.clock)
        for name, t in S.TRANSITIONS.items()
    }
    assert actual == GOLDEN_TRANSITIONS


def test_each_state_pair_has_at_most_one_transition():
    pairs = [(source, t.target) for t in S.TRANSITIONS.values() for source in t.sources]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("state", ["answered", "rejected", "merged", "terminated"])
def test_terminal_states_have_no_way_out(state):
    assert state in S.TERMINAL_STATES
    assert not any(S.is_allowed(state, target, role) for target in STATES for role in ROLES)
    assert S.transition_between(state, "in_progress") is None


def test_transition_between_finds_the_named_move():
    assert S.transition_between("replied", "in_progress").name == "send_back"
    assert S.transition_between("closed", "in_progress").name == "redo"
    assert S.transition_between("in_progress", "pending_dispatch").name == "approve_return"
    assert S.transition_between("submitted", "closed") is None
    assert S.transition_between("in_progress", "in_progress") is None


# ---------------------------------------------------------------------------------------------------------
# check_transition


def test_check_transition_returns_the_transition_when_allowed():
    t = S.check_transition("dispatch", "pending_dispatch", {"dispatcher"})
    assert (t.name, t.target, t.event) == ("dispatch", "dispatched", "dispatch")
    # One permitted role among others is enough.
    assert S.check_transition("sign", "dispatched", frozenset({"kb_editor", "unit_admin"})).target == "in_progress"


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("dispatch", "submitted"),
        ("dispatch", "dispatched"),
        ("sign", "in_progress"),
        ("reply", "dispatched"),
        ("approve_reply", "in_progress"),
        ("close", "replied"),
        ("redo", "in_progress"),
        ("accept", "pending_dispatch"),
        ("approve_return", "replied"),
    ],
)
def test_check_transition_refuses_a_move_from_the_wrong_state(name, state):
    every_role = set(ROLES)
    with pytest.raises(InvalidTransition) as exc:
        S.check_transition(name, state, every_role, reason="a reason")
    assert exc.value.extra == {"action": name, "state": state}


@pytest.mark.parametrize(
    ("name", "state", "roles"),
    [
        ("dispatch", "pending_dispatch", {"operator"}),
        ("dispatch", "pending_dispatch", {"handler", "unit_admin"}),
        ("sign", "dispatched", {"dispatcher"}),
        ("approve_reply", "replied", {"handler", "dispatcher"}),
        ("close", "pending_callback", {"reviewer"}),
        ("redo", "closed", {"operator"}),
        ("accept", "submitted", {"integration"}),
        ("approve_termination", "in_progress", {"leader", "sysadmin"}),
        ("answer", "submitted", set()),
    ],
)
def test_check_transition_refuses_a_role_that_may_not(name, state, roles):
    with pytest.raises(NotPermitted):
        S.check_transition(name, state, roles, reason="a reason")


def test_check_transition_checks_the_state_before_the_role():
    with pytest.raises(InvalidTransition):
        S.check_transition("dispatch", "closed", {"panel_member"})


@pytest.mark.parametrize("name", ["reject", "approve_return", "send_back", "approve_termination", "redo"])
@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_check_transition_requires_a_reason_where_the_table_says_so(name, reason):
    t = S.TRANSITIONS[name]
    state = sorted(t.sources)[0]
    role = sorted(t.roles)[0]
    with pytest.raises(Invalid) as exc:
        S.check_transition(name, state, {role}, reason=reason)
    assert "reason" in exc.value.errors
    assert S.check_transition(name, state, {role}, reason="理由").name == name


def test_a_reason_is_not_required_elsewhere():
    assert S.check_transition("accept", "submitted", {"operator"}, reason="").name == "accept"
    assert S.check_transition("close", "pending_callback", {"callback_agent"}).name == "close"


# ---------------------------------------------------------------------------------------------------------
# side actions and buttons


def test_check_side_action():
    assert S.check_side_action("remind", "in_progress", {"supervisor"}).name == "remind"
    with pytest.raises(InvalidTransition):
        S.check_side_action("remind", "submitted", {"supervisor"})
    with pytest.raises(NotPermitted):
        S.check_side_action("supervise", "in_progress", {"dispatcher"}, "note")
    with pytest.raises(Invalid):
        S.check_side_action("supervise", "in_progress", {"supervisor"}, " ")
    with pytest.raises(InvalidTransition):
        S.check_side_action("request_extension", "dispatched", {"handler"}, "reason")
    assert S.check_side_action("note", "terminated", {"operator"}).name == "note"


@pytest.mark.parametrize(
    ("state", "roles", "expected"),
    [
        (
            "pending_dispatch",
            {"dispatcher"},
            {"answer", "reject", "merge", "dispatch", "classify", "remind", "note", "attach", "repeat_contact"},
        ),
        (
            "submitted",
            {"operator"},
            {"accept", "answer", "reject", "merge", "classify", "contact_log", "note", "attach", "repeat_contact"},
        ),
        ("submitted", {"integration"}, {"attach", "repeat_contact"}),
        (
            "in_progress",
            {"handler"},
            {
                "reply",
                "subdispatch",
                "request_return",
                "request_extension",
                "request_termination",
                "contact_log",
                "note",
                "attach",
            },
        ),
        ("dispatched", {"unit_admin"}, {"sign", "subdispatch", "request_return", "contact_log", "note", "attach"}),
        ("replied", {"reviewer"}, {"approve_reply", "send_back", "decide_extension", "note", "attach"}),
        (
            "pending_callback",
            {"callback_agent"},
            {"close", "redo", "callback_attempt", "contact_log", "note", "attach"},
        ),
        ("closed", {"callback_agent"}, {"redo", "note", "attach"}),
        ("closed", {"supervisor"}, {"redo", "note"}),
        ("in_progress", {"supervisor"}, {"remind", "supervise", "escalate", "note"}),
        ("answered", {"operator"}, {"note"}),
        ("terminated", {"panel_member", "kb_editor", "leader", "sysadmin"}, set()),
        ("merged", set(), set()),
    ],
)
def test_available_actions(state, roles, expected):
    names = S.available_actions(state, roles)
    assert len(names) == len(set(names))
    assert set(names) == expected


def test_create_roles():
    assert {
        "submitted": frozenset({"operator", "dispatcher", "integration"}),
        "pending_dispatch": frozenset({"operator", "dispatcher"}),
    } == S.CREATE_ROLES


def test_state_groups():
    assert frozenset({"submitted", "pending_dispatch", "dispatched", "in_progress", "replied", "pending_callback"}) == (
        S.OPEN_STATES
    )
    assert frozenset({"answered", "rejected", "merged", "terminated"}) == S.TERMINAL_STATES
    assert S.CLOCK_OF_STATE == {"dispatched": "sign", "in_progress": "handle", "pending_callback": "callback"}
