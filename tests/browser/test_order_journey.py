"""In a real browser: one work order's whole life, each step done by the right role in its own browser context.

operator creates it at the intake desk (number and query code shown) → dispatcher classifies it and
dispatches it to a lead unit (deadlines previewed before confirming) → the unit's handler signs →
asks for an extension → a reviewer approves it → the handler replies (internal notes and public text) →
the reviewer approves the reply → the callback agent records a dissatisfied callback (redo) → the
handler replies again → the reviewer approves → the callback agent records satisfied → closed.
A handler of another unit sees neither the order nor an inbox row for it. In Chinese and in English:
the operator switches language with the page's language control, the others browse in their language.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.factories import CM, build_cast
from yihaotong.workorders.actions import check_query_code
from yihaotong.workorders.models import Application, Event, WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"
OTHER = {"zh-hans": "en", "en": "zh-hans"}


def tr(language: str, msgid: str) -> str:
    """The text the page shows for ``msgid`` in ``language`` (from the compiled catalogue)."""
    with translation.override(language):
        return translation.gettext(msgid)


@pytest.fixture
def people():
    cast = build_cast()
    for user in (cast.operator, cast.dispatcher, cast.reviewer, cast.callback, cast.cm, cast.edu):
        user.set_password(PASSWORD)
        user.save()
    return cast


def assert_language(page, language: str, msgid: str) -> None:
    """The page is in ``language`` and shows ``msgid`` translated (and, in Chinese, not in English)."""
    assert page.locator("html").get_attribute("lang") == language
    text = tr(language, msgid)
    if language == "zh-hans":
        assert text != msgid, f"no Chinese translation of {msgid!r}"
    expect(page.locator("body")).to_contain_text(text)


def order_page(session, order: WorkOrder, panel: str):
    """Open the order detail page and wait for the role's action panel (loaded by htmx)."""
    page = session.go(f"/orders/{order.pk}/")
    expect(page.locator(f"#{panel} h2")).to_be_visible()
    return page


def review_item(page, number: str):
    return page.locator("#review-rows article.item", has_text=number)


def approve_reply(reviewer, order: WorkOrder, language: str, shot: str) -> None:
    page = reviewer.go("/review/?tab=replies")
    item = review_item(page, order.number)
    expect(item).to_be_visible()
    reviewer.shot(shot)
    item.locator("button[name=decision][value=approve]").click()
    expect(page.locator("#review-rows .notice")).to_contain_text(tr(language, "The review was recorded."))
    reviewer.shot(f"{shot}-done")


def reply(handler, order: WorkOrder, language: str, notes: str, public: str, shot: str) -> None:
    page = order_page(handler, order, "unit-panel")
    page.fill("#unit-reply-internal_notes", notes)
    page.fill("#unit-reply-public_text", public)
    handler.shot(shot)
    page.locator("#unit-panel button[type=submit].primary", has_text=tr(language, "Send the reply for review")).click()
    expect(page.locator("#unit-panel .messages")).to_contain_text(tr(language, "Reply sent."))
    handler.shot(f"{shot}-sent")


