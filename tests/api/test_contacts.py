"""Intake: a contact with each of its outcomes, and the caller's history (screen pop)."""

from __future__ import annotations

import re

from yihaotong.intake.models import Contact
from yihaotong.notifications.models import Outbox
from yihaotong.workorders.models import Event, WorkOrder

from .conftest import assert_problem, ok

PHONE = "13800009999"
BASE = {"channel": "call", "summary": "咨询小学入学政策", "phone": PHONE, "name": "李四"}


def _rows():
    return Contact.objects.count(), WorkOrder.objects.count(), Event.objects.count(), Outbox.objects.count()


def test_direct_answer(api):
    payload = BASE | {"outcome": "direct_answer", "answer_text": "按学区划片入学。", "request_type": "consult"}
    body = ok(api.post(api.cast.operator, "/contacts", payload), 201)
    assert body["order"] is None and body["query_code"] is None
    assert body["contact"]["outcome"] == "direct_answer" and body["contact"]["order_id"] is None
    contact = Contact.objects.get(pk=body["contact"]["id"])
    assert (contact.answer_text, contact.request_type.code, contact.operator) == (
        "按学区划片入学。",
        "consult",
        api.cast.operator,
    )
    assert not WorkOrder.objects.exists()


def test_direct_answer_needs_an_answer(api):
    before = _rows()
    body = assert_problem(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "direct_answer"}), 422)
    assert list(body["errors"]) == ["article_ref"]
    assert _rows() == before


def test_contacts_are_for_intake_staff(api):
    payload = BASE | {"outcome": "direct_answer", "answer_text": "x"}
    for user in (api.cast.edu, api.cast.reviewer, api.cast.panel):
        assert_problem(api.post(user, "/contacts", payload), 403, "not_permitted")
    assert not Contact.objects.exists()


def test_work_order(api):
    payload = BASE | {
        "outcome": "work_order",
        "request_type": "complaint",
        "category": "EDU-01-01",
        "text": "孩子入学被拒。",
        "street": "510105002",
    }
    body = ok(api.post(api.cast.operator, "/contacts", payload), 201)
    assert re.fullmatch(r"\d{6}", body["query_code"])
    order = WorkOrder.objects.get()
    assert body["order"]["id"] == order.pk and body["order"]["state"] == "pending_dispatch"
    assert body["contact"] | {"received_at": None} == {
        "id": body["contact"]["id"],
        "outcome": "work_order",
        "received_at": None,
        "summary": "咨询小学入学政策",
        "order_id": order.pk,
        "order_number": order.number,
    }
    assert (order.subject, order.text, order.requester_phone) == ("咨询小学入学政策", "孩子入学被拒。", PHONE)


def test_work_order_needs_a_request_type(api):
    before = _rows()
    body = assert_problem(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "work_order"}), 422)
    assert list(body["errors"]) == ["request_type"]
    body = assert_problem(
        api.post(api.cast.operator, "/contacts", BASE | {"outcome": "work_order", "request_type": "gossip"}), 422
    )
    assert list(body["errors"]) == ["request_type"]
    assert _rows() == before


def test_attached_counts_a_repeat_contact(api, make_order):
    order = make_order("dispatched", lead="QY-D-EDU")
    body = ok(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "attached", "order_id": order.pk}), 201)
    assert body["contact"]["order_id"] == order.pk and body["order"]["repeat_count"] == 1
    order.refresh_from_db()
    assert order.repeat_count == 1
    assert Event.objects.filter(order=order, kind="repeat_contact").count() == 1
    assert Outbox.objects.filter(order=order, kind="repeat_contact", recipient_unit__code="QY-D-EDU").exists()


def test_attached_denials(api, make_order):
    before = _rows()
    body = assert_problem(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "attached"}), 422)
    assert list(body["errors"]) == ["order_id"]
    assert_problem(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "attached", "order_id": 987654}), 404)
    assert _rows() == before
    closed = make_order("closed")
    before = _rows()
    resp = api.post(api.cast.operator, "/contacts", BASE | {"outcome": "attached", "order_id": closed.pk})
    assert_problem(resp, 409, "invalid_transition")
    assert _rows() == before


