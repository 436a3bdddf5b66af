"""The screen pop on the intake desk, the link from a call to the contact recorded during it, the missed
calls and their call-back marks (console and API)."""

from __future__ import annotations

import pytest

from tests.factories import new_order
from yihaotong.intake.models import Contact
from yihaotong.telephony.models import Call, CallEvent

pytestmark = pytest.mark.django_db

CALLER = "13800001234"  # the factories' requester: has history


def _desk_form(**overrides) -> dict:
    data = {
        "channel": "call",
        "phone": CALLER,
        "name": "张先生",
        "address": "草市街1号",
        "summary": "楼下餐馆油烟很大",
        "text": "楼下餐馆的油烟每天晚上都排到住户窗口。",
        "request_type": "complaint",
        "urgency": "normal",
        "outcome": "create",
    }
    data.update(overrides)
    return data


def test_nothing_pops_without_a_call(cast, client):
    assert client.get("/telephony/pop").status_code == 286  # logged out: htmx stops polling
    client.force_login(cast.callback)
    assert client.get("/telephony/pop").status_code == 286  # no desk
    client.force_login(cast.operator)
    assert client.get("/telephony/pop").status_code == 204


def test_the_answered_call_pops_on_the_agents_desk_only(cast, client, hook):
    new_order(cast)
    hook(call_id="p-1", event="ringing", caller=CALLER)
    client.force_login(cast.operator)
    assert client.get("/telephony/pop").status_code == 204  # ringing: not answered yet
    hook(call_id="p-1", event="answered", caller=CALLER, agent="operator")
    r = client.get("/telephony/pop")
    assert r.status_code == 200
    html = r.content.decode()
    call = Call.objects.get(call_id="p-1")
    assert f'data-phone="{CALLER}"' in html
    assert f'id="desk-call" value="{call.pk}" hx-swap-oob="true"' in html
    # Already on the desk: the poll swaps nothing.
    assert client.get("/telephony/pop", {"call_shown": call.pk}).status_code == 204
    client.force_login(cast.dispatcher)  # another desk
    assert client.get("/telephony/pop").status_code == 204


def test_the_desk_page_polls_for_the_pop(cast, client):
    client.force_login(cast.operator)
    html = client.get("/desk/").content.decode()
    assert 'hx-get="/telephony/pop"' in html and 'hx-trigger="load, every 2s"' in html
    assert 'id="desk-call" value=""' in html
    assert "telephony/pop.js" in html


def test_the_contact_recorded_during_the_call_is_linked(cast, client, hook):
    hook(call_id="p-2", event="ringing", caller=CALLER)
    hook(call_id="p-2", event="answered", caller=CALLER, agent="operator")
    call = Call.objects.get(call_id="p-2")
    client.force_login(cast.operator)
    # A form error first: the call stays on the desk (the hidden field keeps it).
    r = client.post("/desk/", _desk_form(summary="", call=call.pk), headers={"HX-Request": "true"})
    assert f'id="desk-call" value="{call.pk}"' in r.content.decode()
    call.refresh_from_db()
    assert call.contact is None
    r = client.post("/desk/", _desk_form(call=call.pk), headers={"HX-Request": "true"})
    assert r.status_code == 200
    call.refresh_from_db()
    contact = Contact.objects.get()
    assert call.contact == contact and contact.order is not None
    assert CallEvent.objects.filter(call=call, kind="linked").count() == 1
    assert 'id="desk-call" value=""' in r.content.decode()  # the next call starts clean
    assert client.get("/telephony/pop").status_code == 204  # recorded: no more pop
    # The call log shows the contact and its order.
    html = client.get("/telephony/calls/", {"show": "all"}).content.decode()
    assert contact.order.number in html


def test_another_operators_call_is_not_linked(cast, client, hook):
    hook(call_id="p-3", event="answered", caller=CALLER, agent="dispatcher")
    call = Call.objects.get(call_id="p-3")
    client.force_login(cast.operator)
    r = client.post("/desk/", _desk_form(call=call.pk), headers={"HX-Request": "true"})
    assert r.status_code == 200
    call.refresh_from_db()
    assert call.contact is None and not Contact.objects.exists()  # nothing half-written


