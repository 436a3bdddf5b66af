"""GET Service Requests and GET Service Request: the spec's filters, public status only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.factories import CM, EDU, T0, drive, new_order
from yihaotong.directory.models import Unit
from yihaotong.open311 import conf
from yihaotong.open311.public import search_requests
from yihaotong.workorders import actions as A

from .conftest import BASE, assert_spec_error, spec_json, spec_xml, tags, xml_of

# A window around T0 (the orders below are made at T0 and a few days later).
WINDOW = {"start_date": "2026-03-01T00:00:00+08:00", "end_date": "2026-03-31T00:00:00+08:00"}


@pytest.fixture
def orders(cast):
    """Orders of several states, services and privacy settings, all at or after T0."""
    made = {}
    made["open"] = new_order(cast, subject="井盖缺失，夜里危险", category="URB-05-02", text="草市街1号门口井盖缺失。")
    made["dispatched"] = new_order(cast, category="URB-01-01", now=T0 + timedelta(hours=1))
    drive(cast, made["dispatched"], "in_progress", lead=CM, now=T0 + timedelta(hours=1))
    made["closed"] = new_order(
        cast,
        category="URB-01-01",
        consent_publish=True,
        subject="夜间施工扰民",
        text="王大伟反映：工地每晚施工，电话13800001234。",
        requester_name="王大伟",
        now=T0 + timedelta(days=1),
    )
    drive(cast, made["closed"], "closed", lead=EDU, now=T0 + timedelta(days=1))
    made["private_closed"] = new_order(cast, category="URB-01-01", now=T0 + timedelta(days=2))
    drive(cast, made["private_closed"], "closed", lead=EDU, now=T0 + timedelta(days=2))
    made["suggestion"] = new_order(cast, request_type="suggest", category=None, now=T0 + timedelta(days=3))
    made["whistle"] = new_order(cast, request_type="report", now=T0 + timedelta(days=3))
    made["confidential"] = new_order(cast, is_confidential=True, now=T0 + timedelta(days=3))
    made["old"] = new_order(cast, now=T0 - timedelta(days=100))
    A.do_add_note(cast.dispatcher, made["open"].pk, text="内部备注：勿外传", now=T0)
    for o in made.values():
        o.refresh_from_db()
    return made


def numbers(body) -> set[str]:
    return {r["service_request_id"] for r in body}


def test_list_has_the_spec_fields_and_public_status_only(client, orders):
    response = client.get(f"{BASE}/requests.json", WINDOW)
    assert response.status_code == 200
    body = response.json()
    example = spec_json("requests.json")[0]
    for row in body:
        assert list(row) == list(example)
    assert numbers(body) == {
        orders[k].number for k in ("open", "dispatched", "closed", "private_closed", "suggestion")
    }  # never the whistle-blowing or confidential ones; "old" is outside the window
    rows = {r["service_request_id"]: r for r in body}

    open_row = rows[orders["open"].number]
    assert open_row["status"] == "open"
    assert open_row["status_notes"] == "已受理，等待派单。"  # an operator took it
    assert open_row["service_code"] == "URB-05-02" and open_row["service_name"] == "井盖缺失或破损"
    assert open_row["requested_datetime"] == "2026-03-09T09:00:00+08:00"
    assert open_row["agency_responsible"] == Unit.objects.get(kind="centre").name  # not yet dispatched
    assert open_row["address"] == "草市街街道"  # no consent: the street, not the address
    assert open_row["description"] == "井盖缺失，夜里危险"  # no consent: the subject, not the full text

    dispatched = rows[orders["dispatched"].number]
    assert dispatched["status"] == "open"
    assert dispatched["agency_responsible"] == orders["dispatched"].lead_unit.name
    assert dispatched["expected_datetime"].endswith("+08:00")
    assert dispatched["status_notes"] == "承办单位正在办理。"

    closed = rows[orders["closed"].number]
    assert closed["status"] == "closed"
    assert closed["expected_datetime"] is None
    assert closed["status_notes"] == "已处理完毕"  # the approved public reply (consent given)
    assert "王大伟" not in closed["description"] and "13800001234" not in closed["description"]
    assert "138****1234" in closed["description"]

    assert rows[orders["private_closed"].number]["status_notes"] == "已办结。"
    assert rows[orders["suggestion"].number]["service_code"] == "suggest"

    text = response.content.decode()
    for secret in ("测试人", "13800001234", "内部备注", '已处理"', "dispatcher", "reviewer"):
        assert secret not in text


def test_list_xml_matches_the_spec_shape(client, orders):
    root = xml_of(client.get(f"{BASE}/requests.xml", WINDOW))
    example = spec_xml("requests.xml")
    assert root.tag == example.tag
    assert len(root) == 5
    for item in root:
        assert item.tag == "request"
        assert tags(item) == tags(example[0])
    closed = next(i for i in root if i.findtext("status") == "closed")
    assert closed.findtext("expected_datetime") == ""


def test_filters(client, orders):
    def get(**params):
        response = client.get(f"{BASE}/requests.json", {**WINDOW, **params})
        assert response.status_code == 200, response.content
        return numbers(response.json())

    o = {k: v.number for k, v in orders.items()}
    assert get(status="open") == {o["open"], o["dispatched"], o["suggestion"]}
    assert get(status="closed") == {o["closed"], o["private_closed"]}
    assert get(status="open,closed") == get()
    assert get(service_code="URB-01-01") == {o["dispatched"], o["closed"], o["private_closed"]}
    assert get(service_code="URB-05-02,suggest") == {o["open"], o["suggestion"]}
    assert get(service_code="URB-01-01", status="closed") == {o["closed"], o["private_closed"]}
    assert get(start_date="2026-03-10T00:00:00+08:00", end_date="2026-03-11T00:00:00+08:00") == {o["closed"]}
    # service_request_id overrides every other filter (even the window), and never shows restricted orders
    ids = ",".join([o["old"], o["open"], o["whistle"], o["confidential"], "QY-NOPE"])
    assert get(service_request_id=ids, status="closed") == {o["old"], o["open"]}


def test_default_window_is_the_last_90_days_and_the_cap_is_1000(orders, monkeypatch):
    found, _index = search_requests({}, now=T0 + timedelta(days=10))
    assert {x.number for x in found} == {
        orders[k].number for k in ("open", "dispatched", "closed", "private_closed", "suggestion")
    }
    found, _index = search_requests({}, now=T0 - timedelta(days=20))
    assert [x.number for x in found] == [orders["old"].number]
    # only a start: the 90 days from it; only an end: the 90 days before it
    found, _ = search_requests({"start_date": "2025-11-20"}, now=T0)
    assert [x.number for x in found] == [orders["old"].number]
    found, _ = search_requests({"end_date": "2026-03-20"}, now=T0)
    assert orders["old"].number not in {x.number for x in found} and len(found) == 5
    monkeypatch.setattr(conf, "MAX_REQUESTS", 2)
    found, _index = search_requests(WINDOW, now=T0)
    assert [x.number for x in found] == [orders["suggestion"].number, orders["private_closed"].number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_searches_are_spec_errors(client, orders, fmt):
    cases = [
        ({"start_date": "yesterday"}, 400, "start_date"),
        ({"end_date": "2026-13-40T00:00:00Z"}, 400, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400, "90"),
        ({"start_date": "2026-03-10T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}, 400, "start_date"),
        ({"status": "pending"}, 400, "status"),
        ({"service_code": "NOPE-01"}, 400, "service_code"),
        ({"jurisdiction_id": "city.gov"}, 404, "jurisdiction_id"),
    ]
    for params, status, says in cases:
        descriptions = assert_spec_error(client.get(f"{BASE}/requests.{fmt}", params), status, fmt)
        assert any(says in d for d in descriptions), (params, descriptions)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_by_id(client, orders, fmt):
    number = orders["closed"].number
    response = client.get(f"{BASE}/requests/{number}.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        (row,) = response.json()
        assert list(row) == list(spec_json("requests.json")[0])
        assert row["service_request_id"] == number and row["status"] == "closed"
    else:
        root = xml_of(response)
        assert root.tag == "service_requests" and len(root) == 1
        assert tags(root[0]) == tags(spec_xml("requests.xml")[0])
    for hidden in ("whistle", "confidential"):
        assert_spec_error(client.get(f"{BASE}/requests/{orders[hidden].number}.{fmt}"), 404, fmt)
    assert_spec_error(client.get(f"{BASE}/requests/QY-NOPE.{fmt}"), 404, fmt)


def test_merged_and_answered_orders_read_as_closed(cast, orders):
    master = orders["open"]
    dup = new_order(cast, category="URB-05-02", now=T0 + timedelta(hours=2))
    A.do_merge_order(cast.dispatcher, dup.pk, master_id=master.pk, reason="同一井盖", now=T0 + timedelta(hours=2))
    answered = new_order(cast, request_type="consult", now=T0 + timedelta(hours=3))
    A.do_answer_order(cast.operator, answered.pk, answer="请拨打供电服务电话。", now=T0 + timedelta(hours=3))
    rows = {r["service_request_id"]: r for r in Client().get(f"{BASE}/requests.json", WINDOW).json()}
    assert rows[dup.number]["status"] == "closed"
    assert rows[dup.number]["status_notes"] == f"已并入工单 {master.number}。"
    assert rows[answered.number]["status"] == "closed"
    assert rows[answered.number]["status_notes"] == "已直接答复。"


def test_the_list_reads_a_fixed_number_of_queries(client, orders, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get(f"{BASE}/requests.json", WINDOW)
    assert len(response.json()) == 5
