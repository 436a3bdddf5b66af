"""Reporting back to the upstream: the status feed it pulls (its own orders, public events, cursor), and the
push adapter (a public-only webhook limited to its orders) against a local fake upstream server."""

from __future__ import annotations

import json

from django.utils import timezone

from tests.factories import T0, drive
from tests.webhooks.receiver import Receiver
from yihaotong.channels.actions import do_receive_transfer, do_save_platform
from yihaotong.webhooks import actions as W
from yihaotong.webhooks.models import Delivery

from .conftest import bearer, row

PUSH_SECRET = "push-secret-of-the-mayor-line"


def transfer(platform, cast, **over):
    outcome = do_receive_transfer(platform.account, row(**over), now=T0)
    return outcome.order


def test_feed_lists_public_changes_of_own_orders(present, mayor, mailbox):
    cast = present
    mine = transfer(mayor, cast, upstream_id="F-1")
    theirs = transfer(mailbox, cast, upstream_id="F-2")
    from yihaotong.workorders.actions import do_add_note

    do_add_note(cast.operator, mine.pk, text="内部备注，不回传")
    drive(cast, mine, "closed")
    drive(cast, theirs, "dispatched")
    c = bearer(mayor.raw_token)
    # Nothing is listed before the horizon has passed the events (the periodic task moves it).
    assert c.get("/api/v1/transfers/feed").json()["items"] == []
    W.do_dispatch_events(now=timezone.now())
    feed = c.get("/api/v1/transfers/feed").json()
    items = feed["items"]
    assert {i["upstream_id"] for i in items} == {"F-1"}
    kinds = [i["kind"] for i in items]
    assert kinds[0] == "create" and "note" not in kinds and "close" in kinds
    states = [i["state"] for i in items]
    assert states[-1] == "closed"
    final = [i for i in items if i["reply"]]
    assert final and final[0]["reply"] == "已处理完毕"
    # The cursor: nothing after the last one; a page of two.
    assert c.get("/api/v1/transfers/feed", {"after": feed["next_after"]}).json()["items"] == []
    page = c.get("/api/v1/transfers/feed", {"after": 0, "limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_after"] == items[1]["event_id"]
    # Others' tokens: the other platform sees its own only; no token 401; staff 403.
    other = bearer(mailbox.raw_token).get("/api/v1/transfers/feed").json()["items"]
    assert {i["upstream_id"] for i in other} == {"F-2"}
    assert bearer("yht_wrong").get("/api/v1/transfers/feed").status_code == 401
    from django.test import Client

    staff = Client()
    staff.force_login(cast.dispatcher)
    assert staff.get("/api/v1/transfers/feed").status_code == 403


def test_push_adapter_reports_state_changes_and_the_final_reply(present, mayor, mailbox):
    cast = present
    with Receiver(PUSH_SECRET, statuses=[503]) as upstream:
        do_save_platform(
            code="mayor", name=mayor.name, account=mayor.account, push_url=upstream.url, push_secret=PUSH_SECRET
        )
        mine = transfer(mayor, cast, upstream_id="P-1")
        transfer(mailbox, cast, upstream_id="P-2")  # another platform's order: not pushed here
        drive(cast, mine, "closed")
        now = timezone.now()
        W.do_dispatch_events(now=now)
        first = W.do_send_due(now=now)
        assert first["retry"] == 1  # the upstream was down once
        W.do_send_due(now=now + W.backoff(1))
        # A retried delivery arrives after later ones: receivers order by the event id.
        got = sorted(upstream.received, key=lambda b: b["event"]["id"])
        assert {b["order"]["upstream_ref"] for b in got} == {"P-1"}
        kinds = [b["event"]["kind"] for b in got]
        assert kinds[0] == "create" and kinds[-1] == "close"
        assert all(b["event"].get("reason") is None for b in got)  # public only: no internal reasons
        replies = [b["order"].get("reply") for b in got if b["event"]["to_state"] in ("pending_callback", "closed")]
        assert replies and all(r == "已处理完毕" for r in replies)
        assert "13800001234" not in json.dumps(got)
        assert Delivery.objects.filter(state="pending").count() == 0
    # Taking the push URL away stops the pushes.
    do_save_platform(code="mayor", name=mayor.name, account=mayor.account)
    assert not mayor.push_subscription.__class__.objects.get(platform=mayor).is_active
