"""In a real browser: double-clicks and two people acting on one order at once.

A double-click on a button that changes an order makes exactly one change and shows the success message,
never an error page or an error for the click that was not needed. Two people acting on the same order at
the same moment (two browser contexts) end with one success and, for the other, a clear message that the
order changed first and nothing was done.
"""

from __future__ import annotations

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from tests.factories import EDU, build_cast, drive, new_order
from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.workorders.models import Event, WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"
LANGUAGE = "zh-hans"


def tr(msgid: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(msgid)


@pytest.fixture
def people():
    cast = build_cast()
    cast.reviewer2 = do_create_user(
        username="reviewer2", password=None, roles=[R.REVIEWER], unit=cast.operator.unit, display_name="reviewer2"
    )
    for user in (cast.reviewer, cast.reviewer2, cast.edu, cast.callback):
        user.set_password(PASSWORD)
        user.save()
    return cast


def order_in(cast, state: str, **kw) -> WorkOrder:
    now = timezone.now()
    return drive(cast, new_order(cast, now=now, **kw), state, now=now, lead=EDU)


def events(order: WorkOrder, kind: str) -> int:
    return Event.objects.filter(order=order, kind=kind).count()


def test_double_click_on_sign_signs_once(people, open_session):
    order = order_in(people, "dispatched")
    handler = open_session("edu", journey="bad-input")
    page = handler.go(f"/orders/{order.pk}/")
    button = page.locator("#unit-panel button", has_text=tr("Sign for this order"))
    expect(button).to_be_visible()
    button.dblclick()
    expect(page.locator("#unit-panel .messages")).to_contain_text(
        tr("Signed for. The order is in your unit's hands now.")
    )
    page.wait_for_load_state("networkidle")
    handler.shot("sign-double-click")
    expect(page.locator("#unit-panel [role=alert]")).to_have_count(0)
    order.refresh_from_db()
    assert order.state == "in_progress"
    assert events(order, "sign") == 1


def test_double_click_on_approve_approves_once(people, open_session):
    order = order_in(people, "replied")
    reviewer = open_session("reviewer", journey="bad-input")
    page = reviewer.go("/review/?tab=replies")
    item = page.locator("#review-rows article.item", has_text=order.number)
    item.locator("button[name=decision][value=approve]").dblclick()
    expect(page.locator("#review-rows .notice")).to_contain_text(tr("The review was recorded."))
    page.wait_for_load_state("networkidle")
    reviewer.shot("approve-double-click")
    expect(page.locator("#review-rows [role=alert]")).to_have_count(0)
    order.refresh_from_db()
    assert order.state == "pending_callback"
    assert events(order, "approve_reply") == 1


def test_double_click_on_a_centre_panel_button_acts_once(people, open_session):
    order = order_in(people, "replied")
    reviewer = open_session("reviewer", journey="bad-input")
    page = reviewer.go(f"/orders/{order.pk}/")
    panel = page.locator("#centre-panel")
    panel.locator("button[name=decision][value=approve]").dblclick()
    expect(panel.locator(".notice")).to_contain_text(tr("The review was recorded."))
    page.wait_for_load_state("networkidle")
    reviewer.shot("panel-double-click")
    expect(panel.locator("[role=alert]")).to_have_count(0)
    assert events(order, "approve_reply") == 1


def test_two_reviewers_approve_the_same_reply_at_once(people, open_session):
    order = order_in(people, "replied")
    first = open_session("reviewer", journey="bad-input")
    second = open_session("reviewer2", journey="bad-input")
    pages = [s.go("/review/?tab=replies") for s in (first, second)]
    buttons = [
        p.locator("#review-rows article.item", has_text=order.number).locator("button[name=decision][value=approve]")
        for p in pages
    ]
    for b in buttons:
        expect(b).to_be_visible()
    for b in buttons:  # both click before either answer arrives
        b.click(no_wait_after=True)
    for p in pages:
        expect(p.locator("#review-rows .notice, #review-rows [role=alert]").first).to_be_visible()
    first.shot("concurrent-approve")
    second.shot("concurrent-approve")
    ok = [p.locator("#review-rows .notice", has_text=tr("The review was recorded.")).count() for p in pages]
    refused = [
        p.locator(
            "#review-rows [role=alert]", has_text=tr("The order changed before your action, so nothing was done.")
        ).count()
        for p in pages
    ]
    assert sorted(ok) == [0, 1] and sorted(refused) == [0, 1] and ok != refused
    loser = pages[refused.index(1)]
    with translation.override(LANGUAGE):
        now_text = tr("The order is now: %(state)s.") % {
            "state": WorkOrder(state="pending_callback").get_state_display()
        }
    expect(loser.locator("#review-rows [data-testid=current-state]")).to_have_text(now_text)
    order.refresh_from_db()
    assert order.state == "pending_callback"
    assert events(order, "approve_reply") == 1


def test_two_handlers_of_one_unit_sign_at_once(people, open_session):
    order = order_in(people, "dispatched")
    second = do_create_user(
        username="edu2", password=None, roles=[R.HANDLER], unit=people.edu.unit, display_name="edu2"
    )
    second.set_password(PASSWORD)
    second.save()
    sessions = [open_session("edu", journey="bad-input"), open_session("edu2", journey="bad-input")]
    pages = [s.go(f"/orders/{order.pk}/") for s in sessions]
    buttons = [p.locator("#unit-panel button", has_text=tr("Sign for this order")) for p in pages]
    for b in buttons:
        expect(b).to_be_visible()
    for b in buttons:
        b.click(no_wait_after=True)
    for p in pages:
        expect(p.locator("#unit-panel .messages, #unit-panel [role=alert]").first).to_be_visible()
    for s in sessions:
        s.shot("concurrent-sign")
    ok = [
        p.locator("#unit-panel .messages", has_text=tr("Signed for. The order is in your unit's hands now.")).count()
        for p in pages
    ]
    refused = [
        p.locator("#unit-panel [role=alert]", has_text=tr("This assignment has been signed for already.")).count()
        for p in pages
    ]
    assert sorted(ok) == [0, 1] and sorted(refused) == [0, 1] and ok != refused
    assert events(order, "sign") == 1
