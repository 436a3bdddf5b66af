"""The intake-intelligence endpoints: suggestions and the decisions on them (each success and each denial)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import CAOSHI, EDU, cast_for_module, drive, new_order
from yihaotong.routing.loader import invalidate_models
from yihaotong.routing.models import SuggestionDecision

API = "/api/v1/routing"


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as cast:
        yield cast


@pytest.fixture
def cast(_module_cast, db):
    invalidate_models()
    return _module_cast


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(user, path, data):
    return client(user).post(API + path, data, content_type="application/json")


def get(user, path):
    return client(user).get(API + path)


def problem(resp, status: int) -> dict:
    assert resp.status_code == status, (resp.status_code, resp.content[:400])
    body = resp.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


SUGGEST_KEYS = {
    "request_type",
    "category",
    "unit",
    "urgency",
    "source",
    "sources",
    "model_version",
    "accept_threshold",
    "street",
    "community",
    "sensitive",
    "notes",
    "empty",
}


# --- POST /suggest --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "dispatcher", "supervisor", "reviewer"])
def test_suggest_for_centre_roles(cast, role):
    resp = post(
        getattr(cast, role),
        "/suggest",
        {"subject": "夜间施工扰民", "text": "工地每晚打桩到凌晨", "address": "草市街1号", "channel": "call"},
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert set(body) == SUGGEST_KEYS
    assert body["category"][0]["code"] == "URB-01-01" and body["category"][0]["words"]
    assert body["source"] == "catalogue" and body["accept_threshold"] == 0.8
    assert body["street"]["code"] == CAOSHI


def test_suggest_urgency_and_empty_text(cast):
    body = post(cast.operator, "/suggest", {"text": "家里燃气泄漏了，煤气味很重"}).json()
    assert body["urgency"]["level"] == "critical" and body["urgency"]["services"] == ["119"]
    empty = post(cast.operator, "/suggest", {"text": "！！！"}).json()
    assert empty["empty"] is True and empty["notes"]
    long = post(cast.operator, "/suggest", {"text": "噪" * 50_000})
    assert long.status_code == 200


@pytest.mark.parametrize("role", ["edu", "caoshi_admin", "panel", "leader", "callback"])
def test_suggest_is_refused_to_other_roles(cast, role):
    problem(post(getattr(cast, role), "/suggest", {"text": "垃圾没人清运"}), 403)


@pytest.mark.parametrize(
    "payload",
    [{"text": ["not", "a", "string"]}, {"text": "x", "channel": "c" * 17}, {"text": "x" * 100_001}],
)
def test_suggest_rejects_a_bad_payload(cast, payload):
    body = problem(post(cast.dispatcher, "/suggest", payload), 422)
    assert body["errors"]


def test_suggest_needs_a_login(cast):
    resp = Client().post(API + "/suggest", {"text": "x"}, content_type="application/json")
    assert resp.status_code == 401


# --- GET /orders/{id}/suggestion -------------------------------------------------------------------------------


def test_order_suggestion(cast):
    order = new_order(cast, subject="楼上噪音", text="邻居广场舞音响太吵", category=None, address="草市街3号")
    body = get(cast.dispatcher, f"/orders/{order.pk}/suggestion").json()
    assert body["order_id"] == order.pk and set(body) == SUGGEST_KEYS | {"order_id"}
    assert body["category"][0]["code"] == "ENV-02-01" and body["unit"][0]["code"] == CAOSHI


def test_order_suggestion_denials(cast):
    order = drive(cast, new_order(cast), "dispatched", lead=EDU)
    problem(get(cast.edu, f"/orders/{order.pk}/suggestion"), 403)  # the unit sees the order, not suggestions
    secret = new_order(cast, actor=cast.dispatcher, is_confidential=True)
    problem(get(cast.operator, f"/orders/{secret.pk}/suggestion"), 404)  # operators do not see confidential orders
    assert get(cast.dispatcher, f"/orders/{secret.pk}/suggestion").status_code == 200
    problem(get(cast.operator, "/orders/999999/suggestion"), 404)


# --- POST /orders/{id}/suggestion/decision ----------------------------------------------------------------------


def test_decisions_are_recorded_accepted_or_overridden(cast):
    order = new_order(cast)
    resp = post(
        cast.dispatcher,
        f"/orders/{order.pk}/suggestion/decision",
        {"field": "category", "suggested": "URB-01-01", "chosen": "URB-01-01", "confidence": 0.91},
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["accepted"] is True and body["order_id"] == order.pk and body["model_version"] is None
    resp = post(
        cast.operator,
        f"/orders/{order.pk}/suggestion/decision",
        {"field": "unit", "suggested": "QY-D-HOUSE", "chosen": "QY-D-CM", "confidence": 0.4, "source": "catalogue"},
    )
    assert resp.status_code == 201 and resp.json()["accepted"] is False
    resp = post(
        cast.dispatcher,
        f"/orders/{order.pk}/suggestion/decision",
        {"field": "request_type", "chosen": "complaint", "model_version": 3},
    )
    assert resp.json()["accepted"] is False and resp.json()["source"] == "model v3"  # nothing was suggested
    rows = list(SuggestionDecision.objects.filter(order=order).order_by("id"))
    assert [(r.field, r.accepted, r.actor) for r in rows] == [
        ("category", True, cast.dispatcher),
        ("unit", False, cast.operator),
        ("request_type", False, cast.dispatcher),
    ]
    assert rows[0].confidence == 0.91 and rows[1].source == "catalogue" and rows[2].model_version == 3


def test_a_decision_records_the_active_model_version(cast):
    from yihaotong.routing.actions import do_train_router_models

    from .synthetic import requests

    for r in requests(12):
        order = new_order(
            cast, subject=r["subject"], text=r["text"], category=r["category"], request_type=r["request_type"]
        )
        drive(cast, order, "closed", lead=r["lead"])
    assert do_train_router_models(None, min_orders=30).version == 1
    invalidate_models()
    order = new_order(cast)
    body = post(
        cast.dispatcher, f"/orders/{order.pk}/suggestion/decision", {"field": "unit", "suggested": EDU, "chosen": EDU}
    ).json()
    assert body["model_version"] == 1 and body["source"] == "model v1" and body["accepted"] is True


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"field": "street", "chosen": "x"}, "field"),
        ({"field": "category", "chosen": ""}, "chosen"),
        ({"field": "category"}, "chosen"),
        ({"field": "category", "chosen": "NOPE-99"}, "chosen"),
        ({"field": "unit", "chosen": "QY-D-EDU", "confidence": 1.5}, "confidence"),
        ({"field": "unit", "chosen": "QY-D-EDU", "suggested": "x" * 33}, "suggested"),
    ],
)
def test_decision_rejects_a_bad_payload(cast, payload, field):
    order = new_order(cast)
    body = problem(post(cast.dispatcher, f"/orders/{order.pk}/suggestion/decision", payload), 422)
    assert field in body["errors"], body
    assert not SuggestionDecision.objects.exists()


def test_decision_denials(cast):
    order = drive(cast, new_order(cast), "dispatched", lead=EDU)
    payload = {"field": "unit", "suggested": EDU, "chosen": EDU}
    problem(post(cast.edu, f"/orders/{order.pk}/suggestion/decision", payload), 403)
    secret = new_order(cast, actor=cast.dispatcher, is_confidential=True)
    problem(post(cast.operator, f"/orders/{secret.pk}/suggestion/decision", payload), 404)
    problem(post(cast.dispatcher, "/orders/999999/suggestion/decision", payload), 404)
    assert not SuggestionDecision.objects.exists()
