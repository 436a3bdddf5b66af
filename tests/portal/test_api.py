"""The portal's public API: code, submit, same-matter conflict, track with throttling, rate."""

from __future__ import annotations

import re

from tests.factories import drive, order_input
from yihaotong.notifications.delivery import deliver_outbox
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import WorkOrder

PHONE = "13800005555"
BASE = "/api/v1/public/requests"


def _code(gateway) -> str:
    deliver_outbox()
    return re.search(r"验证码是(\d{6})", [t for t in gateway.to(PHONE) if "验证码" in t][-1]).group(1)


def _body(**over):
    data = {
        "request_type": "help",
        "subject": "楼道灯坏了",
        "text": "单元楼道灯坏了两周。",
        "phone": PHONE,
        "name": "陈阿姨",
    }
    data.update(over)
    return data


def test_submit_track_and_rate_through_the_api(client, cast, gateway):
    r = client.post(f"{BASE}/code", {"phone": PHONE}, content_type="application/json")
    assert r.status_code == 202
    r = client.post(f"{BASE}/code", {"phone": PHONE}, content_type="application/json")
    assert r.status_code == 429 and r["Content-Type"] == "application/problem+json"
    code = _code(gateway)
    r = client.post(BASE, _body(code="x" + code[1:]), content_type="application/json")
    assert r.status_code == 422
    r = client.post(BASE, _body(code=code), content_type="application/json")
    assert r.status_code == 201, r.content
    number, query_code = r.json()["number"], r.json()["query_code"]
    order = WorkOrder.objects.get(number=number)
    assert order.channel == "web" and order.requester_name == "陈阿姨"
    # The same text again: 409 with the earlier number, then "same" counts a repeat contact.
    assert client.post(BASE, _body(code=code), content_type="application/json").status_code == 422  # code used
    client.session.flush()
    order.refresh_from_db()
    A.do_classify_order(cast.dispatcher, order.pk, category="URB-01-01")
    drive(cast, order, "pending_callback", now=order.created_at)
    r = client.post(f"{BASE}/track", {"number": number, "code": query_code}, content_type="application/json")
    assert r.status_code == 200
    data = r.json()
    assert data["can_rate"] and data["public_reply"] == "已处理完毕"
    assert [i["label"] for i in data["timeline"]][0] in ("诉求已收到", "Request received")
    r = client.post(
        f"{BASE}/rate",
        {"number": number, "code": query_code, "satisfaction": "basically"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["satisfaction"] == "basically"


def test_same_matter_conflict(client, cast, gateway):
    order, _code_ = A.do_create_order(
        cast.operator, order_input(channel="web", requester_phone=PHONE, text="单元楼道灯坏了两周。")
    )
    client.post(f"{BASE}/code", {"phone": PHONE}, content_type="application/json")
    code = _code(gateway)
    r = client.post(BASE, _body(code=code), content_type="application/json")
    assert r.status_code == 409 and r.json()["order_number"] == order.number
    assert WorkOrder.objects.count() == 1
    # The code stays good for the answer to the question.
    r = client.post(BASE, _body(code=code, same_matter="same"), content_type="application/json")
    assert r.status_code == 200 and r.json() == {"number": order.number, "query_code": "", "repeat_of_earlier": True}
    order.refresh_from_db()
    assert order.repeat_count == 1 and WorkOrder.objects.count() == 1


def test_track_never_tells_whether_a_number_exists(client, cast):
    order, _code_ = A.do_create_order(cast.operator, order_input())
    a = client.post(f"{BASE}/track", {"number": order.number, "code": "000001"}, content_type="application/json")
    b = client.post(f"{BASE}/track", {"number": "QY20990101-0001", "code": "000001"}, content_type="application/json")
    assert a.status_code == b.status_code == 404
    assert a.json()["detail"] == b.json()["detail"]
