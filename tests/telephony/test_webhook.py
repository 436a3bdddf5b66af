"""The telephony webhook: authentication, the call's life, replays, events out of order, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yihaotong.accounts.actions import do_issue_token, do_revoke_token
from yihaotong.telephony.models import Call, CallEvent, Extension

pytestmark = pytest.mark.django_db

CALLER = "13800001234"


BASE = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


def at(seconds: int) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat()


def test_a_call_rings_is_answered_and_ends(cast, hook):
    r = hook(call_id="c-1", event="ringing", caller="138-0000-1234", at=at(0))
    assert r.status_code == 200, r.content
    assert r.json()["call"]["state"] == "ringing" and r.json()["applied"] is True
    r = hook(call_id="c-1", event="answered", caller=CALLER, agent="operator", at=at(8))
    assert r.json()["call"]["state"] == "answered"
    r = hook(call_id="c-1", event="ended", caller=CALLER, agent="operator", at=at(8 + 95))
    body = r.json()["call"]
    assert body["state"] == "ended" and body["duration"] == 95 and body["agent"] == "operator"
    call = Call.objects.get(call_id="c-1")
    assert call.caller == CALLER and call.agent == cast.operator
    assert list(call.events.values_list("kind", flat=True)) == ["ringing", "answered", "ended"]


def test_the_agent_may_be_an_extension(cast, hook):
    Extension.objects.create(number="8001", user=cast.operator)
    r = hook(call_id="c-ext", event="answered", caller=CALLER, agent="8001")
    assert r.status_code == 200, r.content
    assert Call.objects.get(call_id="c-ext").agent == cast.operator


def test_a_replayed_event_changes_nothing(cast, hook):
    hook(call_id="c-2", event="ringing", caller=CALLER, at=at(0))
    hook(call_id="c-2", event="answered", caller=CALLER, agent="operator", at=at(5))
    r = hook(call_id="c-2", event="answered", caller=CALLER, agent="dispatcher", at=at(50))
    assert r.status_code == 200
    assert r.json()["applied"] is False
    call = Call.objects.get(call_id="c-2")
    assert call.agent == cast.operator and CallEvent.objects.filter(call=call).count() == 2


def test_events_out_of_order_give_the_same_call(cast, hook):
    hook(call_id="c-3", event="ended", caller=CALLER, agent="operator", at=at(70))
    assert Call.objects.get(call_id="c-3").state == "missed"  # for now: no answer heard of yet
    hook(call_id="c-3", event="answered", caller=CALLER, agent="operator", at=at(10))
    hook(call_id="c-3", event="ringing", caller=CALLER, at=at(0))
    call = Call.objects.get(call_id="c-3")
    assert call.state == "ended" and call.duration == 60 and call.agent == cast.operator


def test_a_call_never_answered_is_missed(cast, hook):
    hook(call_id="c-4", event="ringing", caller=CALLER, at=at(0))
    hook(call_id="c-4", event="ended", caller=CALLER, at=at(20))
    call = Call.objects.get(call_id="c-4")
    assert call.state == "missed" and call.duration is None and call.agent is None


def test_the_webhook_needs_a_service_token(cast, client, token):
    event = {"call_id": "c-5", "event": "ringing", "caller": CALLER}
    r = client.post("/api/v1/telephony/events", event, content_type="application/json")
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"
    bad = {"Authorization": "Bearer yht_not-a-token"}
    assert (
        client.post("/api/v1/telephony/events", event, content_type="application/json", headers=bad).status_code == 401
    )
    # A staff session is not the telephony server.
    client.force_login(cast.operator)
    assert client.post("/api/v1/telephony/events", event, content_type="application/json").status_code == 401
    assert not Call.objects.exists()


def test_a_revoked_token_or_a_service_account_without_the_role_is_refused(cast, client):
    row, raw = do_issue_token(user=cast.integration, name="old")
    do_revoke_token(token_id=row.pk)
    event = {"call_id": "c-6", "event": "ringing", "caller": CALLER}
    headers = {"Authorization": f"Bearer {raw}"}
    assert (
        client.post("/api/v1/telephony/events", event, content_type="application/json", headers=headers).status_code
        == 401
    )
    from yihaotong.accounts.actions import do_create_user

    other = do_create_user(username="svc-other", password=None, roles=[], is_service=True)
    _row, raw = do_issue_token(user=other, name="other")
    headers = {"Authorization": f"Bearer {raw}"}
    r = client.post("/api/v1/telephony/events", event, content_type="application/json", headers=headers)
    assert r.status_code == 403
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "event, field",
    [
        ({"call_id": "c-7", "event": "transferred", "caller": CALLER}, "event"),
        ({"call_id": "bad id with spaces", "event": "ringing", "caller": CALLER}, "call_id"),
        ({"call_id": "c-7", "event": "ringing", "caller": "12"}, "caller"),
        ({"call_id": "c-7", "event": "answered", "caller": CALLER}, "agent"),
        ({"call_id": "c-7", "event": "answered", "caller": CALLER, "agent": "nobody"}, "agent"),
        ({"call_id": "c-7", "event": "answered", "caller": CALLER, "agent": "edu"}, "agent"),  # not an operator
        ({"call_id": "c-7", "event": "ringing", "caller": CALLER, "at": "2099-01-01T00:00:00+08:00"}, "at"),
    ],
)
def test_bad_events_are_refused_with_the_field_and_nothing_is_written(cast, hook, event, field):
    r = hook(**event)
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"]
    assert not Call.objects.exists() and not CallEvent.objects.exists()


def test_a_call_id_reused_with_another_caller_is_a_conflict(cast, hook):
    hook(call_id="c-8", event="ringing", caller=CALLER)
    r = hook(call_id="c-8", event="answered", caller="13900000000", agent="operator")
    assert r.status_code == 409
    call = Call.objects.get(call_id="c-8")
    assert call.state == "ringing" and call.events.count() == 1


def test_a_call_that_rang_out_without_an_end_becomes_missed(cast, hook):
    from yihaotong.telephony.actions import do_expire_unanswered
    from yihaotong.telephony.tasks import expire_unanswered_calls

    hook(call_id="r-1", event="ringing", caller=CALLER, at=at(0))  # ten minutes ago
    hook(call_id="r-2", event="ringing", caller="13900000000")  # just now
    assert do_expire_unanswered(now=BASE + timedelta(minutes=5)) == 0
    assert expire_unanswered_calls.call_local() == 1
    assert Call.objects.get(call_id="r-1").state == "missed"
    assert Call.objects.get(call_id="r-2").state == "ringing"
    hook(call_id="r-1", event="ringing", caller=CALLER, at=at(0))  # a replay changes nothing
    assert Call.objects.get(call_id="r-1").state == "missed"
    hook(call_id="r-1", event="ended", caller=CALLER, at=at(30))
    assert Call.objects.get(call_id="r-1").state == "missed"
    # An answer reported late still counts.
    hook(call_id="r-1", event="answered", caller=CALLER, agent="operator", at=at(5))
    call = Call.objects.get(call_id="r-1")
    assert call.state == "ended" and call.duration == 25
