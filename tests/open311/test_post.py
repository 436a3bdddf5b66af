"""POST Service Request: the spec's example body creates a contact and a work order through the actions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.factories import CAOSHI
from yihaotong.intake.models import Contact
from yihaotong.open311.actions import do_revoke_api_key
from yihaotong.open311.models import ServiceRequest
from yihaotong.workorders.models import Event, WorkOrder

from .conftest import JURISDICTION, assert_spec_error, post, spec_json, spec_post_body, spec_xml, tags, xml_of


def example_body(key: str, **changes) -> list[tuple[str, str]]:
    """The spec's example, with our key, jurisdiction and one of our services."""
    ours = {"api_key": key, "jurisdiction_id": JURISDICTION, "service_code": "URB-05-02", **changes}
    body = [(k, ours.pop(k) if k in ours else v) for k, v in spec_post_body()]
    body += [(k, v) for k, v in ours.items() if v is not None]
    return [(k, v) for k, v in body if v is not None]


def nothing_created():
    assert WorkOrder.objects.count() == 0
    assert Contact.objects.count() == 0
    assert ServiceRequest.objects.count() == 0


def test_the_spec_example_creates_a_contact_and_an_order(o311):
    csrf_client = Client(enforce_csrf_checks=True)  # an API key, not a session: no CSRF token needed
    response = post(csrf_client, example_body(o311.key))
    assert response.status_code == 200, response.content
    body = response.json()
    example = spec_json("post_response.json")[0]
    assert len(body) == 1
    assert set(example) <= set(body[0])
    number = body[0]["service_request_id"]
    assert body[0]["account_id"] == "123456"
    assert "查询码" in body[0]["service_notice"]

    order = WorkOrder.objects.get(number=number)
    assert order.state == "submitted"  # waits for an operator like every order from outside
    assert order.channel == "web"
    assert order.source == "Open311 · 街坊随手拍"
    assert order.category.code == "URB-05-02"
    assert order.request_type.code == "help"  # the configured default
    assert order.subject == "A large sinkhole is destroying the street"
    assert order.requester_name == "john smith"
    assert order.requester_phone == "111111111"
    assert order.address == "1234 5th street"
    assert order.consent_publish is True
    assert order.created_by == o311.client.account
    contact = Contact.objects.get(order=order)
    assert contact.outcome == "work_order" and contact.channel == "web" and contact.operator == o311.client.account
    row = ServiceRequest.objects.get(order=order)
    assert row.client == o311.client and row.contact == contact
    assert (row.lat, row.long) == (Decimal("37.7652408"), Decimal("-122.4212043"))
    assert row.email == "smit333@sfgov.edu"
    assert row.device_id == "tt222111"
    assert row.media_url == "http://arrrg.com/sinkhole.png"
    assert row.attributes == {"WHISPAWN": "123456", "WHISDORN": "COISLAND"}  # kept, not interpreted
    event = Event.objects.get(order=order, kind="create")
    assert event.actor == o311.client.account
    assert event.actor_label == "Open311 · 街坊随手拍"


def test_xml_answer_matches_the_spec_shape(o311):
    root = xml_of(post(Client(), example_body(o311.key), fmt="xml"))
    example = spec_xml("post_response.xml")
    assert root.tag == example.tag
    (item,) = list(root)
    assert item.tag == example[0].tag
    assert set(tags(example[0])) <= set(tags(item))
    assert WorkOrder.objects.filter(number=item.findtext("service_request_id")).exists()
    token = item.findtext("token")
    token_root = xml_of(Client().get(f"/open311/v2/tokens/{token}.xml"))
    token_example = spec_xml("token_response.xml")
    assert token_root.tag == token_example.tag and tags(token_root[0]) == tags(token_example[0])
    assert token_root[0].findtext("service_request_id") == item.findtext("service_request_id")


def test_chinese_report_with_attributes_and_an_address_in_a_street(o311):
    response = post(
        Client(),
        {
            "api_key": o311.key,
            "service_code": "URB-05-02",
            "address_string": "草市街1号",
            "description": "井盖松动，车辆经过时响声很大。晚上看不清，容易绊倒行人。",
            "first_name": "小明",
            "last_name": "王",
            "phone": "138 0000 5678",
            "attribute[request_type]": "complaint",
            "attribute[urgency]": "urgent",
            "attribute[consent_publish]": "false",
        },
    )
    assert response.status_code == 200, response.content
    order = WorkOrder.objects.get(number=response.json()[0]["service_request_id"])
    assert order.request_type.code == "complaint"
    assert order.urgency.code == "urgent"
    assert order.consent_publish is False
    assert order.subject == "井盖松动，车辆经过时响声很大"
    assert order.requester_name == "王小明"
    assert order.requester_phone == "13800005678"
    assert order.street.code == CAOSHI


