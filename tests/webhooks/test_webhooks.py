"""Outbound webhooks against a local receiver that verifies signatures: subscriptions (API and screens),
deliveries from the event log, retries with backoff up to the limit, the delivery log, re-sending."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import drive, new_order
from yihaotong.core.errors import Invalid, NotFound, NotPermitted
from yihaotong.webhooks import actions as W
from yihaotong.webhooks.models import Delivery, DeliveryState, Horizon, Subscription
from yihaotong.workorders.actions import do_add_note

from .receiver import Receiver

SECRET = "s3cret-for-tests-0123456789"


def settle(now=None):
    """What the periodic task does, at a time past any gap wait."""
    now = now or timezone.now()
    made = W.do_dispatch_events(now=now)
    return made, W.do_send_due(now=now)


def test_signature_roundtrip_and_replay():
    body = b'{"a":1}'
    header = W.sign(SECRET, body, 1_700_000_000)
    assert W.verify_signature(SECRET, header, body, now=1_700_000_100)
    assert not W.verify_signature(SECRET, header, body + b" ", now=1_700_000_100)
    assert not W.verify_signature("other-secret-0123456789", header, body, now=1_700_000_100)
    assert not W.verify_signature(SECRET, header, body, now=1_700_000_000 + 301)  # replayed later
    assert not W.verify_signature(SECRET, "", body)


def test_deliveries_signed_and_received(cast):
    with Receiver(SECRET) as rx:
        sub = W.do_save_subscription(
            cast.sysadmin, name="数据平台", url=rx.url, secret=SECRET, events=["create", "dispatch"]
        )
        order = new_order(cast)
        drive(cast, order, "in_progress")
        made, sent = settle()
        assert made == 2 and sent == {"delivered": 2, "retry": 0, "failed": 0}
        kinds = [b["event"]["kind"] for b in rx.received]
        assert kinds == ["create", "dispatch"]
        assert rx.received[0]["order"]["number"] == order.number
        assert "requester_phone" not in json.dumps(rx.received)
        assert rx.headers[0]["X-Yihaotong-Event"] == "create"
        assert rx.refused == 0
        # Nothing twice.
        assert settle() == (0, {"delivered": 0, "retry": 0, "failed": 0})
        assert Delivery.objects.filter(subscription=sub, state=DeliveryState.DELIVERED).count() == 2


def test_retries_with_backoff_then_failed_then_resend(cast, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    with Receiver(SECRET, statuses=[500, 503, 502, 500]) as rx:
        W.do_save_subscription(cast.sysadmin, name="x", url=rx.url, secret=SECRET, events=["create"])
        new_order(cast)
        now = timezone.now()
        made, sent = settle(now)
        assert made == 1 and sent["retry"] == 1
        d = Delivery.objects.get()
        assert (d.attempts, d.last_status, d.state) == (1, 500, "pending")
        assert d.next_attempt_at == now + timedelta(seconds=60)
        assert "try later" in d.last_error
        assert W.do_send_due(now=now + timedelta(seconds=59)) == {"delivered": 0, "retry": 0, "failed": 0}
        assert W.do_send_due(now=now + timedelta(seconds=60))["retry"] == 1
        d.refresh_from_db()
        assert d.attempts == 2 and d.next_attempt_at == now + timedelta(seconds=60 + 120)
        assert W.do_send_due(now=now + timedelta(seconds=180))["failed"] == 1
        d.refresh_from_db()
        assert (d.state, d.attempts, d.next_attempt_at) == ("failed", 3, None)
        # An admin re-sends it: a fresh budget; the receiver answers 500 once more, then 200.
        W.do_resend_delivery(cast.sysadmin, d.pk, now=now + timedelta(seconds=200))
        assert W.do_send_due(now=now + timedelta(seconds=200))["retry"] == 1
        assert W.do_send_due(now=now + timedelta(seconds=260))["delivered"] == 1
        d.refresh_from_db()
        assert (d.state, d.attempts, d.last_status) == ("delivered", 2, 200)
        assert len(rx.received) == 1


def test_unreachable_receiver_is_logged(cast):
    W.do_save_subscription(cast.sysadmin, name="gone", url="http://127.0.0.1:9/hook", secret=SECRET)
    new_order(cast)
    made, sent = settle()
    assert made == 1 and sent["retry"] == 1
    d = Delivery.objects.get()
    assert d.last_status is None and "Connection" in d.last_error


def test_wrong_secret_is_refused_by_the_receiver(cast):
    with Receiver("the-receiver-expects-this-one") as rx:
        W.do_save_subscription(cast.sysadmin, name="x", url=rx.url, secret=SECRET)
        new_order(cast)
        settle()
        assert rx.refused == 1 and rx.received == []
        assert Delivery.objects.get().last_status == 401


def test_public_only_and_start_after(cast):
    order = new_order(cast)  # before the subscription: not delivered
    with Receiver(SECRET) as rx:
        W.do_save_subscription(cast.sysadmin, name="p", url=rx.url, secret=SECRET, public_only=True)
        do_add_note(cast.operator, order.pk, text="内部备注")  # not public
        drive(cast, order, "dispatched")
        settle()
        kinds = [b["event"]["kind"] for b in rx.received]
        assert "create" not in kinds and "note" not in kinds and "dispatch" in kinds
        assert all("reason" not in b["event"] for b in rx.received)


def test_validation_and_permissions(cast):
    with pytest.raises(NotPermitted):
        W.do_save_subscription(cast.dispatcher, name="x", url="http://127.0.0.1/x")
    with pytest.raises(Invalid) as exc:
        W.do_save_subscription(cast.sysadmin, name="", url="ftp://x", secret="short", events=["nope"])
    assert set(exc.value.errors) == {"name", "url", "secret", "events"}
    sub = W.do_save_subscription(cast.sysadmin, name="x", url="https://example.org/h")
    assert len(sub.secret) >= 32  # made when blank


def test_horizon_waits_for_a_gap_then_skips_it(cast):
    from yihaotong.workorders.models import Event

    new_order(cast)
    new_order(cast)
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    Horizon.objects.update_or_create(pk=1, defaults={"last_event_id": ids[0] - 2})  # as if ids[0]-1 never committed
    now = timezone.now()
    old, new = W.advance_horizon(now)
    assert new == old  # stops at the gap
    assert W.advance_horizon(now + timedelta(seconds=30))[1] == old  # still waiting
    assert W.advance_horizon(now + timedelta(seconds=61))[1] == ids[-1]  # skipped as rolled back


def test_api(cast):
    c = Client()
    c.force_login(cast.sysadmin)
    with Receiver(SECRET, statuses=[500]) as rx:
        r = c.post(
            "/api/v1/webhooks/subscriptions",
            json.dumps({"name": "api", "url": rx.url, "secret": SECRET, "events": ["create"]}),
            content_type="application/json",
        )
        assert r.status_code == 201 and r.json()["secret"] == SECRET
        sub_id = r.json()["id"]
        r = c.post(
            "/api/v1/webhooks/subscriptions",
            json.dumps({"name": "bad", "url": "nope"}),
            content_type="application/json",
        )
        assert r.status_code == 422 and "url" in r.json()["errors"]
        new_order(cast)
        settle()
        log = c.get("/api/v1/webhooks/deliveries", {"subscription": sub_id}).json()
        assert log["total"] == 1 and log["items"][0]["last_status"] == 500 and log["items"][0]["attempts"] == 1
        did = log["items"][0]["id"]
        assert c.get("/api/v1/webhooks/deliveries", {"state": "weird"}).status_code == 422
        r = c.post(f"/api/v1/webhooks/deliveries/{did}/resend")
        assert r.status_code == 200 and r.json()["state"] == "pending"
        W.do_send_due()
        assert len(rx.received) == 1
        r = c.put(
            f"/api/v1/webhooks/subscriptions/{sub_id}",
            json.dumps({"name": "api2", "url": rx.url, "is_active": False}),
            content_type="application/json",
        )
        assert r.status_code == 200 and r.json()["is_active"] is False
        assert Subscription.objects.get(pk=sub_id).secret == SECRET  # blank keeps it
    other = Client()
    other.force_login(cast.dispatcher)
    assert other.get("/api/v1/webhooks/subscriptions").status_code == 403
    assert other.post(f"/api/v1/webhooks/deliveries/{did}/resend").status_code == 403
    assert Client().get("/api/v1/webhooks/subscriptions").status_code == 401


def test_screens(cast):
    c = Client()
    c.force_login(cast.sysadmin)
    assert c.get("/webhooks/").status_code == 200
    r = c.post("/webhooks/", {"name": "屏幕", "url": "not a url", "events": ["create"]})
    assert r.status_code == 422
    r = c.post("/webhooks/", {"name": "屏幕", "url": "http://127.0.0.1:9/h", "events": ["create"], "is_active": "on"})
    assert r.status_code == 302
    sub = Subscription.objects.get(name="屏幕")
    new_order(cast)
    settle()
    page = c.get(r["Location"]).content.decode()
    assert 'data-testid="deliveries"' in page and "create" in page
    d = Delivery.objects.get()
    assert c.get(f"/webhooks/deliveries/{d.pk}/resend").status_code == 405  # no state change over GET
    r = c.post(f"/webhooks/deliveries/{d.pk}/resend")
    assert r.status_code == 302
    failed = c.get(f"/webhooks/{sub.pk}/", {"state": "failed"}).content.decode()
    assert 'data-testid="deliveries"' not in failed
    h = Client()
    h.force_login(cast.operator)
    assert h.get("/webhooks/").status_code == 403


def test_platform_push_subscription_page(cast):
    from yihaotong.channels.actions import do_save_platform

    platform = do_save_platform(
        code="mayor", name="市长公开电话", push_url="http://127.0.0.1:9/push", push_secret="push-secret-0123456789"
    )
    sub = platform.push_subscription
    assert sub.public_only and sub.platform_id == platform.pk
    c = Client()
    c.force_login(cast.sysadmin)
    page = c.get(f"/webhooks/{sub.pk}/").content.decode()
    assert "市长公开电话" in page and '<form method="post" class="stack">' not in page
    # Its URL and secret change on the platform only.
    with pytest.raises(NotFound):
        W.do_save_subscription(cast.sysadmin, sub.pk, name="x", url="http://127.0.0.1:9/other")
    listing = c.get("/webhooks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "市长公开电话" in listing


def test_periodic_task_makes_and_sends(cast):
    from yihaotong.webhooks.tasks import dispatch_and_send

    with Receiver(SECRET) as rx:
        W.do_save_subscription(cast.sysadmin, name="task", url=rx.url, secret=SECRET, events=["create"])
        new_order(cast)
        assert dispatch_and_send.call_local() == {"made": 1, "delivered": 1, "retry": 0, "failed": 0}
        assert len(rx.received) == 1
