"""In a real browser: after an action in the centre panel the order page's header (state badge, deadline) and its
timeline both change without a reload, and the new timeline entry reads as words, not event codes."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.factories import build_cast, new_order
from yihaotong.workorders.models import OrderState

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"


def tr(language: str, msgid: str, context: str | None = None) -> str:
    with translation.override(language):
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


def state(language: str, value: str) -> str:
    with translation.override(language):
        return str(OrderState(value).label)


@pytest.fixture
def people():
    cast = build_cast()
    cast.dispatcher.set_password(PASSWORD)
    cast.dispatcher.save()
    return cast


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_header_and_timeline_follow_a_panel_action(people, open_session, language):
    order = new_order(people)  # pending dispatch, categorised
    dispatcher = open_session("dispatcher", language=language, journey=f"order-header-{language}")
    page = dispatcher.go(f"/orders/{order.pk}/")
    head = page.locator("#order-head")
    expect(head.locator(".badge")).to_have_text(state(language, "pending_dispatch"))
    expect(head.locator(".deadline")).to_have_count(0)
    panel = page.locator("#centre-panel")
    expect(panel.locator("h2")).to_have_text(tr(language, "Centre actions"))
    dispatcher.shot("before")

    # The catalogue fills the lead and supporting units in; the dispatcher previews and confirms.
    panel.locator("button", has_text=tr(language, "Preview deadlines")).click()
    panel.locator("[data-testid=confirm-dispatch]").click()
    expect(panel.locator(".notice")).to_contain_text(tr(language, "The order was dispatched."))

    # No reload: the header shows the new state and the sign-for deadline; the timeline has the dispatch.
    expect(head.locator(".badge")).to_have_text(state(language, "dispatched"))
    expect(head.locator(".deadline")).to_be_visible()
    entry = page.locator("#timeline li[data-kind=dispatch]")
    expect(entry.locator("strong")).to_have_text(tr(language, "Dispatched", "order event"))  # words, not the code
    expect(entry).to_contain_text(f"{state(language, 'pending_dispatch')} → {state(language, 'dispatched')}")
    dispatcher.shot("after-dispatch")