def test_missed_calls_are_listed_and_marked_called_back(cast, client, hook):
    hook(call_id="m-1", event="ringing", caller="13900000001")
    hook(call_id="m-1", event="ended", caller="13900000001")
    hook(call_id="m-2", event="ringing", caller="13900000002")
    hook(call_id="m-2", event="answered", caller="13900000002", agent="operator")
    hook(call_id="m-2", event="ended", caller="13900000002", agent="operator")
    client.force_login(cast.operator)
    html = client.get("/telephony/calls/").content.decode()
    assert "13900000001" in html and "13900000002" not in html
    missed = Call.objects.get(call_id="m-1")
    r = client.post(
        f"/telephony/calls/{missed.pk}/called-back", {"note": "已回拨，说明了办理流程", "_query": "show=missed"}
    )
    assert r.status_code == 302 and r["Location"] == "/telephony/calls/?show=missed"
    missed.refresh_from_db()
    assert missed.called_back_by == cast.operator and missed.callback_note == "已回拨，说明了办理流程"
    assert f'id="call-{missed.pk}"' not in client.get("/telephony/calls/").content.decode()
    assert f'id="call-{missed.pk}"' in client.get("/telephony/calls/", {"show": "called_back"}).content.decode()
    # Twice: refused with a message, nothing changed.
    r = client.post(f"/telephony/calls/{missed.pk}/called-back", {"note": "again"}, follow=True)
    missed.refresh_from_db()
    assert missed.callback_note == "已回拨，说明了办理流程"
    assert CallEvent.objects.filter(call=missed, kind="called_back").count() == 1
    # An answered call is not called back.
    answered = Call.objects.get(call_id="m-2")
    client.post(f"/telephony/calls/{answered.pk}/called-back", {})
    answered.refresh_from_db()
    assert answered.called_back_at is None


def test_the_call_screen_filters_by_number_and_refuses_others(cast, client, hook):
    for i in range(3):
        hook(call_id=f"f-{i}", event="ringing", caller=f"1390000100{i}")
        hook(call_id=f"f-{i}", event="ended", caller=f"1390000100{i}")
    client.force_login(cast.callback)
    html = client.get("/telephony/calls/", {"q": "13900001002"}).content.decode()
    assert "13900001002" in html and "13900001001" not in html
    empty = client.get("/telephony/calls/", {"q": "999999"}).content.decode()
    assert 'class="empty"' in empty
    client.force_login(cast.edu)  # a handling unit
    assert client.get("/telephony/calls/").status_code == 403
    assert client.post(f"/telephony/calls/{Call.objects.first().pk}/called-back", {}).status_code == 302
    assert Call.objects.filter(called_back_at__isnull=False).count() == 0


def test_the_missed_call_list_pages(cast, client, hook):
    for i in range(35):
        hook(call_id=f"g-{i}", event="ringing", caller=f"139100{i:05d}")
        hook(call_id=f"g-{i}", event="ended", caller=f"139100{i:05d}")
    client.force_login(cast.operator)
    first = client.get("/telephony/calls/").content.decode()
    second = client.get("/telephony/calls/", {"page": 2}).content.decode()
    assert first.count('<tr id="call-') == 30 and second.count('<tr id="call-') == 5


def test_the_api_lists_calls_and_marks_call_backs(cast, client, hook):
    hook(call_id="a-1", event="ringing", caller="13900000009")
    hook(call_id="a-1", event="ended", caller="13900000009")
    client.force_login(cast.callback)
    r = client.get("/api/v1/telephony/calls", {"missed": "open"})
    assert r.status_code == 200 and [c["call_id"] for c in r.json()["items"]] == ["a-1"]
    pk = r.json()["items"][0]["id"]
    r = client.post(f"/api/v1/telephony/calls/{pk}/called-back", {"note": "ok"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["called_back_at"]
    r = client.post(f"/api/v1/telephony/calls/{pk}/called-back", {}, content_type="application/json")
    assert r.status_code == 409
    assert client.get("/api/v1/telephony/calls", {"missed": "open"}).json()["total"] == 0
    client.force_login(cast.edu)
    assert client.get(f"/api/v1/telephony/calls/{pk}").status_code == 404
    assert client.get("/api/v1/telephony/calls").json()["total"] == 0