def test_emergency(api):
    payload = BASE | {"outcome": "emergency", "emergency_service": "119", "summary": "楼道起火"}
    body = ok(api.post(api.cast.operator, "/contacts", payload), 201)
    contact = Contact.objects.get(pk=body["contact"]["id"])
    assert contact.outcome == "emergency" and contact.emergency_service == "119"
    assert contact.transferred_at == contact.received_at


def test_emergency_names_the_service_field(api):
    body = assert_problem(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "emergency"}), 422)
    assert list(body["errors"]) == ["emergency_service"]
    body = assert_problem(
        api.post(api.cast.operator, "/contacts", BASE | {"outcome": "emergency", "emergency_service": "999"}), 422
    )
    assert list(body["errors"]) == ["emergency_service"]
    assert not Contact.objects.exists()


def test_disposition(api):
    payload = BASE | {"outcome": "disposition", "disposition_reason": "litigation", "answer_text": "请向法院起诉"}
    body = ok(api.post(api.cast.dispatcher, "/contacts", payload), 201)
    contact = Contact.objects.get(pk=body["contact"]["id"])
    assert (contact.outcome, contact.disposition_reason) == ("disposition", "litigation")
    body = assert_problem(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "disposition"}), 422)
    assert list(body["errors"]) == ["disposition_reason"]


def test_bad_outcome_and_channel_are_422(api):
    body = assert_problem(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "shrug", "channel": "fax"}), 422)
    assert {"outcome", "channel"} <= body["errors"].keys()


def test_history(api, make_order):
    waiting = make_order("pending_dispatch", requester_phone=PHONE)
    closed = make_order("closed", requester_phone=PHONE)
    make_order("pending_dispatch", requester_phone="13911112222")  # someone else
    ok(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "attached", "order_id": waiting.pk}), 201)
    ok(api.post(api.cast.operator, "/contacts", BASE | {"outcome": "direct_answer", "answer_text": "已答复"}), 201)
    body = ok(api.get(api.cast.operator, "/contacts/history", {"phone": "138-0000-9999"}))
    assert body["phone"] == PHONE
    assert [c["outcome"] for c in body["contacts"]] == ["direct_answer", "attached"]
    assert body["contacts"][1]["order_number"] == waiting.number
    assert [o["number"] for o in body["open_orders"]] == [waiting.number]
    assert {o["number"] for o in body["recent_orders"]} == {waiting.number, closed.number}
    assert body["contact_count"] == 2 and body["repeat_count"] == 1
    assert body["satisfaction"] == {"satisfied": 1} and body["frequent_caller"] is False


def test_history_denials(api):
    assert_problem(api.get(api.cast.edu, "/contacts/history", {"phone": PHONE}), 403, "not_permitted")
    assert list(assert_problem(api.get(api.cast.operator, "/contacts/history", {"phone": "12-3"}), 422)["errors"]) == [
        "phone"
    ]
    assert list(assert_problem(api.get(api.cast.operator, "/contacts/history"), 422)["errors"]) == ["phone"]


def test_history_hides_orders_the_actor_may_not_see(api):
    """A whistle-blowing report taken by a dispatcher must not surface in an operator's screen pop."""
    report = BASE | {"outcome": "work_order", "request_type": "report", "summary": "举报某科室收受红包"}
    secret = ok(api.post(api.cast.dispatcher, "/contacts", report), 201)["order"]
    body = ok(api.get(api.cast.operator, "/contacts/history", {"phone": PHONE}))
    assert secret["number"] not in str(body)
    assert "红包" not in str(body)
    assert body["recent_orders"] == [] and body["contacts"] == []
    # the dispatcher, who may see it, finds it
    mine = ok(api.get(api.cast.dispatcher, "/contacts/history", {"phone": PHONE}))
    assert [c["order_number"] for c in mine["contacts"]] == [secret["number"]]
