"""Errors are RFC 7807 problems (404 / 403 / 409 / 422), and a refused request writes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from yihaotong.audit.models import AccessLog
from yihaotong.notifications.models import Outbox
from yihaotong.workorders.models import Application, Assignment, Event, WorkOrder

from .conftest import assert_problem

ORDER = {
    "channel": "call",
    "request_type": "complaint",
    "subject": "小区门口占道经营",
    "text": "每天傍晚有摊贩占道经营，影响通行。",
    "requester_name": "王先生",
    "requester_phone": "13800005678",
}


def _rows() -> tuple[int, ...]:
    return (
        WorkOrder.objects.count(),
        Event.objects.count(),
        Outbox.objects.count(),
        Assignment.objects.count(),
        Application.objects.count(),
        AccessLog.objects.count(),
    )


def test_impossible_transition_is_409_with_reason(api, make_order):
    order = make_order("pending_dispatch")
    before = _rows()
    body = assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/accept"), 409, "invalid_transition")
    assert body["detail"] == "Cannot accept an order that is pending_dispatch."
    assert body["action"] == "accept" and body["state"] == "pending_dispatch"
    assert _rows() == before


def test_forbidden_move_is_403(api, make_order):
    order = make_order("pending_dispatch")
    before = _rows()
    resp = api.post(api.cast.operator, f"/orders/{order.pk}/dispatch", {"lead_unit_id": api.cast.unit("QY-D-EDU").pk})
    body = assert_problem(resp, 403, "not_permitted")
    assert "dispatch" in body["detail"]
    assert _rows() == before
    order.refresh_from_db()
    assert order.state == "pending_dispatch" and order.lead_unit_id is None


def test_malformed_payload_names_every_field(api):
    before = _rows()
    payload = {k: v for k, v in ORDER.items() if k != "subject"} | {"channel": "pigeon"}
    body = assert_problem(api.post(api.cast.operator, "/orders", payload), 422, "invalid")
    assert {"subject", "channel"} <= body["errors"].keys()
    assert all(isinstance(m, str) and m for msgs in body["errors"].values() for m in msgs)
    assert _rows() == before


def test_domain_validation_is_422_on_the_field(api):
    before = _rows()
    body = assert_problem(api.post(api.cast.operator, "/orders", ORDER | {"request_type": "gossip"}), 422, "invalid")
    assert list(body["errors"]) == ["request_type"]
    assert "gossip" in body["errors"]["request_type"][0]
    assert _rows() == before


def test_several_domain_errors_at_once(api):
    payload = ORDER | {"urgency": "whenever", "category": "NOPE-01", "street": "QY-D-EDU", "requester_phone": ""}
    body = assert_problem(api.post(api.cast.operator, "/orders", payload), 422, "invalid")
    assert set(body["errors"]) == {"urgency", "category", "street", "requester_phone"}


def test_bad_query_parameter_is_422_naming_it(api):
    body = assert_problem(api.get(api.cast.operator, "/orders", {"created_from": "yesterday"}), 422, "invalid")
    assert list(body["errors"]) == ["created_from"]


def test_unknown_and_invisible_orders_are_the_same_404(api, make_order):
    order = make_order("dispatched", lead="QY-D-EDU")
    missing = WorkOrder.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    invisible = assert_problem(api.get(api.cast.cm, f"/orders/{order.pk}"), 404, "not_found")
    unknown = assert_problem(api.get(api.cast.cm, f"/orders/{missing}"), 404, "not_found")
    assert invisible == unknown
    # the same for actions, by-number and sub-resources
    for path in (f"/orders/{order.pk}/events", f"/orders/{order.pk}/replies", f"/orders/{order.pk}/applications"):
        assert assert_problem(api.get(api.cast.cm, path), 404) == unknown
    assert assert_problem(api.post(api.cast.cm, f"/orders/{order.pk}/sign"), 404) == unknown
    by_number = assert_problem(api.get(api.cast.cm, f"/orders/by-number/{order.number}"), 404)
    assert by_number == assert_problem(api.get(api.cast.cm, "/orders/by-number/QY19990101-0001"), 404)


def test_unknown_and_invisible_applications_are_the_same_404(api, make_order):
    order = make_order("in_progress", lead="QY-D-EDU")
    app = api.post(api.cast.edu, f"/orders/{order.pk}/termination-requests", {"reason": "诉求人撤回"}).json()
    missing = app["id"] + 1000
    # The handler of another unit can neither decide nor learn that the application exists.
    invisible = assert_problem(
        api.post(api.cast.cm, f"/orders/applications/{app['id']}/decide", {"approve": True}), 404
    )
    unknown = assert_problem(api.post(api.cast.cm, f"/orders/applications/{missing}/decide", {"approve": True}), 404)
    assert invisible == unknown
    assert Application.objects.get(pk=app["id"]).state == "pending"


def test_failure_after_partial_writes_rolls_everything_back(api, make_order):
    """The dispatch records its event before it finds the deadline in the past: the 422 leaves no trace."""
    order = make_order("pending_dispatch")
    before = _rows()
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    resp = api.post(
        api.cast.dispatcher,
        f"/orders/{order.pk}/dispatch",
        {"lead_unit_id": api.cast.unit("QY-D-EDU").pk, "handle_due": past},
    )
    body = assert_problem(resp, 422, "invalid")
    assert list(body["errors"]) == ["handle_due"]
    assert _rows() == before
    order.refresh_from_db()
    assert order.state == "pending_dispatch" and order.dispatched_at is None and order.sign_due is None


def test_critical_order_needs_a_deadline_and_writes_nothing_without_one(api, make_order):
    order = make_order("pending_dispatch", urgency="critical")
    before = _rows()
    resp = api.post(api.cast.dispatcher, f"/orders/{order.pk}/dispatch", {"lead_unit_id": api.cast.unit("QY-D-EDU").pk})
    body = assert_problem(resp, 422, "invalid")
    assert body["errors"] == {"handle_due": ["required for this urgency"]}
    assert _rows() == before


def test_conflict_is_409_and_writes_nothing(api, make_order):
    order = make_order("dispatched")
    assert (
        api.post(api.cast.edu, f"/orders/{order.pk}/return-requests", {"reason": "不属于本单位职责"}).status_code == 201
    )
    before = _rows()
    resp = api.post(api.cast.edu, f"/orders/{order.pk}/return-requests", {"reason": "再次申请"})
    assert_problem(resp, 409, "conflict")
    assert _rows() == before
