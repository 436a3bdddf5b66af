"""Intake outcomes of a contact (domain.md §3): direct answer, emergency transfer, disposition, attach to
an open order, or a new work order. Every contact is recorded; a refused one records nothing."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from tests.factories import CAOSHI, EDU, T0, cast_for_module, new_order, order_input
from yihaotong.core.errors import Invalid, InvalidTransition, NotFound, NotPermitted
from yihaotong.intake import actions as I
from yihaotong.intake.actions import ContactInput
from yihaotong.intake.models import Contact
from yihaotong.notifications.models import Outbox
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Event, OrderSequence, WorkOrder


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


def contact(**overrides) -> ContactInput:
    data = dict(
        channel="call",
        summary="询问入学报名材料",
        text="孩子今年秋季入学，需要准备哪些材料？",
        phone="138 0000 1234",
        name=" 王女士 ",
        address="草市街1号",
        street=CAOSHI,
        request_type="consult",
        urgency="normal",
    )
    data.update(overrides)
    return ContactInput(**data)


@contextmanager
def nothing_written():
    def snap():
        return (
            list(Contact.objects.order_by("pk").values()),
            list(WorkOrder.objects.order_by("pk").values("pk", "state", "repeat_count", "is_review_candidate")),
            Event.objects.count(),
            Outbox.objects.count(),
            list(OrderSequence.objects.values_list("day", "last")),
        )

    before = snap()
    yield
    assert snap() == before


def test_direct_answer_from_an_article(cast):
    c = I.do_answer_contact(cast.operator, contact(), article_ref="KB-EDU-0012", now=T0)
    c.refresh_from_db()
    assert (c.outcome, c.article_ref, c.answer_text, c.order) == ("direct_answer", "KB-EDU-0012", "", None)
    assert (c.channel, c.received_at, c.operator) == ("call", T0, cast.operator)
    assert (c.phone, c.name, c.street.code, c.request_type.code, c.urgency.code) == (
        "13800001234",
        "王女士",
        CAOSHI,
        "consult",
        "normal",
    )
    assert c.summary == "询问入学报名材料" and c.text == "孩子今年秋季入学，需要准备哪些材料？"
    assert not WorkOrder.objects.exists() and not Event.objects.exists()


def test_direct_answer_written_out_and_anonymous(cast):
    c = I.do_answer_contact(
        cast.dispatcher, contact(is_anonymous=True), answer_text="  三方通话由区教育局答复。 ", now=T0
    )
    assert (c.outcome, c.answer_text, c.article_ref, c.name, c.is_anonymous) == (
        "direct_answer",
        "三方通话由区教育局答复。",
        "",
        "",
        True,
    )


def test_direct_answer_failures_record_nothing(cast):
    with nothing_written(), pytest.raises(Invalid) as exc:
        I.do_answer_contact(cast.operator, contact(), answer_text="  ", now=T0)
    assert "article_ref" in exc.value.errors
    with nothing_written(), pytest.raises(Invalid) as exc:
        I.do_answer_contact(
            cast.operator, contact(summary=" ", request_type="x", urgency="y", street=EDU), article_ref="KB", now=T0
        )
    assert set(exc.value.errors) == {"summary", "request_type", "urgency", "street"}
    for who in ("edu", "reviewer", "callback", "leader", "kb_editor"):
        with nothing_written(), pytest.raises(NotPermitted):
            I.do_answer_contact(getattr(cast, who), contact(), article_ref="KB", now=T0)


@pytest.mark.parametrize("service", ["110", "119", "120", "122"])
def test_emergency_transfer(cast, service):
    c = I.do_transfer_emergency(cast.operator, contact(summary="楼道起火", urgency="critical"), service=service, now=T0)
    c.refresh_from_db()
    assert (c.outcome, c.emergency_service, c.transferred_at, c.received_at) == ("emergency", service, T0, T0)


@pytest.mark.parametrize("service", ["999", "12345", "", "911"])
def test_emergency_transfer_only_to_the_four_services(cast, service):
    with nothing_written(), pytest.raises(Invalid) as exc:
        I.do_transfer_emergency(cast.operator, contact(), service=service, now=T0)
    assert "service" in exc.value.errors


def test_disposition(cast):
    c = I.do_dispose_contact(
        cast.operator,
        contact(summary="对法院判决不服"),
        disposition_reason="courts",
        answer_text="请向法院反映",
        now=T0,
    )
    assert (c.outcome, c.disposition_reason, c.answer_text) == ("disposition", "courts", "请向法院反映")
    with nothing_written(), pytest.raises(Invalid):
        I.do_dispose_contact(cast.operator, contact(), disposition_reason="not_a_reason", now=T0)
    with nothing_written(), pytest.raises(Invalid):
        I.do_dispose_contact(cast.operator, contact(), disposition_reason="", now=T0)


def test_attach_a_repeat_contact_to_an_open_order(cast):
    order = new_order(cast)
    A.do_dispatch_order(cast.dispatcher, order.pk, lead_unit_id=cast.unit(EDU).pk, now=T0)
    later = T0 + timedelta(days=1)
    c = I.do_attach_contact(cast.operator, contact(summary="再次反映噪音"), order_id=order.pk, now=later)
    c.refresh_from_db()
    assert (c.outcome, c.order_id, c.received_at) == ("attached", order.pk, later)
    order.refresh_from_db()
    assert order.repeat_count == 1
    ev = Event.objects.get(order=order, kind="repeat_contact")
    assert (ev.reason, ev.payload, ev.actor, ev.at) == ("再次反映噪音", {"repeat_count": 1}, cast.operator, later)

    for _ in range(9):
        I.do_attach_contact(cast.integration, contact(channel="transfer"), order_id=order.pk, now=later)
    order.refresh_from_db()
    assert order.repeat_count == 10 and order.is_review_candidate
    assert order.contacts.count() == 10


def test_attach_failures_record_nothing(cast):
    hidden = new_order(cast, actor=cast.dispatcher, request_type="report")
    with nothing_written(), pytest.raises(NotFound):  # the operator may not see another's whistle-blowing order
        I.do_attach_contact(cast.operator, contact(), order_id=hidden.pk, now=T0)
    with nothing_written(), pytest.raises(NotFound):
        I.do_attach_contact(cast.operator, contact(), order_id=987654321, now=T0)
    closed = new_order(cast)
    A.do_answer_order(cast.operator, closed.pk, answer="已答复", now=T0)
    with nothing_written(), pytest.raises(InvalidTransition):
        I.do_attach_contact(cast.operator, contact(), order_id=closed.pk, now=T0)
    open_order = new_order(cast)
    with nothing_written(), pytest.raises(Invalid):
        I.do_attach_contact(cast.operator, contact(summary=""), order_id=open_order.pk, now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        I.do_attach_contact(cast.edu, contact(), order_id=open_order.pk, now=T0)


def test_create_an_order_from_a_contact(cast):
    c, order, code = I.do_create_order_from_contact(
        cast.operator, contact(summary="工地夜间施工"), order_input(), now=T0
    )
    c.refresh_from_db()
    assert (c.outcome, c.order, c.received_at) == ("work_order", order, T0)
    assert order.state == "pending_dispatch" and order.number == "QY20260309-0001"
    assert A.check_query_code(order, code)
    assert list(order.contacts.all()) == [c]
    assert Event.objects.get(order=order).kind == "create"


def test_create_an_order_from_a_contact_failures_record_nothing(cast):
    with nothing_written(), pytest.raises(Invalid):
        I.do_create_order_from_contact(cast.operator, contact(), order_input(subject=""), now=T0)
    with nothing_written(), pytest.raises(Invalid):
        I.do_create_order_from_contact(cast.operator, contact(summary=""), order_input(), now=T0)
    with nothing_written(), pytest.raises(NotPermitted):
        I.do_create_order_from_contact(cast.edu, contact(), order_input(), now=T0)