def test_without_a_phone_the_request_is_anonymous(o311):
    response = post(
        Client(),
        {
            "api_key": o311.key,
            "service_code": "suggest",
            "lat": "30.67",
            "long": "104.06",
            "description": "建议增设公交站。",
        },
    )
    assert response.status_code == 200, response.content
    order = WorkOrder.objects.get()
    assert order.is_anonymous and order.requester_name == "" and not order.reply_wanted
    assert order.request_type.code == "suggest" and order.category is None


BAD = [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "o311_not-a-key"}, 403, "api_key"),
    ({"jurisdiction_id": "city.gov"}, 400, "jurisdiction_id"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "001"}, 400, "service_code"),
    ({"service_code": "URB-05"}, 400, "service_code"),  # a category that is not a leaf
    ({"description": ""}, 400, "description"),
    ({"lat": "", "long": "", "address_string": ""}, 400, "location"),
    ({"long": ""}, 400, "lat"),
    ({"lat": "91"}, 400, "lat"),
    ({"long": "east"}, 400, "long"),
    ({"email": "not-an-email"}, 400, "email"),
    ({"phone": "12"}, 400, "phone"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"attribute[urgency]": "whenever"}, 400, "urgency"),
    ({"attribute[request_type]": "rant"}, 400, "request_type"),
    ({"attribute[consent_publish]": "maybe"}, 400, "consent_publish"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_requests_are_spec_errors_and_create_nothing(o311, fmt):
    for change, status, says in BAD:
        if "api_key" in change and change["api_key"] is None:
            body = [(k, v) for k, v in example_body(o311.key) if k != "api_key"]
        else:
            body = example_body(o311.key, **change)
        descriptions = assert_spec_error(post(Client(), body, fmt=fmt), status, fmt)
        assert any(says in d for d in descriptions), (change, descriptions)
        nothing_created()


def test_a_revoked_key_is_refused(o311):
    do_revoke_api_key(o311.cast.sysadmin, o311.client.pk)
    assert_spec_error(post(Client(), example_body(o311.key)), 403)
    nothing_created()


def test_errors_are_in_the_readers_language(o311):
    response = Client().post(
        "/open311/v2/requests.json",
        "service_code=URB-05-02&api_key=" + o311.key,
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    descriptions = assert_spec_error(response, 400)
    assert "description: description was not provided." in descriptions
    nothing_created()


def test_get_is_not_a_post(o311):
    # GET requests.json searches; it never creates (no state change over GET).
    response = Client().get("/open311/v2/requests.json", dict(example_body(o311.key)))
    assert response.status_code == 200
    nothing_created()


def test_control_characters_do_not_break_the_xml(o311):
    body = example_body(o311.key, description="井盖\x01缺失\x1b，请处理")
    root = xml_of(post(Client(), body, fmt="xml"))
    number = root[0].findtext("service_request_id")
    WorkOrder.objects.filter(number=number).update(consent_publish=True)
    item = xml_of(Client().get(f"/open311/v2/requests/{number}.xml"))[0]
    assert item.findtext("description") == "井盖缺失，请处理"


def test_a_giant_body_is_a_spec_error(o311, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    descriptions = assert_spec_error(post(Client(), example_body(o311.key, description="井" * 20_000)), 400)
    assert descriptions
    nothing_created()


def test_end_to_end_the_reporter_follows_the_order_to_its_reply(o311):
    """Posted through Open311, accepted, dispatched, handled and replied by the real actions; the client
    reads the progress at each step."""
    from tests.factories import EDU, T0, drive
    from yihaotong.open311.actions import do_submit_request, parse_request
    from yihaotong.workorders import actions as A

    cast = o311.cast
    posted = parse_request(
        {
            "service_code": "URB-01-01",
            "address_string": "草市街1号",
            "description": "工地每晚施工到凌晨两点，噪音很大。",
            "phone": "13800005678",
        }
    )
    row, _code = do_submit_request(o311.client, posted, now=T0)
    number = row.order.number

    def read():
        (item,) = Client().get(f"/open311/v2/requests/{number}.json").json()
        return item

    assert (read()["status"], read()["status_notes"]) == ("open", "已收到，等待受理。")
    drive(cast, row.order, "in_progress", lead=EDU, now=T0)
    item = read()
    assert item["agency_responsible"] == cast.unit(EDU).name
    assert item["status_notes"] == "承办单位正在办理。"
    assert item["expected_datetime"] is not None
    A.do_reply_order(cast.edu, row.order.pk, internal_notes="联系了施工方", public_text="已责令停止夜间施工。", now=T0)
    assert read()["status_notes"] == "承办单位已答复，答复正在审核。"
    A.do_review_reply(cast.reviewer, row.order.pk, approve=True, now=T0)
    item = read()
    assert item["status"] == "open" and item["status_notes"] == "已责令停止夜间施工。"  # the approved public reply
    A.do_record_callback(
        cast.callback, row.order.pk, outcome="reached", contacted=True, solved=True, satisfaction="satisfied", now=T0
    )
    assert read()["status"] == "closed"
    assert "联系了施工方" not in str(read())
    assert "13800005678" not in str(read())
