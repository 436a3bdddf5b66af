"""The work-order actions (architecture.md §3.1, §3.9): for each action the returned object, the rows it
writes, its event, the clocks it recomputes, the notifications it queues, and that a failed action
writes nothing at all.

Time is always passed in; T0 is Monday 9 March 2026 09:00 in Asia/Shanghai (an ordinary week; the next
holiday is Qingming, Monday 6 April 2026).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CAOSHI, CM, EDU, SHAOCHENG, T0, cast_for_module, drive, new_order, order_input
from yihaotong.audit.models import AccessLog
from yihaotong.core.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from yihaotong.directory.actions import do_set_setting
from yihaotong.directory.policy import invalidate_policy
from yihaotong.intake.models import Contact
from yihaotong.notifications.models import Outbox
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import (
    Application,
    Assignment,
    Attachment,
    Callback,
    ContactLog,
    Event,
    Note,
    OrderSequence,
    Reply,
    Supervision,
    WorkOrder,
)

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


# ---------------------------------------------------------------------------------------------------------
# helpers


def at(month, day, hour=0, minute=0, year=2026, second=0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


WRITTEN = (
    WorkOrder,
    OrderSequence,
    Event,
    Outbox,
    Assignment,
    Application,
    Reply,
    Callback,
    Supervision,
    Note,
    ContactLog,
    Attachment,
    AccessLog,
    Contact,
)


def _snapshot() -> dict:
    snap = {}
    for model in WRITTEN:
        rows = model.objects.order_by("pk").values()
        snap[model.__name__] = [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]
    return snap


@contextmanager
def nothing_written():
    """Assert that the block changes no row of the tables the actions write."""
    before = _snapshot()
    yield
    after = _snapshot()
    for name in before:
        assert after[name] == before[name], f"{name} rows changed by a failed action"


def iso(instant: datetime) -> str:
    """Instants in event payloads are written in UTC."""
    return instant.astimezone(UTC).isoformat()


def events(order, kind=None):
    qs = Event.objects.filter(order=order)
    return qs.filter(kind=kind) if kind else qs


def one_event(order, kind) -> Event:
    return events(order, kind).get()


def sent(kind) -> list[tuple]:
    """Return the queued notifications of a kind as sorted (channel, unit code, role, address) tuples."""
    rows = Outbox.objects.filter(kind=kind).select_related("recipient_unit")
    return sorted(
        (r.channel, r.recipient_unit.code if r.recipient_unit else "", r.recipient_role, r.recipient_address)
        for r in rows
    )


def to_unit(code) -> list[tuple]:
    return [("internal", code, "handler", ""), ("internal", code, "unit_admin", "")]


def to_role(role) -> list[tuple]:
    return [("internal", "", role, "")]


SMS = ("sms", "", "", "13800001234")


def dispatch(cast, order, lead=EDU, supports=(), now=T0, **kw) -> WorkOrder:
    return A.do_dispatch_order(
        cast.dispatcher,
        order.pk,
        lead_unit_id=cast.unit(lead).pk,
        support_unit_ids=[cast.unit(s).pk for s in supports],
        now=now,
        **kw,
    )


def in_progress(cast, lead=EDU, supports=(), now=T0, **overrides) -> WorkOrder:
    order = new_order(cast, now=now, **overrides)
    return drive(cast, order, "in_progress", now=now, lead=lead, supports=supports)


def reply(cast, order, actor=None, now=T0, **kw):
    kw.setdefault("internal_notes", "已现场核实并处理")
    kw.setdefault("public_text", "经核实，已责令工地停止夜间施工。")
    return A.do_reply_order(actor or cast.edu, order.pk, now=now, **kw)


def advance(cast, order, to_state, now=T0) -> WorkOrder:
    """Walk an in-progress order on along the main path (``drive`` starts from an undispatched order)."""
    steps = {
        "in_progress": lambda: None,
        "replied": lambda: reply(cast, order, now=now),
        "pending_callback": lambda: A.do_review_reply(cast.reviewer, order.pk, approve=True, now=now),
        "closed": lambda: A.do_record_callback(
            cast.callback, order.pk, outcome="reached", satisfaction="satisfied", now=now
        ),
    }
    path = list(steps)
    order.refresh_from_db()
    while path.index(order.state) < path.index(to_state):
        steps[path[path.index(order.state) + 1]]()
        order.refresh_from_db()
    return order


def refreshed(order) -> WorkOrder:
    order.refresh_from_db()
    return order


# ---------------------------------------------------------------------------------------------------------
# creation


def test_create_by_operator_is_accepted_at_once(cast):
    order, code = A.do_create_order(cast.operator, order_input(), now=T0)

    order = refreshed(order)
    assert order.state == "pending_dispatch"
    assert order.created_at == T0 and order.accepted_at == T0
    assert order.created_by == cast.operator
    assert (order.request_type.code, order.urgency.code, order.category.code) == ("complaint", "normal", "URB-01-01")
    assert order.street == cast.unit(CAOSHI)
    assert (order.requester_name, order.requester_phone) == ("测试人", "13800001234")
    assert not order.is_confidential
    assert order.due_at is None and order.next_warning_at is None and order.lead_unit is None

    ev = one_event(order, "create")
    assert (ev.from_state, ev.to_state, ev.actor, ev.is_public) == ("", "pending_dispatch", cast.operator, True)
    assert ev.at == T0
    assert ev.payload == {"channel": "call", "request_type": "complaint", "urgency": "normal"}
    assert events(order).count() == 1

    assert sent("order_created") == [SMS]
    sms = Outbox.objects.get(kind="order_created")
    assert order.number in sms.body and code in sms.body and sms.order == order
    assert Outbox.objects.count() == 1  # a normal order does not alert the dispatchers


def test_order_numbers_are_sequential_per_local_day(cast):
    first = new_order(cast, now=T0)
    second = new_order(cast, now=T0 + timedelta(hours=3))
    # 00:30 on 10 March in Shanghai is still 9 March in UTC: the local day decides.
    next_day = new_order(cast, now=at(3, 10, 0, 30))
    third = new_order(cast, now=at(3, 9, 23, 59))

    assert first.number == "QY20260309-0001"
    assert second.number == "QY20260309-0002"
    assert next_day.number == "QY20260310-0001"
    assert third.number == "QY20260309-0003"
    assert all(re.fullmatch(r"QY\d{8}-\d{4}", o.number) for o in (first, second, next_day, third))
    assert dict(OrderSequence.objects.values_list("day", "last")) == {"20260309": 3, "20260310": 1}


def test_query_code_is_checked_against_a_stored_hash(cast):
    order, code = A.do_create_order(cast.operator, order_input(), now=T0)
    order = refreshed(order)

    assert re.fullmatch(r"\d{6}", code)
    assert A.check_query_code(order, code)
    assert A.check_query_code(order, f" {code} ")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not A.check_query_code(order, wrong)
    assert not A.check_query_code(order, "")
    assert not A.check_query_code(order, None)
    # Only a keyed hash is stored, never the code itself.
    assert re.fullmatch(r"[0-9a-f]{64}", order.query_code_hash)
    stored = {k: v for k, v in WorkOrder.objects.filter(pk=order.pk).values().get().items() if isinstance(v, str)}
    assert not any(code in v for k, v in stored.items() if k != "query_code_hash")
    # The hash is bound to the order number: the code of one order does not open another.
    other, other_code = A.do_create_order(cast.operator, order_input(), now=T0)
    assert A.check_query_code(refreshed(other), other_code)
    if other_code != code:
        assert not A.check_query_code(other, code)


def test_create_whistleblowing_and_anonymous(cast):
    report = new_order(cast, request_type="report")
    assert report.is_confidential
    anonymous = new_order(cast, is_anonymous=True, requester_name="张三", requester_phone="", reply_wanted=True)
    assert anonymous.requester_name == "" and anonymous.is_anonymous
    assert not Outbox.objects.filter(order=anonymous).exists()  # no phone, no SMS


def test_create_urgent_alerts_the_dispatchers(cast):
    order = new_order(cast, urgency="urgent")
    assert sent("urgent_order") == to_role("dispatcher")
    assert Outbox.objects.get(kind="urgent_order").order == order


def test_create_invalid_input_writes_nothing(cast):
    with nothing_written(), pytest.raises(Invalid) as exc:
        A.do_create_order(
            cast.operator,
            order_input(request_type="nonsense", subject=" ", street="QY-D-EDU", category="NOPE", channel="fax"),
            now=T0,
        )
    assert set(exc.value.errors) == {"request_type", "subject", "street", "category", "channel"}
    with nothing_written(), pytest.raises(Invalid) as exc:
        A.do_create_order(cast.operator, order_input(requester_phone=""), now=T0)
    assert set(exc.value.errors) == {"requester_phone"}


def test_create_refused_to_roles_that_may_not(cast):
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_create_order(cast.edu, order_input(), now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_create_order(cast.integration, order_input(), accepted=True, now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_create_order(cast.leader, order_input(), now=T0)


def test_create_by_integration_is_submitted_then_accepted(cast):
    order, _ = A.do_create_order(cast.integration, order_input(channel="transfer", source="市长公开电话"), now=T0)
    assert order.state == "submitted" and order.accepted_at is None
    assert one_event(order, "create").to_state == "submitted"

    later = T0 + timedelta(minutes=20)
    accepted = A.do_accept_order(cast.operator, order.pk, now=later)
    assert accepted.state == "pending_dispatch"
    order = refreshed(order)
    assert order.state == "pending_dispatch" and order.accepted_at == later
    ev = one_event(order, "accept")
    assert (ev.from_state, ev.to_state, ev.actor, ev.at, ev.is_public) == (
        "submitted",
        "pending_dispatch",
        cast.operator,
        later,
        True,
    )
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_accept_order(cast.operator, order.pk, now=later)


# ---------------------------------------------------------------------------------------------------------
# intake outcomes on an order: answer, reject, merge, classify


def test_answer_order(cast):
    order = new_order(cast, actor=cast.integration, request_type="consult")
    Outbox.objects.all().delete()

    answered = A.do_answer_order(
        cast.operator, order.pk, answer="  请携带身份证到窗口办理。 ", article_ref="KB-12", now=T0
    )
    assert answered.state == "answered"
    order = refreshed(order)
    assert order.public_reply == "请携带身份证到窗口办理。" and order.article_ref == "KB-12"
    assert order.closed_at == T0 and order.accepted_at == T0
    ev = one_event(order, "answer")
    assert (ev.from_state, ev.to_state, ev.actor, ev.is_public, ev.payload) == (
        "submitted",
        "answered",
        cast.operator,
        True,
        {"article": "KB-12"},
    )
    assert sent("order_answered") == [SMS]


def test_answer_order_failures_write_nothing(cast):
    order = new_order(cast)
    with nothing_written(), pytest.raises(Invalid):
        A.do_answer_order(cast.operator, order.pk, answer="  ", now=T0)
    dispatch(cast, order)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_answer_order(cast.operator, order.pk, answer="答复", now=T0)


def test_reject_order_with_a_disposition_reason(cast):
    order = new_order(cast)
    rejected = A.do_reject_order(cast.operator, order.pk, disposition_reason="litigation", reason="已起诉", now=T0)
    assert rejected.state == "rejected"
    order = refreshed(order)
    assert order.disposition_reason == "litigation" and order.closed_at == T0
    ev = one_event(order, "reject")
    assert (ev.from_state, ev.to_state, ev.reason, ev.payload, ev.is_public) == (
        "pending_dispatch",
        "rejected",
        "已起诉",
        {"disposition_reason": "litigation"},
        True,
    )
    # Without a free-text reason the disposition reason is the event's reason.
    other = new_order(cast)
    A.do_reject_order(cast.dispatcher, other.pk, disposition_reason="petition", now=T0)
    assert one_event(other, "reject").reason == "petition"


def test_reject_order_failures_write_nothing(cast):
    order = new_order(cast)
    with nothing_written(), pytest.raises(Invalid) as exc:
        A.do_reject_order(cast.operator, order.pk, disposition_reason="no_such_reason", now=T0)
    assert "disposition_reason" in exc.value.errors
    with nothing_written(), pytest.raises(NotFound):  # a handler does not see an undispatched order
        A.do_reject_order(cast.edu, order.pk, disposition_reason="litigation", now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_reject_order(cast.reviewer, order.pk, disposition_reason="litigation", now=T0)


def test_merge_order(cast):
    master = new_order(cast)
    dup = new_order(cast, now=T0 + timedelta(hours=1))
    merged = A.do_merge_order(
        cast.operator, dup.pk, master_id=master.pk, reason="同一工地", now=T0 + timedelta(hours=2)
    )

    assert merged.state == "merged"
    dup, master = refreshed(dup), refreshed(master)
    assert dup.master == master and dup.closed_at == T0 + timedelta(hours=2)
    assert master.repeat_count == 1 and master.state == "pending_dispatch"
    ev = one_event(dup, "merge")
    assert (ev.from_state, ev.to_state, ev.reason, ev.payload, ev.actor) == (
        "pending_dispatch",
        "merged",
        "同一工地",
        {"master": master.number},
        cast.operator,
    )
    ev = one_event(master, "merge_in")
    assert (ev.payload, ev.reason, ev.actor, ev.from_state, ev.to_state) == (
        {"merged": dup.number},
        "同一工地",
        cast.operator,
        "",
        "",
    )

    # A duplicate that itself counted repeat contacts brings them along.
    dup2 = new_order(cast)
    A.do_record_repeat_contact(cast.operator, dup2.pk, now=T0)
    A.do_record_repeat_contact(cast.operator, dup2.pk, now=T0)
    A.do_merge_order(cast.dispatcher, dup2.pk, master_id=master.pk, now=T0)
    assert refreshed(master).repeat_count == 1 + 1 + 2


def test_merge_failures_write_nothing(cast):
    order = new_order(cast)
    with nothing_written(), pytest.raises(Invalid):
        A.do_merge_order(cast.operator, order.pk, master_id=order.pk, now=T0)
    answered = new_order(cast)
    A.do_answer_order(cast.operator, answered.pk, answer="已答复", now=T0)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_merge_order(cast.operator, order.pk, master_id=answered.pk, now=T0)
    with nothing_written(), pytest.raises(NotFound):
        A.do_merge_order(cast.operator, order.pk, master_id=987654, now=T0)
    dispatched = dispatch(cast, new_order(cast))
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_merge_order(cast.operator, dispatched.pk, master_id=order.pk, now=T0)


def test_classify_order(cast):
    order = new_order(cast)
    A.do_classify_order(cast.dispatcher, order.pk, category="URB-01-02", now=T0)
    assert refreshed(order).category.code == "URB-01-02"
    assert one_event(order, "classify").payload == {"from": "URB-01-01", "to": "URB-01-02"}
    with nothing_written(), pytest.raises(Invalid):
        A.do_classify_order(cast.dispatcher, order.pk, category="NOPE", now=T0)
    dispatch(cast, order)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_classify_order(cast.dispatcher, order.pk, category="URB-01-01", now=T0)


# ---------------------------------------------------------------------------------------------------------
# dispatch


def test_dispatch_a_complaint_starts_the_sign_and_handle_clocks(cast):
    order = new_order(cast)
    result = dispatch(cast, order, instructions="请尽快核实")

    assert result.state == "dispatched"
    order = refreshed(order)
    assert order.dispatched_at == T0 and order.lead_unit == cast.unit(EDU)
    # Sign-for: the end of the next working day; handling: the end of the 15th working day after.
    assert order.sign_due == at(3, 11) and order.sign_warn_at == at(3, 10)
    assert order.handle_due == at(3, 31) and order.handle_warn_at == at(3, 30)
    assert order.handle_unit == "wd" and order.handle_started_at == T0 and order.extension_days == 0
    # The current clock is the sign-for clock.
    assert order.due_at == at(3, 11) and order.warn_at == at(3, 10) and order.next_warning_at == at(3, 10)
    assert order.warning_level == "none"

    asg = Assignment.objects.get(order=order)
    assert (asg.unit, asg.role, asg.state, asg.designated, asg.dispatched_by) == (
        cast.unit(EDU),
        "lead",
        "pending_sign",
        False,
        cast.dispatcher,
    )
    assert (asg.dispatched_at, asg.sign_due, asg.instructions, asg.parent) == (T0, at(3, 11), "请尽快核实", None)

    ev = one_event(order, "dispatch")
    assert (ev.from_state, ev.to_state, ev.actor, ev.unit, ev.is_public) == (
        "pending_dispatch",
        "dispatched",
        cast.dispatcher,
        cast.unit(EDU),
        True,
    )
    assert ev.payload == {"lead": EDU, "support": [], "redispatch": False}
    assert sent("dispatched") == to_unit(EDU)


def test_dispatch_with_support_units(cast):
    order = dispatch(cast, new_order(cast), supports=(CM, CAOSHI))

    rows = sorted(Assignment.objects.filter(order=order).values_list("unit__code", "role", "state"))
    assert rows == sorted(
        [(EDU, "lead", "pending_sign"), (CM, "support", "pending_sign"), (CAOSHI, "support", "pending_sign")]
    )
    assert one_event(order, "dispatch").payload == {"lead": EDU, "support": [CM, CAOSHI], "redispatch": False}
    assert sent("dispatched") == sorted(to_unit(EDU) + to_unit(CM) + to_unit(CAOSHI))


def test_dispatch_an_urgent_order_runs_on_clock_time(cast):
    order = dispatch(cast, new_order(cast, urgency="urgent", request_type="help"))
    order = refreshed(order)
    assert order.sign_due == T0 + timedelta(minutes=30)
    assert order.sign_warn_at == T0 + timedelta(minutes=22, seconds=30)
    assert order.handle_due == T0 + timedelta(hours=24) and order.handle_warn_at == T0 + timedelta(hours=18)
    assert order.handle_unit == "h"
    assert order.due_at == order.sign_due and order.next_warning_at == order.sign_warn_at


def test_dispatch_a_critical_order_needs_the_dispatchers_deadline(cast):
    order = new_order(cast, urgency="critical")
    with nothing_written(), pytest.raises(Invalid) as exc:
        dispatch(cast, order)
    assert "handle_due" in exc.value.errors
    assert refreshed(order).state == "pending_dispatch"

    with nothing_written(), pytest.raises(Invalid):
        dispatch(cast, order, handle_due=T0 - timedelta(minutes=1))

    dispatch(cast, order, handle_due=T0 + timedelta(hours=4))
    order = refreshed(order)
    assert order.state == "dispatched"
    assert order.sign_due == T0 + timedelta(minutes=15)
    assert order.handle_due == T0 + timedelta(hours=4) and order.handle_warn_at == T0 + timedelta(hours=3)
    assert order.handle_unit == "h"


def test_dispatch_failures_write_nothing(cast):
    order = new_order(cast)
    with nothing_written(), pytest.raises(Invalid) as exc:
        A.do_dispatch_order(cast.dispatcher, order.pk, lead_unit_id=987654, now=T0)
    assert exc.value.errors == {"units": ["unknown unit id 987654"]}
    with nothing_written(), pytest.raises(Invalid):
        dispatch(cast, order, lead="QY-CENTRE")
    with nothing_written(), pytest.raises(Invalid):
        dispatch(cast, order, supports=(EDU,))
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_dispatch_order(cast.operator, order.pk, lead_unit_id=cast.unit(EDU).pk, now=T0)
    with nothing_written(), pytest.raises(NotFound):
        A.do_dispatch_order(cast.dispatcher, 987654, lead_unit_id=cast.unit(EDU).pk, now=T0)
    unclassified = new_order(cast, category=None)
    with nothing_written(), pytest.raises(Invalid) as exc:
        dispatch(cast, unclassified)
    assert "category" in exc.value.errors
    submitted = new_order(cast, actor=cast.integration)
    with nothing_written(), pytest.raises(InvalidTransition):
        dispatch(cast, submitted)
    dispatch(cast, order)
    with nothing_written(), pytest.raises(InvalidTransition):
        dispatch(cast, order, lead=CM)


def test_clock_can_start_at_sign_for(cast):
    do_set_setting(cast.sysadmin, "clock_start", "sign")
    invalidate_policy()  # the setting invalidates on commit; the test never commits
    order = dispatch(cast, new_order(cast))
    order = refreshed(order)
    assert order.sign_due == at(3, 11)
    assert order.handle_due is None and order.handle_started_at is None

    A.do_sign_assignment(cast.edu, order.pk, now=at(3, 10, 15))
    order = refreshed(order)
    # Fifteen working days from Wednesday 11 March: Tuesday 31 March.
    assert order.handle_started_at == at(3, 10, 15) and order.handle_due == at(4, 1)
    assert order.due_at == at(4, 1) and order.warn_at == at(3, 31)


def test_paused_states_move_the_handling_deadline_and_its_warning(cast):
    do_set_setting(cast.sysadmin, "pause_states", ["replied"])
    invalidate_policy()
    order = in_progress(cast)
    reply(cast, order, now=at(3, 10, 9))
    assert refreshed(order).paused_at == at(3, 10, 9)
    # Two working days under review (Tuesday 09:00 to Thursday 09:00) are added back when it is sent back.
    A.do_review_reply(cast.reviewer, order.pk, approve=False, comment="请补充", now=at(3, 12, 9))
    order = refreshed(order)
    assert order.paused_at is None
    assert order.handle_due == at(4, 2) and order.handle_warn_at == at(4, 1)
    assert order.due_at == at(4, 2) and order.warn_at == at(4, 1) and order.next_warning_at == at(4, 1)


# ---------------------------------------------------------------------------------------------------------
# sign for


def test_sign_by_the_lead_unit_puts_the_order_in_progress(cast):
    order = dispatch(cast, new_order(cast), supports=(CM,))
    signed_at = T0 + timedelta(hours=2)
    asg = A.do_sign_assignment(cast.edu, order.pk, now=signed_at)

    assert (asg.unit, asg.state, asg.signed_by, asg.signed_at) == (cast.unit(EDU), "signed", cast.edu, signed_at)
    order = refreshed(order)
    assert order.state == "in_progress" and order.signed_at == signed_at
    # The current clock switches to handling.
    assert order.due_at == at(3, 31) and order.warn_at == at(3, 30) and order.next_warning_at == at(3, 30)
    assert order.handle_due == at(3, 31)  # the clock started at dispatch
    ev = one_event(order, "sign")
    assert (ev.from_state, ev.to_state, ev.actor, ev.unit, ev.at, ev.is_public) == (
        "dispatched",
        "in_progress",
        cast.edu,
        cast.unit(EDU),
        signed_at,
        True,
    )
    assert Assignment.objects.get(order=order, unit=cast.unit(CM)).state == "pending_sign"


def test_sign_by_a_support_unit_leaves_the_order_state(cast):
    order = dispatch(cast, new_order(cast), supports=(CM,))
    asg = A.do_sign_assignment(cast.cm, order.pk, now=T0 + timedelta(hours=1))
    assert (asg.unit, asg.role, asg.state) == (cast.unit(CM), "support", "signed")
    order = refreshed(order)
    assert order.state == "dispatched" and order.signed_at is None and order.due_at == at(3, 11)
    ev = one_event(order, "sign_part")
    assert (ev.actor, ev.unit, ev.payload, ev.from_state, ev.to_state, ev.is_public) == (
        cast.cm,
        cast.unit(CM),
        {"role": "support"},
        "",
        "",
        False,
    )
    assert not events(order, "sign").exists()


def test_sign_failures_write_nothing(cast):
    order = dispatch(cast, new_order(cast))
    with nothing_written(), pytest.raises(NotFound):
        A.do_sign_assignment(cast.caoshi, order.pk, now=T0)  # another unit does not even see it
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_sign_assignment(cast.dispatcher, order.pk, now=T0)
    A.do_sign_assignment(cast.edu, order.pk, now=T0)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_sign_assignment(cast.edu, order.pk, now=T0)


# ---------------------------------------------------------------------------------------------------------
# return (退单) and redispatch (改派)


def test_return_and_redispatch(cast):
    order = dispatch(cast, new_order(cast), supports=(CM,))
    A.do_sign_assignment(cast.cm, order.pk, now=T0)
    requested_at = T0 + timedelta(hours=1)
    app = A.do_request_return(cast.edu, order.pk, reason="  不属于本单位职责 ", now=requested_at)

    assert (app.kind, app.state, app.reason, app.requested_by, app.requested_at) == (
        "return",
        "pending",
        "不属于本单位职责",
        cast.edu,
        requested_at,
    )
    assert app.assignment.unit == cast.unit(EDU)
    ev = one_event(order, "request_return")
    assert (ev.actor, ev.unit, ev.payload, ev.is_public) == (cast.edu, cast.unit(EDU), {"application": app.pk}, False)
    assert sent("return_requested") == to_role("dispatcher")
    assert refreshed(order).state == "dispatched"

    decided_at = T0 + timedelta(hours=2)
    decided = A.do_decide_return(cast.dispatcher, app.pk, approve=True, note="同意改派", now=decided_at)
    assert (decided.state, decided.decided_by, decided.decided_at, decided.decision_note) == (
        "approved",
        cast.dispatcher,
        decided_at,
        "同意改派",
    )
    order = refreshed(order)
    assert order.state == "pending_dispatch" and order.lead_unit is None
    assert order.sign_due is None and order.handle_due is None and order.due_at is None
    assert order.next_warning_at is None
    states = dict(Assignment.objects.filter(order=order).values_list("unit__code", "state"))
    assert states == {EDU: "returned", CM: "withdrawn"}
    lead = Assignment.objects.get(order=order, unit=cast.unit(EDU))
    assert lead.returned_at == decided_at and lead.return_reason == "不属于本单位职责"
    ev = one_event(order, "return")
    assert (ev.from_state, ev.to_state, ev.actor, ev.reason, ev.is_public, ev.unit) == (
        "dispatched",
        "pending_dispatch",
        cast.dispatcher,
        "不属于本单位职责",
        False,
        cast.unit(EDU),
    )
    assert sent("returned") == to_role("dispatcher")

    redispatched_at = at(3, 10, 9)
    dispatch(cast, order, lead=CAOSHI, now=redispatched_at)
    order = refreshed(order)
    assert order.state == "dispatched" and order.lead_unit == cast.unit(CAOSHI)
    assert order.sign_due == at(3, 12) and order.handle_due == at(4, 1)
    ev = events(order, "dispatch").last()
    assert ev.payload == {"lead": CAOSHI, "support": [], "redispatch": True}
    rows = sorted(Assignment.objects.filter(order=order).values_list("unit__code", "role", "state"))
    assert rows == sorted([(EDU, "lead", "returned"), (CM, "support", "withdrawn"), (CAOSHI, "lead", "pending_sign")])


def test_return_of_a_signed_order_is_approved_by_a_reviewer(cast):
    order = in_progress(cast)
    app = A.do_request_return(cast.edu, order.pk, reason="职责不符", now=T0)
    A.do_decide_return(cast.reviewer, app.pk, approve=True, now=T0)
    ev = one_event(order, "return")
    assert (ev.from_state, ev.to_state) == ("in_progress", "pending_dispatch")


def test_return_refused(cast):
    order = dispatch(cast, new_order(cast))
    app = A.do_request_return(cast.edu, order.pk, reason="不属于本单位", now=T0)
    with nothing_written(), pytest.raises(Invalid):
        A.do_decide_return(cast.dispatcher, app.pk, approve=False, note="", now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_decide_return(cast.supervisor, app.pk, approve=False, note="不同意", now=T0)

    decided = A.do_decide_return(cast.dispatcher, app.pk, approve=False, note="属于你单位职责", now=T0)
    assert decided.state == "refused"
    assert refreshed(order).state == "dispatched"
    assert Assignment.objects.get(order=order).state == "pending_sign"
    ev = one_event(order, "refuse_return")
    assert (ev.reason, ev.actor, ev.unit) == ("属于你单位职责", cast.dispatcher, cast.unit(EDU))
    assert sent("return_refused") == to_unit(EDU)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=T0)


def test_return_of_a_support_part(cast):
    order = dispatch(cast, new_order(cast), supports=(CM,))
    app = A.do_request_return(cast.cm, order.pk, reason="无协办职责", now=T0)
    A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=T0)
    order = refreshed(order)
    assert order.state == "dispatched" and order.lead_unit == cast.unit(EDU)
    assert dict(Assignment.objects.filter(order=order).values_list("unit__code", "state")) == {
        EDU: "pending_sign",
        CM: "returned",
    }
    assert one_event(order, "return_part").unit == cast.unit(CM)
    assert not events(order, "return").exists()


def test_return_window_is_two_working_days_after_dispatch(cast):
    order = dispatch(cast, new_order(cast))  # Monday 09:00: the window closes at the end of Wednesday
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_request_return(cast.edu, order.pk, reason="不属于本单位", now=at(3, 12, 0, 1))
    with nothing_written(), pytest.raises(Invalid):
        A.do_request_return(cast.edu, order.pk, reason=" ", now=T0)
    app = A.do_request_return(cast.edu, order.pk, reason="不属于本单位", now=at(3, 11, 23, 59))
    assert app.state == "pending"
    with nothing_written(), pytest.raises(Conflict):
        A.do_request_return(cast.edu, order.pk, reason="再次申请", now=at(3, 11, 23, 59))


def test_a_designated_unit_may_not_return_twice(cast):
    order = dispatch(cast, new_order(cast), designated=True)
    assert Assignment.objects.get(order=order).designated
    app = A.do_request_return(cast.edu, order.pk, reason="不属于本单位", now=T0)
    A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=T0)
    dispatch(cast, order, designated=True, now=T0 + timedelta(hours=1))

    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_request_return(cast.edu, order.pk, reason="仍不属于本单位", now=T0 + timedelta(hours=2))

    # A unit that was not designated may return again.
    other = dispatch(cast, new_order(cast))
    app = A.do_request_return(cast.edu, other.pk, reason="不属于本单位", now=T0)
    A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=T0)
    dispatch(cast, other, now=T0 + timedelta(hours=1))
    assert A.do_request_return(cast.edu, other.pk, reason="仍不属于", now=T0 + timedelta(hours=2)).state == "pending"


# ---------------------------------------------------------------------------------------------------------
# sub-dispatch (下派)


def test_subdispatch_to_a_community(cast):
    order = in_progress(cast, lead=CAOSHI)
    community = cast.community.unit
    parent = Assignment.objects.get(order=order, unit=cast.unit(CAOSHI))

    child = A.do_subdispatch(
        cast.caoshi_admin, order.pk, sub_unit_id=community.pk, instructions="请社区上门核实", now=T0
    )
    assert (child.unit, child.parent, child.role, child.state, child.dispatched_by, child.instructions) == (
        community,
        parent,
        "lead",
        "pending_sign",
        cast.caoshi_admin,
        "请社区上门核实",
    )
    ev = one_event(order, "subdispatch")
    assert (ev.unit, ev.actor, ev.payload) == (community, cast.caoshi_admin, {"from": CAOSHI, "to": community.code})
    assert sent("subdispatched") == to_unit(community.code)

    signed = A.do_sign_assignment(cast.community, order.pk, now=T0 + timedelta(hours=1))
    assert signed == child and refreshed(order).state == "in_progress"
    assert one_event(order, "sign_part").payload == {"role": "lead"}

    # The street cannot reply while its community has not.
    with nothing_written(), pytest.raises(InvalidTransition):
        reply(cast, order, actor=cast.caoshi)

    part = A.do_reply_order(cast.community, order.pk, internal_notes="已上门核实", now=T0 + timedelta(hours=2))
    assert (part.state, part.assignment, part.public_text) == ("internal", child, "")
    assert refreshed(order).state == "in_progress"
    assert one_event(order, "reply_part").unit == community
    child.refresh_from_db()
    assert child.state == "replied" and child.replied_at == T0 + timedelta(hours=2)

    lead_reply = reply(cast, order, actor=cast.caoshi, now=T0 + timedelta(hours=3))
    assert lead_reply.state == "pending" and lead_reply.assignment == parent
    assert refreshed(order).state == "replied"


def test_subdispatch_failures_write_nothing(cast):
    order = dispatch(cast, new_order(cast), lead=CAOSHI)
    community = cast.community.unit
    with nothing_written(), pytest.raises(InvalidTransition):  # sign for it first
        A.do_subdispatch(cast.caoshi_admin, order.pk, sub_unit_id=community.pk, now=T0)
    A.do_sign_assignment(cast.caoshi, order.pk, now=T0)
    with nothing_written(), pytest.raises(Invalid):  # not a sub-unit of 草市街
        A.do_subdispatch(cast.caoshi_admin, order.pk, sub_unit_id=cast.unit("QY-D-EDU-01").pk, now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_subdispatch(cast.dispatcher, order.pk, sub_unit_id=community.pk, now=T0)
    A.do_subdispatch(cast.caoshi_admin, order.pk, sub_unit_id=community.pk, now=T0)
    with nothing_written(), pytest.raises(Conflict):
        A.do_subdispatch(cast.caoshi, order.pk, sub_unit_id=community.pk, now=T0)


# ---------------------------------------------------------------------------------------------------------
# reply and review


def test_reply_goes_to_review(cast):
    order = in_progress(cast, supports=(CM,))
    replied_at = at(3, 10, 15)
    r = reply(cast, order, now=replied_at, requester_contacted=True, solved=True)

    assert (r.state, r.author, r.assignment.unit, r.created_at, r.requester_contacted, r.solved) == (
        "pending",
        cast.edu,
        cast.unit(EDU),
        replied_at,
        True,
        True,
    )
    assert r.public_text == "经核实，已责令工地停止夜间施工。"
    order = refreshed(order)
    assert order.state == "replied" and order.replied_at == replied_at
    assert order.due_at is None and order.next_warning_at is None
    ev = one_event(order, "reply")
    assert (ev.from_state, ev.to_state, ev.actor, ev.unit, ev.payload, ev.is_public) == (
        "in_progress",
        "replied",
        cast.edu,
        cast.unit(EDU),
        {"on_time": True},
        True,
    )
    assert Assignment.objects.get(order=order, unit=cast.unit(EDU)).state == "replied"
    assert sent("reply_to_review") == to_role("reviewer")


def test_a_late_reply_is_marked_late(cast):
    order = in_progress(cast)
    reply(cast, order, now=at(3, 31, 0, 1))
    assert one_event(order, "reply").payload == {"on_time": False}


def test_reply_failures_write_nothing(cast):
    order = dispatch(cast, new_order(cast), supports=(CM,))
    with nothing_written(), pytest.raises(InvalidTransition):  # not signed yet
        reply(cast, order)
    A.do_sign_assignment(cast.edu, order.pk, now=T0)
    with nothing_written(), pytest.raises(Invalid) as exc:
        reply(cast, order, public_text="  ")
    assert set(exc.value.errors) == {"public_text"}
    with nothing_written(), pytest.raises(Invalid) as exc:
        reply(cast, order, internal_notes="", public_text="")
    assert set(exc.value.errors) == {"internal_notes", "public_text"}
    with nothing_written(), pytest.raises(NotPermitted):
        reply(cast, order, actor=cast.reviewer)
    # A support unit's reply is internal and needs no public text, but it must be signed for first.
    with nothing_written(), pytest.raises(InvalidTransition):
        reply(cast, order, actor=cast.cm, public_text="")


def test_a_requester_who_wants_no_reply_needs_no_public_text(cast):
    order = in_progress(cast, reply_wanted=False)
    r = reply(cast, order, public_text="")
    assert r.state == "pending" and refreshed(order).state == "replied"


def test_review_approves_the_reply_and_starts_the_callback_clock(cast):
    order = in_progress(cast)
    r = reply(cast, order, now=at(3, 10, 15))
    Outbox.objects.all().delete()
    approved_at = at(3, 11, 9)

    reviewed = A.do_review_reply(cast.reviewer, order.pk, approve=True, comment="同意", now=approved_at)
    assert reviewed == r
    r.refresh_from_db()
    assert (r.state, r.reviewed_by, r.reviewed_at, r.review_comment) == ("approved", cast.reviewer, approved_at, "同意")
    order = refreshed(order)
    assert order.state == "pending_callback" and order.reply_approved_at == approved_at
    assert order.public_reply == r.public_text
    # Callback within one working day after approval: the end of Thursday 12 March.
    assert order.callback_due == at(3, 13) and order.callback_warn_at == at(3, 12)
    assert order.due_at == at(3, 13) and order.warn_at == at(3, 12) and order.next_warning_at == at(3, 12)
    ev = one_event(order, "approve_reply")
    assert (ev.from_state, ev.to_state, ev.actor, ev.is_public, ev.reason) == (
        "replied",
        "pending_callback",
        cast.reviewer,
        True,
        "同意",
    )
    assert sent("reply_approved") == [SMS]


def test_review_sends_the_reply_back(cast):
    order = in_progress(cast)
    r = reply(cast, order, now=at(3, 10, 15))
    with nothing_written(), pytest.raises(Invalid):
        A.do_review_reply(cast.reviewer, order.pk, approve=False, comment=" ", now=at(3, 11))
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_review_reply(cast.dispatcher, order.pk, approve=True, now=at(3, 11))

    A.do_review_reply(cast.reviewer, order.pk, approve=False, comment="答复内容不完整", now=at(3, 11, 9))
    r.refresh_from_db()
    assert r.state == "sent_back" and r.review_comment == "答复内容不完整"
    order = refreshed(order)
    assert order.state == "in_progress"
    assert order.due_at == at(3, 31) and order.warn_at == at(3, 30)  # the handling clock goes on
    asg = Assignment.objects.get(order=order)
    assert asg.state == "signed" and asg.replied_at is None
    ev = one_event(order, "send_back")
    assert (ev.from_state, ev.to_state, ev.reason, ev.is_public) == (
        "replied",
        "in_progress",
        "答复内容不完整",
        False,
    )
    assert sent("reply_sent_back") == to_unit(EDU)

    # The unit replies again; the new reply is the one under review.
    second = reply(cast, order, now=at(3, 12), public_text="补充答复")
    A.do_review_reply(cast.reviewer, order.pk, approve=True, now=at(3, 12, 10))
    second.refresh_from_db()
    assert second.state == "approved" and refreshed(order).public_reply == "补充答复"
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_review_reply(cast.reviewer, order.pk, approve=True, now=at(3, 12, 11))


# ---------------------------------------------------------------------------------------------------------
# extension (延期)


def test_extension_request_and_approval(cast):
    order = in_progress(cast)
    requested_at = at(3, 12, 10)
    app = A.do_request_extension(cast.edu, order.pk, working_days=5, reason="需要第三方检测", now=requested_at)
    assert (app.kind, app.state, app.working_days, app.old_due, app.reason, app.requested_by) == (
        "extension",
        "pending",
        5,
        at(3, 31),
        "需要第三方检测",
        cast.edu,
    )
    ev = one_event(order, "request_extension")
    assert (ev.reason, ev.payload, ev.unit, ev.is_public) == (
        "需要第三方检测",
        {"working_days": 5, "application": app.pk},
        cast.unit(EDU),
        False,
    )
    assert sent("extension_requested") == to_role("reviewer")
    with nothing_written(), pytest.raises(Conflict):
        A.do_request_extension(cast.edu, order.pk, working_days=1, reason="再申请", now=requested_at)
    Outbox.objects.all().delete()

    decided_at = at(3, 13, 10)
    decided = A.do_decide_extension(cast.reviewer, app.pk, approve=True, note="同意延期", now=decided_at)
    # Five working days after Monday 30 March, skipping Qingming (Monday 6 April): Tuesday 7 April.
    assert (decided.state, decided.new_due, decided.decided_by, decided.decided_at) == (
        "approved",
        at(4, 8),
        cast.reviewer,
        decided_at,
    )
    order = refreshed(order)
    assert order.handle_due == at(4, 8) and order.handle_warn_at == at(4, 7) and order.extension_days == 5
    assert order.due_at == at(4, 8) and order.warn_at == at(4, 7) and order.next_warning_at == at(4, 7)
    ev = one_event(order, "extension_approved")
    assert (ev.is_public, ev.actor, ev.reason) == (True, cast.reviewer, "同意延期")
    assert ev.payload == {"old_due": iso(at(3, 31)), "new_due": iso(at(4, 8)), "working_days": 5}
    # The requester is told the new deadline: the last day to handle it, 7 April.
    assert sent("extension_approved") == [SMS]
    sms = Outbox.objects.get(kind="extension_approved")
    assert "2026-04-07" in sms.body and sms.order == order
    assert sent("extension_decided") == to_unit(EDU)


def test_extension_refused(cast):
    order = in_progress(cast)
    app = A.do_request_extension(cast.edu, order.pk, working_days=3, reason="需要时间", now=at(3, 12))
    Outbox.objects.all().delete()
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_decide_extension(cast.dispatcher, app.pk, approve=True, now=at(3, 13))
    decided = A.do_decide_extension(cast.reviewer, app.pk, approve=False, note="理由不充分", now=at(3, 13))
    assert decided.state == "refused" and decided.new_due is None
    order = refreshed(order)
    assert order.handle_due == at(3, 31) and order.extension_days == 0
    ev = one_event(order, "extension_refused")
    assert (ev.reason, ev.is_public) == ("理由不充分", False)
    assert sent("extension_decided") == to_unit(EDU)
    assert not Outbox.objects.filter(channel="sms").exists()
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_decide_extension(cast.reviewer, app.pk, approve=True, now=at(3, 13))


def test_extensions_are_capped_at_ten_working_days_in_all(cast):
    order = in_progress(cast)
    with nothing_written(), pytest.raises(Invalid) as exc:
        A.do_request_extension(cast.edu, order.pk, working_days=11, reason="需要时间", now=at(3, 12))
    assert exc.value.errors == {"working_days": ["at most 10 more"]}
    with nothing_written(), pytest.raises(Invalid):
        A.do_request_extension(cast.edu, order.pk, working_days=0, reason="需要时间", now=at(3, 12))
    app = A.do_request_extension(cast.edu, order.pk, working_days=6, reason="需要时间", now=at(3, 12))
    A.do_decide_extension(cast.reviewer, app.pk, approve=True, now=at(3, 12))
    with nothing_written(), pytest.raises(Invalid) as exc:
        A.do_request_extension(cast.edu, order.pk, working_days=5, reason="还需要", now=at(3, 13))
    assert exc.value.errors == {"working_days": ["at most 4 more"]}
    assert A.do_request_extension(cast.edu, order.pk, working_days=4, reason="还需要", now=at(3, 13)).state == (
        "pending"
    )


def test_extension_request_failures_write_nothing(cast):
    order = in_progress(cast)
    with nothing_written(), pytest.raises(Invalid):
        A.do_request_extension(cast.edu, order.pk, working_days=2, reason="  ", now=at(3, 12))
    with nothing_written(), pytest.raises(InvalidTransition):  # after the deadline
        A.do_request_extension(cast.edu, order.pk, working_days=2, reason="来不及", now=at(3, 31))
    urgent = in_progress(cast, urgency="urgent")
    with nothing_written(), pytest.raises(InvalidTransition):  # hour clocks are not extended in working days
        A.do_request_extension(cast.edu, urgent.pk, working_days=1, reason="来不及", now=T0 + timedelta(hours=1))
    dispatched = dispatch(cast, new_order(cast))
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_request_extension(cast.edu, dispatched.pk, working_days=1, reason="来不及", now=T0)


# ---------------------------------------------------------------------------------------------------------
# termination (终止办理)


def test_termination_request_and_approval(cast):
    order = in_progress(cast, supports=(CM,))
    app = A.do_request_termination(cast.edu, order.pk, reason="诉求人撤回诉求", now=at(3, 10))
    assert (app.kind, app.state, app.reason) == ("termination", "pending", "诉求人撤回诉求")
    assert one_event(order, "request_termination").payload == {"application": app.pk}
    assert sent("termination_requested") == to_role("reviewer")
    with nothing_written(), pytest.raises(Conflict):
        A.do_request_termination(cast.edu, order.pk, reason="再次申请", now=at(3, 10))

    decided = A.do_decide_termination(cast.reviewer, app.pk, approve=True, note="核实属实", now=at(3, 11))
    assert decided.state == "approved"
    order = refreshed(order)
    assert order.state == "terminated" and order.closed_at == at(3, 11)
    assert order.due_at is None and order.next_warning_at is None
    assert set(Assignment.objects.filter(order=order).values_list("state", flat=True)) == {"withdrawn"}
    ev = one_event(order, "terminate")
    assert (ev.from_state, ev.to_state, ev.reason, ev.is_public, ev.payload) == (
        "in_progress",
        "terminated",
        "诉求人撤回诉求",
        True,
        {"application": app.pk, "note": "核实属实"},
    )
    assert sent("terminated") == [SMS]
    assert sent("termination_decided") == to_unit(EDU)


def test_termination_refused_and_failures(cast):
    order = in_progress(cast, supports=(CM,))
    A.do_sign_assignment(cast.cm, order.pk, now=T0)
    with nothing_written(), pytest.raises(NotPermitted):  # only the lead unit asks
        A.do_request_termination(cast.cm, order.pk, reason="无法办理", now=T0)
    with nothing_written(), pytest.raises(Invalid):
        A.do_request_termination(cast.edu, order.pk, reason="", now=T0)
    app = A.do_request_termination(cast.edu, order.pk, reason="无法办理", now=T0)
    with nothing_written(), pytest.raises(Invalid):
        A.do_decide_termination(cast.reviewer, app.pk, approve=False, note="", now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_decide_termination(cast.dispatcher, app.pk, approve=True, now=T0)
    A.do_decide_termination(cast.reviewer, app.pk, approve=False, note="应继续办理", now=T0)
    assert refreshed(order).state == "in_progress"
    assert one_event(order, "refuse_termination").reason == "应继续办理"
    assert Application.objects.get(pk=app.pk).state == "refused"


# ---------------------------------------------------------------------------------------------------------
# supervision (催办 / 督办 / 挂牌督办)


def test_remind_supervise_escalate(cast):
    order = in_progress(cast)

    sup = A.do_supervise_order(cast.supervisor, order.pk, level="remind", now=at(3, 20))
    assert (sup.level, sup.unit, sup.by, sup.at, sup.note) == ("remind", cast.unit(EDU), cast.supervisor, at(3, 20), "")
    assert refreshed(order).supervision_level == "remind"
    assert one_event(order, "remind").unit == cast.unit(EDU)
    assert sent("remind") == to_unit(EDU)

    A.do_supervise_order(cast.supervisor, order.pk, level="supervise", note="请加快办理", now=at(3, 23))
    assert refreshed(order).supervision_level == "supervise"
    assert one_event(order, "supervise").reason == "请加快办理"
    assert sent("supervise") == to_unit(EDU)
    assert not Outbox.objects.filter(kind="escalated").exists()

    A.do_supervise_order(cast.supervisor, order.pk, level="escalate", note="挂牌督办", now=at(3, 24))
    assert refreshed(order).supervision_level == "escalate"
    assert sent("escalate") == to_unit(EDU)
    assert sent("escalated") == to_role("leader")

    # A later reminder is recorded but does not lower the level.
    A.do_supervise_order(cast.dispatcher, order.pk, level="remind", now=at(3, 25))
    assert refreshed(order).supervision_level == "escalate"
    assert list(Supervision.objects.filter(order=order).values_list("level", flat=True)) == [
        "remind",
        "supervise",
        "escalate",
        "remind",
    ]


def test_supervision_failures_write_nothing(cast):
    order = in_progress(cast)
    with nothing_written(), pytest.raises(Invalid):
        A.do_supervise_order(cast.supervisor, order.pk, level="shout", now=T0)
    with nothing_written(), pytest.raises(Invalid):
        A.do_supervise_order(cast.supervisor, order.pk, level="supervise", note=" ", now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_supervise_order(cast.dispatcher, order.pk, level="escalate", note="挂牌", now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_supervise_order(cast.edu, order.pk, level="remind", now=T0)
    submitted = new_order(cast, actor=cast.integration)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_supervise_order(cast.supervisor, submitted.pk, level="remind", now=T0)


# ---------------------------------------------------------------------------------------------------------
# notes, contact logs, attachments, repeat contacts


def test_notes(cast):
    order = in_progress(cast)
    note = A.do_add_note(cast.edu, order.pk, text=" 已约诉求人周三见面 ", now=at(3, 10))
    assert (note.text, note.author, note.unit, note.at) == ("已约诉求人周三见面", cast.edu, cast.unit(EDU), at(3, 10))
    assert one_event(order, "note").payload == {"note": note.pk}
    assert not one_event(order, "note").is_public
    centre_note = A.do_add_note(cast.reviewer, order.pk, text="注意回访口径", now=at(3, 10))
    assert centre_note.unit is None
    with nothing_written(), pytest.raises(Invalid):
        A.do_add_note(cast.edu, order.pk, text="  ", now=at(3, 10))
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_add_note(cast.leader, order.pk, text="领导批示", now=at(3, 10))


def test_contact_logs(cast):
    order = in_progress(cast)
    log = A.do_log_contact(cast.edu, order.pk, note="电话联系，约定上门", method="phone", now=at(3, 10, 11))
    assert (log.unit, log.by, log.at, log.method, log.note) == (
        cast.unit(EDU),
        cast.edu,
        at(3, 10, 11),
        "phone",
        "电话联系，约定上门",
    )
    ev = one_event(order, "contact_log")
    assert (ev.actor, ev.unit, ev.payload) == (cast.edu, cast.unit(EDU), {"method": "phone"})
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_log_contact(cast.reviewer, order.pk, note="x", now=at(3, 10))
    advance(cast, order, "closed", now=at(3, 12))
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_log_contact(cast.edu, order.pk, note="x", now=at(3, 13))


def test_attachments(cast):
    order = in_progress(cast)
    upload = SimpleUploadedFile("现场照片.txt", "现场情况说明".encode(), content_type="text/plain")
    att = A.do_add_attachment(cast.edu, order.pk, uploaded_file=upload, is_public=False, now=at(3, 10))
    assert (att.name, att.content_type, att.size, att.uploaded_by, att.is_public) == (
        "现场照片.txt",
        "text/plain",
        len("现场情况说明".encode()),
        cast.edu,
        False,
    )
    assert att.file.read() == "现场情况说明".encode()
    assert one_event(order, "attach").payload == {"attachment": att.pk, "name": "现场照片.txt"}
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    with nothing_written(), pytest.raises(Invalid):
        A.do_add_attachment(cast.edu, order.pk, uploaded_file=bad, now=at(3, 10))


def test_repeat_contacts_make_a_review_candidate_at_ten(cast):
    order = dispatch(cast, new_order(cast))
    for i in range(1, 10):
        A.do_record_repeat_contact(cast.operator, order.pk, note=f"第{i}次来电", now=T0 + timedelta(minutes=i))
    order = refreshed(order)
    assert order.repeat_count == 9 and not order.is_review_candidate
    A.do_record_repeat_contact(cast.operator, order.pk, note="第10次来电", now=T0 + timedelta(hours=1))
    order = refreshed(order)
    assert order.repeat_count == 10 and order.is_review_candidate
    last = events(order, "repeat_contact").last()
    assert (last.payload, last.reason) == ({"repeat_count": 10}, "第10次来电")
    assert Outbox.objects.filter(kind="repeat_contact", recipient_unit=cast.unit(EDU)).count() == 20
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_record_repeat_contact(cast.edu, order.pk, now=T0)


# ---------------------------------------------------------------------------------------------------------
# callback, redo, close


def pending_callback(cast, now=T0, **overrides) -> WorkOrder:
    return drive(cast, new_order(cast, now=now, **overrides), "pending_callback", now=now)


def test_satisfied_callback_closes_the_order(cast):
    order = pending_callback(cast)
    cb = A.do_record_callback(
        cast.callback, order.pk, outcome="reached", contacted=True, solved=True, satisfaction="satisfied", now=at(3, 10)
    )
    assert (cb.outcome, cb.satisfaction, cb.round, cb.agent, cb.contacted, cb.solved) == (
        "reached",
        "satisfied",
        0,
        cast.callback,
        True,
        True,
    )
    order = refreshed(order)
    assert order.state == "closed" and order.closed_at == at(3, 10) and order.satisfaction == "satisfied"
    assert order.due_at is None and order.next_warning_at is None
    ev = one_event(order, "callback")
    assert ev.payload == {
        "outcome": "reached",
        "contacted": True,
        "solved": True,
        "satisfaction": "satisfied",
        "score5": None,
    }
    ev = one_event(order, "close")
    assert (ev.from_state, ev.to_state, ev.actor, ev.is_public, ev.payload) == (
        "pending_callback",
        "closed",
        cast.callback,
        True,
        {"satisfaction": "satisfied"},
    )


def test_dissatisfied_callback_sends_the_order_back_for_redo(cast):
    order = pending_callback(cast)
    Outbox.objects.all().delete()
    redo_at = at(3, 10, 10)
    A.do_record_callback(
        cast.callback, order.pk, outcome="reached", satisfaction="dissatisfied", reason="噪音仍在", now=redo_at
    )
    order = refreshed(order)
    assert order.state == "in_progress"
    assert (order.redo_count, order.dissatisfied_count, order.is_review_candidate) == (1, 1, False)
    assert order.satisfaction == "dissatisfied" and order.closed_at is None
    assert order.callback_due is None and order.callback_warn_at is None
    # A new handling clock from now: 15 working days from Wednesday 11 March.
    assert order.handle_started_at == redo_at and order.handle_due == at(4, 1) and order.handle_warn_at == at(3, 31)
    assert order.due_at == at(4, 1) and order.next_warning_at == at(3, 31)
    lead = Assignment.objects.get(order=order)
    assert lead.state == "signed" and lead.replied_at is None
    ev = one_event(order, "redo")
    assert (ev.from_state, ev.to_state, ev.actor, ev.reason, ev.payload, ev.is_public, ev.unit) == (
        "pending_callback",
        "in_progress",
        cast.callback,
        "噪音仍在",
        {"round": 1},
        True,
        cast.unit(EDU),
    )
    assert sent("redo") == to_unit(EDU)


def test_after_the_last_redo_round_a_dissatisfied_callback_closes_for_review(cast):
    order = pending_callback(cast)
    for round_, day in [(0, 10), (1, 11)]:
        A.do_record_callback(
            cast.callback, order.pk, outcome="reached", satisfaction="dissatisfied", reason="不满意", now=at(3, day)
        )
        assert refreshed(order).redo_count == round_ + 1
        advance(cast, order, "pending_callback", now=at(3, day, 12))
    order = refreshed(order)
    assert (order.redo_count, order.dissatisfied_count, order.is_review_candidate) == (2, 2, True)

    A.do_record_callback(
        cast.callback, order.pk, outcome="reached", satisfaction="dissatisfied", reason="仍不满意", now=at(3, 12)
    )
    order = refreshed(order)
    assert order.state == "closed" and order.is_review_candidate
    assert (order.redo_count, order.dissatisfied_count, order.closed_at) == (2, 3, at(3, 12))
    ev = one_event(order, "close")
    assert (ev.reason, ev.payload) == ("redo rounds exhausted", {"review_candidate": True})
    assert list(Callback.objects.filter(order=order).values_list("round", flat=True)) == [0, 1, 2]
    assert events(order, "redo").count() == 2


def test_redo_of_a_critical_order_gets_the_dispatchers_span_again(cast):
    order = new_order(cast, urgency="critical")
    dispatch(cast, order, handle_due=T0 + timedelta(hours=4))
    A.do_sign_assignment(cast.edu, order.pk, now=T0)
    advance(cast, order, "pending_callback")
    redo_at = T0 + timedelta(hours=6)
    A.do_record_callback(
        cast.callback, order.pk, outcome="reached", satisfaction="dissatisfied", reason="仍有危险", now=redo_at
    )
    order = refreshed(order)
    assert order.state == "in_progress" and order.redo_count == 1
    assert order.handle_started_at == redo_at and order.handle_due == redo_at + timedelta(hours=4)
    assert order.handle_unit == "h" and order.handle_warn_at == redo_at + timedelta(hours=3)


def test_three_unanswered_callbacks_close_the_order_unreached(cast):
    order = pending_callback(cast)
    for i in range(2):
        A.do_record_callback(cast.callback, order.pk, outcome="no_answer", now=at(3, 10, 9 + i))
        assert refreshed(order).state == "pending_callback"
    A.do_record_callback(cast.callback, order.pk, outcome="no_answer", now=at(3, 10, 15))
    order = refreshed(order)
    assert order.state == "closed" and order.satisfaction == "" and order.closed_at == at(3, 10, 15)
    ev = one_event(order, "close")
    assert ev.payload == {"unreached": True, "attempts": 3}
    assert ev.reason == "callback not possible: no_answer"
    assert list(Callback.objects.filter(order=order).values_list("outcome", "satisfaction")) == [("no_answer", "")] * 3


def test_a_wrong_number_closes_at_once(cast):
    order = pending_callback(cast)
    A.do_record_callback(cast.callback, order.pk, outcome="wrong_number", now=at(3, 10))
    assert refreshed(order).state == "closed"
    assert one_event(order, "close").payload == {"unreached": True, "attempts": 1}


@pytest.mark.parametrize(
    ("score", "level", "state"),
    [
        (5, "satisfied", "closed"),
        (4, "satisfied", "closed"),
        (3, "basically", "closed"),
        (2, "dissatisfied", "in_progress"),
        (1, "dissatisfied", "in_progress"),
    ],
)
def test_five_level_scores_fold_onto_three_levels(cast, score, level, state):
    order = pending_callback(cast)
    cb = A.do_record_callback(cast.callback, order.pk, outcome="reached", score5=score, reason="评价", now=at(3, 10))
    assert (cb.score5, cb.satisfaction) == (score, level)
    order = refreshed(order)
    assert (order.satisfaction, order.state) == (level, state)


def test_callback_failures_write_nothing(cast):
    order = pending_callback(cast)
    with nothing_written(), pytest.raises(Invalid):
        A.do_record_callback(cast.callback, order.pk, outcome="maybe", now=at(3, 10))
    with nothing_written(), pytest.raises(Invalid):
        A.do_record_callback(cast.callback, order.pk, outcome="reached", now=at(3, 10))
    with nothing_written(), pytest.raises(Invalid):
        A.do_record_callback(cast.callback, order.pk, outcome="reached", satisfaction="dissatisfied", now=at(3, 10))
    with nothing_written(), pytest.raises(Invalid):
        A.do_record_callback(cast.callback, order.pk, outcome="reached", score5=6, now=at(3, 10))
    with nothing_written(), pytest.raises(Invalid):
        A.do_record_callback(cast.callback, order.pk, outcome="reached", score5=0, now=at(3, 10))
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_record_callback(cast.reviewer, order.pk, outcome="reached", satisfaction="satisfied", now=at(3, 10))
    in_prog = in_progress(cast)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_record_callback(cast.callback, in_prog.pk, outcome="reached", satisfaction="satisfied", now=at(3, 10))


def test_redo_a_closed_order_within_the_window(cast):
    order = drive(cast, new_order(cast), "closed", now=T0)
    assert refreshed(order).closed_at == T0
    redo_at = T0 + timedelta(days=30)  # 8 April, exactly 30 days later
    with nothing_written(), pytest.raises(Invalid):
        A.do_redo_order(cast.dispatcher, order.pk, reason=" ", now=redo_at)
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_redo_order(cast.operator, order.pk, reason="群众再次反映", now=redo_at)

    result = A.do_redo_order(cast.supervisor, order.pk, reason="群众再次反映", now=redo_at)
    assert result.state == "in_progress"
    order = refreshed(order)
    assert order.redo_count == 1 and order.closed_at is None
    # Fifteen working days from Thursday 9 April: Wednesday 29 April.
    assert order.handle_started_at == redo_at and order.handle_due == at(4, 30)
    ev = one_event(order, "redo")
    assert (ev.from_state, ev.to_state, ev.actor, ev.reason) == (
        "closed",
        "in_progress",
        cast.supervisor,
        "群众再次反映",
    )
    assert Assignment.objects.get(order=order).state == "signed"


def test_redo_after_the_window_writes_nothing(cast):
    order = drive(cast, new_order(cast), "closed", now=T0)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_redo_order(cast.dispatcher, order.pk, reason="群众再次反映", now=T0 + timedelta(days=30, seconds=1))
    answered = new_order(cast)
    A.do_answer_order(cast.operator, answered.pk, answer="已答复", now=T0)
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_redo_order(cast.dispatcher, answered.pk, reason="群众再次反映", now=T0)


def test_close_without_callback(cast):
    order = pending_callback(cast)
    with nothing_written(), pytest.raises(Invalid):
        A.do_close_order(cast.callback, order.pk, now=at(3, 10))
    with nothing_written(), pytest.raises(NotPermitted):
        A.do_close_order(cast.reviewer, order.pk, reason="不需回访", now=at(3, 10))
    closed = A.do_close_order(cast.callback, order.pk, reason="诉求人表示无需回访", now=at(3, 10))
    assert closed.state == "closed"
    order = refreshed(order)
    assert order.closed_at == at(3, 10) and order.due_at is None
    ev = one_event(order, "close")
    assert (ev.from_state, ev.to_state, ev.reason) == ("pending_callback", "closed", "诉求人表示无需回访")

    # An anonymous requester without a phone: no reason needed.
    anonymous = pending_callback(cast, is_anonymous=True, requester_phone="", requester_name="")
    assert A.do_close_order(cast.callback, anonymous.pk, now=at(3, 10)).state == "closed"
    with nothing_written(), pytest.raises(InvalidTransition):
        A.do_close_order(cast.callback, anonymous.pk, reason="再次", now=at(3, 10))


# ---------------------------------------------------------------------------------------------------------
# personal data


def test_reveal_requester_contact_is_logged(cast):
    order = dispatch(cast, new_order(cast))
    shown = A.reveal_requester_contact(cast.edu, order.pk, reason=" 需电话核实 ", ip="10.1.2.3", now=at(3, 10))
    assert shown == {"name": "测试人", "phone": "13800001234"}
    log = AccessLog.objects.get()
    assert (log.actor, log.at, log.subject_type, log.subject_id, log.fields, log.reason, log.ip) == (
        cast.edu,
        at(3, 10),
        "workorders.workorder",
        str(order.pk),
        "requester_name,requester_phone",
        "需电话核实",
        "10.1.2.3",
    )
    ev = one_event(order, "reveal_contact")
    assert (ev.actor, ev.unit, ev.is_public, ev.at) == (cast.edu, cast.unit(EDU), False, at(3, 10))
    assert ev.reason.strip() == "需电话核实"


def test_reveal_failures_write_nothing(cast):
    order = dispatch(cast, new_order(cast))
    with nothing_written(), pytest.raises(Invalid):
        A.reveal_requester_contact(cast.edu, order.pk, reason="  ", now=at(3, 10))
    with nothing_written(), pytest.raises(NotFound):
        A.reveal_requester_contact(cast.caoshi, order.pk, reason="好奇", now=at(3, 10))

    report = dispatch(cast, new_order(cast, request_type="report"))
    with nothing_written(), pytest.raises(NotPermitted):
        A.reveal_requester_contact(cast.edu, report.pk, reason="需核实", now=at(3, 10))
    with nothing_written(), pytest.raises(NotPermitted):
        A.reveal_requester_contact(cast.edu_admin, report.pk, reason="需核实", now=at(3, 10))
    # The centre's confidential roles may reveal, and it is logged like any other reveal.
    assert A.reveal_requester_contact(cast.dispatcher, report.pk, reason="核实身份", now=at(3, 10))["name"] == "测试人"
    assert AccessLog.objects.filter(actor=cast.dispatcher).count() == 1

    agreed = dispatch(cast, new_order(cast, request_type="report", identity_disclosure_agreed=True))
    assert A.reveal_requester_contact(cast.edu, agreed.pk, reason="需核实", now=at(3, 10))["phone"] == "13800001234"


# ---------------------------------------------------------------------------------------------------------
# the warning sweep


def test_warning_sweep_yellow_then_red(cast):
    order = dispatch(cast, new_order(cast))  # sign-for warns at the start of Tuesday, due at its end
    Outbox.objects.all().delete()
    assert A.do_sweep_warnings(now=at(3, 9, 23, 59)) == 0
    assert not events(order).filter(kind__startswith="warning").exists()

    assert A.do_sweep_warnings(now=at(3, 10, 9)) == 1
    order = refreshed(order)
    assert order.warning_level == "yellow" and order.next_warning_at == at(3, 11)
    ev = one_event(order, "warning_yellow")
    assert (ev.actor, ev.actor_label, ev.unit, ev.at, ev.is_public) == (
        None,
        "system",
        cast.unit(EDU),
        at(3, 10, 9),
        False,
    )
    assert ev.payload == {"clock": "sign", "due": iso(at(3, 11))}
    assert sent("warning_yellow") == to_unit(EDU)

    # The same sweep again raises nothing new.
    before = _snapshot()
    assert A.do_sweep_warnings(now=at(3, 10, 9)) == 0
    assert A.do_sweep_warnings(now=at(3, 10, 23)) == 0
    assert _snapshot() == before

    assert A.do_sweep_warnings(now=at(3, 11, 9)) == 1
    order = refreshed(order)
    assert order.warning_level == "red" and order.next_warning_at is None
    assert one_event(order, "warning_red").payload == {"clock": "sign", "due": iso(at(3, 11))}
    assert sent("warning_red") == sorted(to_unit(EDU) + to_role("supervisor"))
    assert A.do_sweep_warnings(now=at(3, 20)) == 0

    # Signing switches to the handling clock and clears the warning.
    A.do_sign_assignment(cast.edu, order.pk, now=at(3, 11, 10))
    order = refreshed(order)
    assert order.warning_level == "none" and order.next_warning_at == at(3, 30)
    assert A.do_sweep_warnings(now=at(3, 30, 8)) == 1
    assert events(order, "warning_yellow").last().payload == {"clock": "handle", "due": iso(at(3, 31))}


def test_warning_sweep_past_the_due_goes_straight_to_red(cast):
    order = dispatch(cast, new_order(cast))
    other = dispatch(cast, new_order(cast), lead=SHAOCHENG, now=at(3, 10, 9))
    assert A.do_sweep_warnings(now=at(3, 11, 12)) == 2
    assert refreshed(order).warning_level == "red"
    assert refreshed(other).warning_level == "yellow"
    assert not events(order, "warning_yellow").exists()
    assert events(order, "warning_red").count() == 1


def test_warning_sweep_on_the_callback_clock_tells_the_callback_agents(cast):
    order = pending_callback(cast)  # approved at T0: callback due at the end of Tuesday
    Outbox.objects.all().delete()
    assert A.do_sweep_warnings(now=at(3, 10, 1)) == 1
    assert one_event(order, "warning_yellow").payload == {"clock": "callback", "due": iso(at(3, 11))}
    assert sent("warning_yellow") == to_role("callback_agent")


def test_warning_sweep_ignores_orders_without_a_running_clock(cast):
    replied = in_progress(cast)
    reply(cast, replied)
    pending = new_order(cast)
    assert A.do_sweep_warnings(now=at(5, 1)) == 0
    assert not Event.objects.filter(order__in=[replied, pending], kind__startswith="warning").exists()


def test_warning_sweep_shards_split_the_due_orders(cast):
    orders = [dispatch(cast, new_order(cast)) for _ in range(3)]
    now = at(3, 11, 12)
    by_shard = {i: A.do_sweep_warnings(now=now, shard=(i, 2)) for i in (0, 1)}
    assert by_shard == {0: sum(o.pk % 2 == 0 for o in orders), 1: sum(o.pk % 2 == 1 for o in orders)}
    assert all(refreshed(o).warning_level == "red" for o in orders)
    assert A.do_sweep_warnings(now=now) == 0  # nothing left for a full sweep
    with pytest.raises(Invalid):
        A.do_sweep_warnings(now=now, shard=(2, 2))
