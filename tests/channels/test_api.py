"""The inbound transfer API: token auth, idempotency, updates and conflicts, bad input writes nothing."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tests.factories import TZ
from yihaotong.channels.models import Transfer
from yihaotong.workorders.models import Event, WorkOrder

from .conftest import bearer, row

URL = "/api/v1/transfers"


def counts():
    return (WorkOrder.objects.count(), Event.objects.count(), Transfer.objects.count())


def post(client, data):
    return client.post(URL, json.dumps(data), content_type="application/json")


def test_create_then_same_row_is_unchanged(present, mayor):
    c = bearer(mayor.raw_token)
    r = post(c, row())
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["result"] == "created" and body["order_state"] == "submitted"
    order = WorkOrder.objects.get(number=body["order_number"])
    assert (order.channel, order.source, order.upstream_ref) == ("transfer", "市长公开电话", "SZ-2026-0001")
    assert order.request_type.code == "help" and order.category.code == "URB-01-01"
    t = order.transfer
    assert t.platform == mayor and t.upstream_due == datetime(2026, 12, 20, 18, 0, tzinfo=TZ)
    before = counts()
    r = post(c, row())
    assert r.status_code == 200 and r.json()["result"] == "unchanged"
    assert r.json()["order_number"] == order.number
    assert counts() == before


def test_new_deadline_updates_and_changed_content_conflicts(present, mayor):
    c = bearer(mayor.raw_token)
    number = post(c, row()).json()["order_number"]
    r = post(c, row(upstream_due="2026-12-31"))
    assert r.status_code == 200 and r.json()["result"] == "updated"
    assert Transfer.objects.get().upstream_due == datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ)
    before = counts()
    r = post(c, row(subject="路灯修好了又坏了"))
    assert r.status_code == 409
    assert r["Content-Type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"].endswith("/conflict") and "subject" in problem["errors"]
    assert problem["order_number"] == number
    assert counts() == before


def test_same_upstream_id_on_two_platforms_makes_two_orders(present, mayor, mailbox):
    assert post(bearer(mayor.raw_token), row()).status_code == 201
    assert post(bearer(mailbox.raw_token), row()).status_code == 201
    assert Transfer.objects.count() == 2


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"category": "NO-SUCH"}, "category"),
        ({"request_type": "闲聊"}, "request_type"),
        ({"upstream_due": "下周三"}, "upstream_due"),
        ({"upstream_due": "2026-02-30 10:00"}, "upstream_due"),
        ({"subject": ""}, "subject"),
        ({"upstream_id": "有空格 的编号"}, "upstream_id"),
        ({"street": "火星街道"}, "street"),
        ({"text": "长" * 10_001}, "text"),
        ({"upstream_received_at": "2026-12-21 09:00", "upstream_due": "2026-12-20 09:00"}, "upstream_due"),
    ],
)
def test_bad_rows_are_refused_with_reasons_and_write_nothing(present, mayor, over, field):
    before = counts()
    r = post(bearer(mayor.raw_token), row(**over))
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert field in r.json()["errors"]
    assert counts() == before


def test_order_rules_refuse_too(present, mayor):
    """A row the order itself refuses (no phone, not anonymous, but a reply wanted) is not half-written."""
    before = counts()
    r = post(bearer(mayor.raw_token), row(requester_phone="", is_anonymous=False, subject=""))
    assert r.status_code == 422
    assert counts() == before


def test_giant_payloads_are_refused(present, mayor):
    before = counts()
    r = post(bearer(mayor.raw_token), row(text="长" * 30_000))
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    r = bearer(mayor.raw_token).post(URL, json.dumps(row(text="x" * 3_000_000)), content_type="application/json")
    assert r.status_code == 413 and r["Content-Type"] == "application/problem+json"
    assert counts() == before


def test_tokens(present, mayor, cast):
    before = counts()
    r = post(bearer("yht_not-a-token"), row())
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"
    from django.test import Client

    r = Client().post(URL, json.dumps(row()), content_type="application/json")
    assert r.status_code == 401
    # A service account that is no platform's account, and a staff session: 403.
    from yihaotong.accounts.actions import do_issue_token, do_revoke_token

    token, raw = do_issue_token(user=cast.integration, name="other")
    r = post(bearer(raw), row())
    assert r.status_code == 403 and r.json()["type"].endswith("/not_permitted")
    staff = Client()
    staff.force_login(cast.operator)
    assert post(staff, row()).status_code == 403
    # A revoked token no longer works.
    mayor_token = mayor.account.api_tokens.get()
    do_revoke_token(token_id=mayor_token.pk)
    assert post(bearer(mayor.raw_token), row()).status_code == 401
    assert counts() == before
    del token


def test_inactive_platform_is_refused(present, mayor):
    from yihaotong.channels.actions import do_save_platform

    do_save_platform(code="mayor", name="市长公开电话", account=mayor.account, is_active=False)
    assert post(bearer(mayor.raw_token), row()).status_code == 403
