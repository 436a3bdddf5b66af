"""In a real browser: the telephony server reports that the operator answered a call from a number with
history; within a couple of seconds the open intake desk shows the pop, fills the phone and shows the
caller's history, without reloading and without taking the focus from the field being typed in; the
operator creates a work order and the call is linked to the contact recorded."""

from __future__ import annotations

import re

import pytest

from tests.factories import build_cast, new_order
from yihaotong.accounts.actions import do_issue_token
from yihaotong.intake.models import Contact
from yihaotong.telephony.models import Call
from yihaotong.telephony.simulate import post_event

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"
CALLER = "13800001234"  # the factories' requester: the order below is their history


@pytest.fixture
def people():
    cast = build_cast()
    cast.operator.set_password(PASSWORD)
    cast.operator.save()
    return cast


def test_answered_call_pops_on_the_desk_and_links_to_the_contact(people, open_session, live_server):
    earlier = new_order(people, subject="小区垃圾清运不及时")
    _row, token = do_issue_token(user=people.integration, name="telephony")
    operator = open_session("operator", journey="screen-pop")
    page = operator.go("/desk/")
    marker = page.evaluate("() => { window.__sameDesk = 'yes'; return window.__sameDesk; }")
    page.click("#id_summary")
    page.keyboard.type("楼下")

    post_event(live_server.url, token, {"call_id": "pop-1", "event": "ringing", "caller": CALLER})
    post_event(live_server.url, token, {"call_id": "pop-1", "event": "answered", "caller": CALLER, "agent": "operator"})

    pop = page.locator("[data-testid=call-pop]")
    pop.wait_for(timeout=10000)
    assert CALLER in pop.inner_text()
    history = page.locator("#history-pane [data-testid=caller-history]")
    history.wait_for(timeout=10000)
    assert earlier.number in history.inner_text()
    assert page.input_value("#id_phone") == CALLER
    # The same page (no reload), and the operator's cursor is still in the summary.
    assert page.evaluate("() => window.__sameDesk") == marker
    assert page.evaluate("() => document.activeElement.id") == "id_summary"
    page.keyboard.type("餐馆油烟很大")
    assert page.input_value("#id_summary") == "楼下餐馆油烟很大"
    operator.shot("pop")

    call = Call.objects.get(call_id="pop-1")
    assert page.input_value("#desk-call") == str(call.pk)
    page.fill("#id_name", "张测试")
    page.fill("#id_address", "草市街1号")
    page.fill("#id_text", "楼下餐馆的油烟每天晚上都排到住户窗口。")
    page.select_option("#id_request_type", "complaint")
    page.click("button[name=outcome][value=create]")
    number = page.locator("[data-testid=order-number]").inner_text(timeout=15000).strip()
    operator.shot("created")
    assert re.fullmatch(r"QY\d{8}-\d{4}", number)

    call.refresh_from_db()
    contact = Contact.objects.get(order__number=number)
    assert call.contact == contact and contact.phone == CALLER
    # Recorded: the pop does not come back for this call.
    page.wait_for_timeout(2500)
    assert page.locator("[data-testid=call-pop]").count() == 0


def test_missed_call_is_called_back_and_a_letter_becomes_an_order(people, open_session, live_server):
    from tests.letters.messages import letter
    from yihaotong.letters.actions import do_receive_letter
    from yihaotong.letters.conf import MailboxSettings
    from yihaotong.letters.mail import parse_message
    from yihaotong.workorders.models import WorkOrder

    _row, token = do_issue_token(user=people.integration, name="telephony")
    post_event(live_server.url, token, {"call_id": "miss-1", "event": "ringing", "caller": "13900003333"})
    post_event(live_server.url, token, {"call_id": "miss-1", "event": "ended", "caller": "13900003333"})
    kept, _new = do_receive_letter(parse_message(letter(), MailboxSettings()))

    operator = open_session("operator", journey="calls-letters")
    page = operator.go("/telephony/calls/")
    row = page.locator("tr", has_text="13900003333")
    row.locator("input[name=note]").fill("已回拨，问题已说明")
    operator.shot("missed")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("tr", has_text="13900003333").count() == 0
    assert Call.objects.get(call_id="miss-1").callback_note == "已回拨，问题已说明"

    page = operator.go("/letters/")
    page.click(f"#letter-{kept.pk} a")
    page.wait_for_selector("#record-form")
    assert page.input_value("#id_phone") == "13900002222"
    page.select_option("#id_request_type", "help")
    page.fill("#id_address", "草市街12号")
    operator.shot("letter")
    page.click("#record-form button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    operator.shot("letter-order")
    kept.refresh_from_db()
    assert kept.state == "recorded" and WorkOrder.objects.get().channel == "letter"
