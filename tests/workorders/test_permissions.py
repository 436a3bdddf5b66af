"""Who sees which work order, and what they see of the requester (architecture.md §3.3, domain.md §9).

One visibility rule per model: lists (``visible_orders``) and single rows (``access_order``) derive from
it, so they are checked together for every user of the cast against every order of a small world.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories import CAOSHI, CM, EDU, T0, cast_for_module, new_order
from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.core.errors import NotFound, NotPermitted
from yihaotong.directory.actions import do_set_setting
from yihaotong.directory.policy import invalidate_policy
from yihaotong.workorders import actions as A
from yihaotong.workorders.access import (
    access_order,
    access_order_by_number,
    can_reveal,
    requester_contact,
    visible_orders,
)
from yihaotong.workorders.models import Event, WorkOrder

EDU_SUB = "QY-D-EDU-01"  # 基础教育科, a sub-unit of 区教育局


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


def dispatch(cast, order, lead, supports=()):
    A.do_dispatch_order(
        cast.dispatcher,
        order.pk,
        lead_unit_id=cast.unit(lead).pk,
        support_unit_ids=[cast.unit(s).pk for s in supports],
        now=T0,
    )
    order.refresh_from_db()
    return order


@dataclass
class World:
    plain: WorkOrder  # complaint, dispatched to 教育局 with 综合执法局 supporting
    report: WorkOrder  # whistle-blowing, from the API, dispatched to 草市街
    own_report: WorkOrder  # whistle-blowing taken by the operator, not dispatched
    confidential: WorkOrder  # a complaint marked confidential by the dispatcher, not dispatched
    community: WorkOrder  # dispatched straight to a community under 草市街
    sub_unit: WorkOrder  # dispatched straight to a sub-unit of 教育局
    pending: WorkOrder  # not dispatched

    def all(self) -> dict[str, WorkOrder]:
        return dict(vars(self))


@pytest.fixture
def world(cast) -> World:
    plain = dispatch(cast, new_order(cast), EDU, supports=(CM,))
    report = new_order(cast, actor=cast.integration, request_type="report")
    A.do_accept_order(cast.dispatcher, report.pk, now=T0)
    dispatch(cast, report, CAOSHI)
    return World(
        plain=plain,
        report=report,
        own_report=new_order(cast, request_type="report"),
        confidential=new_order(cast, actor=cast.dispatcher, is_confidential=True),
        community=dispatch(cast, new_order(cast), cast.community.unit.code),
        sub_unit=dispatch(cast, new_order(cast), EDU_SUB),
        pending=new_order(cast),
    )


ALL = {"plain", "report", "own_report", "confidential", "community", "sub_unit", "pending"}
UNRESTRICTED = {"plain", "community", "sub_unit", "pending"}

EXPECTED = {
    # The centre sees every order that is not restricted; whistle-blowing and confidential ones only the
    # confidential roles of the policy, or the person who took them.
    "operator": UNRESTRICTED | {"own_report"},
    "leader": UNRESTRICTED,
    "integration": UNRESTRICTED | {"report"},
    "dispatcher": ALL,
    "reviewer": ALL,
    "callback": ALL,
    "supervisor": ALL,
    "sysadmin": ALL,
    # Units see the orders of their assignments; a unit admin also those of the unit's sub-units.
    "edu": {"plain"},
    "edu_admin": {"plain", "sub_unit"},
    "cm": {"plain"},
    "caoshi": {"report"},
    "caoshi_admin": {"report", "community"},
    "community": {"community"},
    # Neither the KB team nor the panel sees work orders through this door.
    "kb_editor": set(),
    "panel": set(),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_visibility_list_and_detail_agree(cast, world, who):
    actor = getattr(cast, who)
    orders = world.all()
    names = {name for name, o in orders.items() if visible_orders(actor).filter(pk=o.pk).exists()}
    assert names == EXPECTED[who]
    assert visible_orders(actor).count() == len(EXPECTED[who])

    missing = WorkOrder.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    with pytest.raises(NotFound) as exc:
        access_order(actor, missing)
    missing_message = str(exc.value)
    for name, order in orders.items():
        if name in EXPECTED[who]:
            assert access_order(actor, order.pk).pk == order.pk
            assert access_order(actor, order.pk, for_update=True).pk == order.pk
            assert access_order_by_number(actor, order.number).pk == order.pk
        else:
            with pytest.raises(NotFound) as exc:
                access_order(actor, order.pk)
            assert str(exc.value) == missing_message  # "not yours" reads exactly like "missing"
            with pytest.raises(NotFound):
                access_order(actor, order.pk, for_update=True)
            with pytest.raises(NotFound):
                access_order_by_number(actor, order.number)


def test_confidential_roles_are_policy(cast, world):
    do_set_setting(cast.sysadmin, "confidential_roles", ["dispatcher", "reviewer", "supervisor", "sysadmin"])
    invalidate_policy()  # the setting invalidates on commit; the test never commits
    seen = set(visible_orders(cast.callback).values_list("pk", flat=True))
    assert seen == {world.plain.pk, world.community.pk, world.sub_unit.pk, world.pending.pk}
    assert world.report.pk in set(visible_orders(cast.dispatcher).values_list("pk", flat=True))
    # The actions' row lock (compiled once per visibility rule) follows the policy too.
    assert access_order(cast.dispatcher, world.report.pk, for_update=True).pk == world.report.pk
    with pytest.raises(NotFound):
        access_order(cast.callback, world.report.pk, for_update=True)
    do_set_setting(cast.sysadmin, "confidential_roles", [R.CALLBACK_AGENT])
    invalidate_policy()
    assert access_order(cast.callback, world.report.pk, for_update=True).pk == world.report.pk
    with pytest.raises(NotFound):
        access_order(cast.dispatcher, world.report.pk, for_update=True)


def test_users_without_roles_see_nothing(cast, world):
    nobody = do_create_user(username="nobody", password=None, roles=[], unit=cast.unit(EDU))
    assert not visible_orders(nobody).exists()
    inactive = do_create_user(username="gone", password=None, roles=[R.DISPATCHER], unit=cast.unit("QY-CENTRE"))
    inactive.is_active = False
    inactive.save()
    inactive = type(inactive).objects.get(pk=inactive.pk)
    assert not visible_orders(inactive).exists()
    with pytest.raises(NotFound):
        access_order(inactive, world.plain.pk)


def test_a_unit_keeps_seeing_an_order_it_has_handled(cast, world):
    """History stays readable: a returned assignment still opens the order to its unit (read only)."""
    app = A.do_request_return(cast.edu, world.plain.pk, reason="不属于本单位", now=T0)
    A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=T0)
    assert access_order(cast.edu, world.plain.pk).state == "pending_dispatch"
    with pytest.raises(NotPermitted):
        A.do_sign_assignment(cast.edu, world.plain.pk, now=T0)


# ---------------------------------------------------------------------------------------------------------
# the requester's identity


def test_units_see_the_requester_masked(cast, world):
    assert requester_contact(cast.edu, world.plain) == {"name": "测**", "phone": "138****1234", "masked": True}
    assert requester_contact(cast.cm, world.plain) == {"name": "测**", "phone": "138****1234", "masked": True}
    for who in ("operator", "dispatcher", "reviewer", "callback", "leader"):
        assert requester_contact(getattr(cast, who), world.plain) == {
            "name": "测试人",
            "phone": "13800001234",
            "masked": False,
        }


def test_units_see_nothing_of_a_whistleblower(cast, world):
    secret = {"name": "保密", "phone": "保密", "masked": True}
    assert requester_contact(cast.caoshi, world.report) == secret
    assert requester_contact(cast.caoshi_admin, world.report) == secret
    assert not can_reveal(cast.caoshi, world.report)
    assert requester_contact(cast.dispatcher, world.report)["name"] == "测试人"

    confidential = dispatch(cast, world.confidential, EDU)
    assert requester_contact(cast.edu, confidential) == secret

    agreed = dispatch(cast, new_order(cast, request_type="report", identity_disclosure_agreed=True), EDU)
    assert requester_contact(cast.edu, agreed) == {"name": "测**", "phone": "138****1234", "masked": True}
    assert can_reveal(cast.edu, agreed)


def test_a_unit_is_refused_a_reveal_on_a_whistleblowing_order(cast, world):
    before = Event.objects.count()
    with pytest.raises(NotPermitted):
        A.reveal_requester_contact(cast.caoshi, world.report.pk, reason="需要联系", now=T0)
    with pytest.raises(NotFound):  # a unit without an assignment does not even see it
        A.reveal_requester_contact(cast.edu, world.report.pk, reason="需要联系", now=T0)
    assert Event.objects.count() == before


# ---------------------------------------------------------------------------------------------------------
# actions on orders that are not yours


def test_another_units_handler_cannot_sign(cast, world):
    before = Event.objects.count()
    with pytest.raises(NotFound) as hidden:
        A.do_sign_assignment(cast.caoshi, world.plain.pk, now=T0)
    with pytest.raises(NotFound) as missing:
        A.do_sign_assignment(cast.caoshi, 987654321, now=T0)
    assert str(hidden.value) == str(missing.value)
    assert Event.objects.count() == before
    assert world.plain.assignments.get(unit=cast.unit(EDU)).state == "pending_sign"


def test_a_support_unit_cannot_ask_for_an_extension(cast, world):
    A.do_sign_assignment(cast.edu, world.plain.pk, now=T0)
    A.do_sign_assignment(cast.cm, world.plain.pk, now=T0)
    before = Event.objects.count()
    with pytest.raises(NotPermitted):
        A.do_request_extension(cast.cm, world.plain.pk, working_days=2, reason="需要时间", now=T0)
    assert Event.objects.count() == before
    assert A.do_request_extension(cast.edu, world.plain.pk, working_days=2, reason="需要时间", now=T0).state == (
        "pending"
    )


def test_a_named_assignment_of_another_unit_is_refused(cast, world):
    edu_assignment = world.plain.assignments.get(unit=cast.unit(EDU))
    with pytest.raises(NotPermitted):
        A.do_sign_assignment(cast.cm, world.plain.pk, assignment_id=edu_assignment.pk, now=T0)
    with pytest.raises(NotFound):
        A.do_sign_assignment(cast.cm, world.plain.pk, assignment_id=987654321, now=T0)


def test_a_unit_admin_can_work_on_a_sub_units_assignment(cast, world):
    asg = A.do_sign_assignment(cast.edu_admin, world.sub_unit.pk, now=T0)
    assert asg.unit == cast.unit(EDU_SUB) and asg.signed_by == cast.edu_admin
    with pytest.raises(NotFound):
        A.do_sign_assignment(cast.edu, world.sub_unit.pk, now=T0)


@pytest.mark.parametrize("who", ["kb_editor", "panel"])
def test_kb_editors_and_panel_members_can_do_nothing_to_orders(cast, world, who):
    actor = getattr(cast, who)
    before = Event.objects.count()
    with pytest.raises(NotFound):
        A.do_add_note(actor, world.plain.pk, text="备注", now=T0)
    with pytest.raises(NotFound):
        A.do_supervise_order(actor, world.plain.pk, level="remind", now=T0)
    with pytest.raises(NotFound):
        A.reveal_requester_contact(actor, world.plain.pk, reason="查看", now=T0)
    assert Event.objects.count() == before


def test_centre_staff_cannot_act_on_restricted_orders_they_cannot_see(cast, world):
    with pytest.raises(NotFound):
        A.do_answer_order(cast.operator, world.confidential.pk, answer="答复", now=T0)
    with pytest.raises(NotFound):
        A.do_add_note(cast.leader, world.report.pk, text="批示", now=T0)
    # The operator who took a whistle-blowing order keeps working on it.
    assert A.do_answer_order(cast.operator, world.own_report.pk, answer="已答复", now=T0).state == "answered"
