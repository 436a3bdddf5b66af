"""The other intake-intelligence endpoints: address → street, sensitive content, same matter."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import CAOSHI, EDU, cast_for_module, drive, new_order
from yihaotong.routing.sensitive import id_check_char

API = "/api/v1/routing"


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as cast:
        yield cast


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


def call(user, method, path, data=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    if method == "get":
        return c.get(API + path)
    return c.post(API + path, data or {}, content_type="application/json")


def test_address_to_street_and_unknown_addresses(cast):
    resp = call(cast.operator, "post", "/address", {"address": "草市街1号"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["street_code"] == CAOSHI and resp.json()["confidence"] > 0
    unknown = call(cast.operator, "post", "/address", {"address": "火星基地7号"}).json()
    assert unknown["street_code"] is None and unknown["reason"]
    assert call(cast.operator, "post", "/address", {}).status_code == 422


def test_sensitive_content_is_found_and_redacted(cast):
    id_number = "11010519491231002" + id_check_char("11010519491231002")
    text = f"我的电话13812345678，身份证号{id_number}，骂人的话也有"
    body = call(cast.dispatcher, "post", "/sensitive", {"text": text}).json()
    assert {"phone", "id_card"} <= set(body["kinds"])
    assert "13812345678" not in body["redacted"] and id_number not in body["redacted"]
    for f in body["findings"]:
        assert 0 <= f["start"] < f["end"] <= len(text)
    assert call(cast.dispatcher, "post", "/sensitive", {"text": ""}).json() == {
        "findings": [],
        "kinds": [],
        "redacted": "",
    }


def test_same_matter_for_a_new_contact_and_for_an_order(cast):
    now = timezone.now()
    first = new_order(cast, now=now, subject="小区垃圾堆积无人清运", text="锦里小区门口垃圾堆了三天没人清运，臭气熏天")
    second = new_order(cast, now=now, subject="垃圾堆积", text="锦里小区门口垃圾三天没人清运")
    body = call(
        cast.operator,
        "post",
        "/same-matter",
        {"subject": "垃圾没人清运", "text": "锦里小区门口的垃圾堆了好几天", "phone": "13800001234"},
    ).json()
    assert first.pk in [c["order_id"] for c in body["candidates"]]
    assert body["repeat_contacts"] >= 0
    for_order = call(cast.dispatcher, "get", f"/orders/{second.pk}/same-matter").json()
    ids = [c["order_id"] for c in for_order["candidates"]]
    assert first.pk in ids and second.pk not in ids
    assert for_order["candidates"][0]["reasons"]


@pytest.mark.parametrize("path", ["/address", "/sensitive", "/same-matter"])
def test_intel_endpoints_are_for_centre_staff(cast, path):
    assert call(cast.edu, "post", path, {"address": "x", "text": "x"}).status_code == 403
    assert call(None, "post", path, {"address": "x", "text": "x"}).status_code == 401


def test_order_same_matter_denials(cast):
    order = drive(cast, new_order(cast), "dispatched", lead=EDU)
    assert call(cast.edu, "get", f"/orders/{order.pk}/same-matter").status_code == 403
    assert call(cast.operator, "get", "/orders/999999/same-matter").status_code == 404