def callback(agent, order: WorkOrder, language: str, satisfaction: str, reason: str, shot: str):
    page = agent.go("/callbacks/")
    item = page.locator(f"#callback-{order.pk}")
    expect(item).to_be_visible()
    item.locator("input[name=outcome][value=reached]").check()
    item.locator("input[name=contacted][value=yes]").check()
    item.locator("input[name=solved][value=%s]" % ("yes" if satisfaction == "satisfied" else "no")).check()
    item.locator(f"input[name=satisfaction][value={satisfaction}]").check()
    if reason:
        item.locator("textarea[name=reason]").fill(reason)
    agent.shot(shot)
    item.locator("button[type=submit]").click()
    notice = page.locator("#callback-rows .notice")
    expect(notice).to_contain_text(tr(language, "The order is now: %(state)s.").split("%")[0].strip())
    agent.shot(f"{shot}-done")
    return notice


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_order_journey_through_the_consoles(people, open_session, language):
    journey = f"order-{language}"
    cm_unit = people.unit(CM)

    # --- operator: the intake desk, switching language with the page's own control --------------------
    operator = open_session("operator", language=OTHER[language], journey=journey)
    page = operator.go("/desk/")
    assert page.locator("html").get_attribute("lang") == OTHER[language]
    with page.expect_navigation():
        page.select_option("#lang-select", language)
    page.wait_for_load_state("networkidle")
    assert_language(page, language, "Intake desk")
    assert operator.context.cookies() and any(c["name"] == "django_language" for c in operator.context.cookies())
    page.fill("#id_phone", "13900002222")
    page.fill("#id_name", "周测试")
    page.fill("#id_address", "草市街8号")
    page.fill("#id_summary", "路灯一周不亮")
    page.fill("#id_text", "草市街8号门前的路灯已经坏了一周，晚上一片漆黑，出行不安全。")
    page.select_option("#id_request_type", "help")
    operator.shot("desk")
    page.click("button[name=outcome][value=create]")
    number = page.locator("[data-testid=order-number]").inner_text().strip()
    code = page.locator("[data-testid=query-code]").inner_text().strip()
    assert_language(page, language, "Work order created: read this to the caller")
    operator.shot("created")
    assert re.fullmatch(r"QY\d{8}-\d{4}", number)
    order = WorkOrder.objects.get(number=number)
    assert order.state == "pending_dispatch"
    assert check_query_code(order, code)

    # --- dispatcher: queue → order → classify → dispatch with the deadline preview ----------------------
    dispatcher = open_session("dispatcher", language=language, journey=journey)
    page = dispatcher.go("/queue/")
    assert_language(page, language, "Dispatch queue")
    row = page.locator("#queue-rows tr", has_text=number)
    expect(row).to_be_visible()
    dispatcher.shot("queue")
    row.locator(f"a:text-is('{number}')").click()
    page.wait_for_url(f"**/orders/{order.pk}/")
    panel = page.locator("#centre-panel")
    expect(panel.locator("h2")).to_have_text(tr(language, "Centre actions"))
    panel.locator(f"#id_{order.pk}_category").select_option("URB-05-03")
    panel.locator("button", has_text=tr(language, "Save category")).click()
    expect(panel.locator(".notice")).to_contain_text(tr(language, "The category was saved."))
    panel.locator(f"#id_{order.pk}_lead_unit_id").select_option(str(cm_unit.pk))
    panel.locator("button", has_text=tr(language, "Preview deadlines")).click()
    preview = panel.locator("[data-testid=deadline-preview]")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text(tr(language, "Sign for by"))
    expect(preview.locator("time").first).to_have_attribute("datetime", re.compile(r"\d{4}-\d\d-\d\dT"))
    dispatcher.shot("dispatch-preview")
    order.refresh_from_db()
    assert order.state == "pending_dispatch"  # the preview wrote nothing
    panel.locator("[data-testid=confirm-dispatch]").click()
    expect(panel.locator(".notice")).to_contain_text(tr(language, "The order was dispatched."))
    dispatcher.shot("dispatched")
    order.refresh_from_db()
    assert order.state == "dispatched" and order.lead_unit_id == cm_unit.pk

    # --- a handler of another unit: no inbox row, and the order page is a 404 ----------------------------
    other = open_session("edu", language=language, journey=journey)
    page = other.go("/inbox/")
    expect(page.locator("#inbox-rows")).to_be_visible()
    expect(page.locator("#inbox-rows")).not_to_contain_text(number)
    response = page.goto(f"{other.base}/orders/{order.pk}/")
    assert response.status == 404
    response = page.goto(f"{other.base}/orders/{order.pk}/unit-panel/")
    assert response.status == 404
    other.shot("not-visible")

    # --- handler of the lead unit: sign from the inbox ---------------------------------------------------
    handler = open_session("cm", language=language, journey=journey)
    page = handler.go("/inbox/")
    assert_language(page, language, "Unit inbox")
    row = page.locator("#inbox-rows tr", has_text=number)
    expect(row).to_be_visible()
    handler.shot("inbox")
    row.locator("button[type=submit]").click()
    expect(page.locator("#inbox-rows .messages")).to_contain_text(
        tr(language, "Signed for %(number)s.") % {"number": number}
    )
    handler.shot("signed")
    order.refresh_from_db()
    assert order.state == "in_progress"

    # --- handler: ask for an extension (the new deadline is shown before sending) -----------------------
    page = order_page(handler, order, "unit-panel")
    page.locator("#unit-panel summary", has_text=tr(language, "Ask for an extension")).click()
    page.fill("#unit-extension-working_days", "2")
    expect(page.locator("#unit-extension-preview")).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d"))
    page.fill("#unit-extension-reason", "需要协调供电部门更换线路，时间较长。")
    handler.shot("extension")
    page.locator("#unit-panel button", has_text=tr(language, "Request the extension")).click()
    expect(page.locator("#unit-panel .messages")).to_contain_text(
        tr(language, "Extension requested; a reviewer decides.")
    )
    handler.shot("extension-sent")
    old_due = WorkOrder.objects.get(pk=order.pk).handle_due

    # --- reviewer: approve the extension -----------------------------------------------------------------
    reviewer = open_session("reviewer", language=language, journey=journey)
    page = reviewer.go("/review/?tab=extension")
    assert_language(page, language, "Review")
    item = review_item(page, number)
    expect(item.locator("[data-testid=new-due]")).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d"))
    reviewer.shot("extension")
    item.locator("button[name=decision][value=approve]").click()
    expect(page.locator("#review-rows .notice")).to_contain_text(tr(language, "The decision was recorded."))
    reviewer.shot("extension-approved")
    order.refresh_from_db()
    assert order.extension_days == 2 and order.handle_due > old_due
    assert Application.objects.get(order=order, kind="extension").state == "approved"

    # --- handler replies; reviewer approves; the callback agent records a dissatisfied callback ----------
    reply(handler, order, language, "已联系供电部门，线路更换中。", "您反映的路灯问题已安排维修。", "reply-1")
    order.refresh_from_db()
    assert order.state == "replied"
    approve_reply(reviewer, order, language, "review-1")
    order.refresh_from_db()
    assert order.state == "pending_callback"

    agent = open_session("callback", language=language, journey=journey)
    notice = callback(agent, order, language, "dissatisfied", "路灯仍然不亮。", "callback-1")
    expect(notice).to_contain_text(
        tr(language, "The requester is dissatisfied: the order went back to %(unit)s for redo.")
        % {"unit": cm_unit.name}
    )
    order.refresh_from_db()
    assert order.state == "in_progress" and order.redo_count == 1

    # --- redo: reply again, approve, satisfied callback → closed -----------------------------------------
    reply(handler, order, language, "已更换电缆，照明恢复。", "路灯线路已更换，现已恢复照明。", "reply-2")
    approve_reply(reviewer, order, language, "review-2")
    callback(agent, order, language, "satisfied", "", "callback-2")
    order.refresh_from_db()
    assert order.state == "closed" and order.satisfaction == "satisfied"

    # --- the order page shows it closed, with the whole timeline -----------------------------------------
    page = order_page(agent, order, "centre-panel")
    badge = page.locator(".order-head .badge")
    with translation.override(language):
        closed_label = str(WorkOrder(state="closed").get_state_display())
    expect(badge).to_have_text(closed_label)
    if language == "zh-hans":
        assert closed_label != "Closed"
    expect(page.locator(".card", has_text=tr(language, "Public reply"))).to_contain_text("路灯线路已更换")
    timeline = page.locator("#timeline li")
    kinds = list(Event.objects.filter(order=order).order_by("at", "id").values_list("kind", flat=True))
    expect(timeline).to_have_count(len(kinds))
    for kind in ("dispatch", "sign", "extension_approved", "redo", "close"):
        assert any(k.startswith(kind) for k in kinds), (kind, kinds)
    agent.shot("closed")
