"""In a real browser, keyboard only: the routing assistant's suggestions where people decide.

A model is trained (the real action) on small synthetic closed orders. The operator types a call at the
intake desk, sees the suggested request type, urgency and category, and takes them with Alt+6; the
dispatcher opens a pending order, sees the confident suggestion, and dispatches to it with Alt+A; the
decision is then recorded as an accepted suggestion.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import EDU, build_cast, drive, new_order
from tests.routing.synthetic import requests
from yihaotong.routing.actions import do_record_decisions_from_events, do_train_router_models
from yihaotong.routing.models import SuggestionDecision

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"


@pytest.fixture
def people():
    cast = build_cast()
    for r in requests(12):
        order = new_order(
            cast, subject=r["subject"], text=r["text"], category=r["category"], request_type=r["request_type"]
        )
        drive(cast, order, "closed", lead=r["lead"])
    assert do_train_router_models(None, min_orders=30).activated
    for user in (cast.operator, cast.dispatcher):
        user.set_password(PASSWORD)
        user.save()
    return cast


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_suggestions_are_taken_with_one_key(people, open_session, language):
    cast = people
    journey = f"routing-assist-{language}"

    # --- the operator: the desk's suggestion pane, Alt+6 ------------------------------------------------
    operator = open_session("operator", language=language, journey=journey)
    page = operator.go("/desk/")
    page.fill("#id_summary", "楼上邻居深夜噪音")
    page.fill("#id_text", "楼上邻居每天深夜跺脚拖椅子，吵得老人孩子无法休息，沟通多次无果。")
    pane = page.locator("#suggest-pane")
    expect(pane.locator("[data-testid=suggested-request-type]")).to_have_attribute("data-code", "complaint")
    expect(pane.locator("[data-testid=suggested-category]")).not_to_be_empty()
    operator.shot("desk-suggestion")
    assert page.locator("#id_request_type").input_value() == ""
    page.locator("#id_text").focus()
    page.keyboard.press("Alt+Digit6")
    expect(page.locator("#id_request_type")).to_have_value("complaint")
    expect(page.locator("#id_request_type")).to_be_focused()
    operator.shot("desk-applied")

    # An emergency: the pane names the urgency and the service to offer; Alt+6 sets the urgency too.
    page.fill("#id_summary", "楼道着火")
    page.fill("#id_text", "三楼楼道着火了，浓烟很大，有人被困。")
    expect(pane.locator("[data-testid=suggested-urgency]")).to_have_attribute("data-code", "critical")
    expect(pane.locator("[data-testid=suggested-urgency]")).to_contain_text("119")
    page.keyboard.press("Alt+Digit6")
    expect(page.locator("#id_urgency")).to_have_value("critical")
    operator.shot("desk-emergency")

    # --- the dispatcher: one-key accept of the confident lead unit, Alt+A -----------------------------
    order = drive(
        cast,
        new_order(cast, subject="孩子小学入学报名咨询", text="孩子今年满六岁，想问一年级入学报名需要准备哪些材料。"),
        "pending_dispatch",
    )
    dispatcher = open_session("dispatcher", language=language, journey=journey)
    page = dispatcher.go(f"/orders/{order.pk}/")
    panel = page.locator("#centre-panel")
    button = panel.locator("[data-testid=accept-unit]")
    expect(button).to_have_attribute("value", str(cast.unit(EDU).pk))
    dispatcher.shot("dispatch-suggestion")
    # Enter in a field of the dispatch form previews the deadlines, as before; it does not accept.
    page.locator(f"#id_{order.pk}_instructions").fill("请依职责办理")
    page.locator(f"#id_{order.pk}_handle_due").press("Enter")
    expect(panel.locator("[data-testid=deadline-preview]")).to_be_visible()
    order.refresh_from_db()
    assert order.state == "pending_dispatch"
    page.locator("body").focus()
    page.keyboard.press("Alt+KeyA")
    expect(panel.locator(".notice")).to_be_visible()
    dispatcher.shot("dispatched")
    order.refresh_from_db()
    assert order.state == "dispatched" and order.lead_unit_id == cast.unit(EDU).pk
    assert order.events.filter(kind="dispatch").count() == 1
    lead = order.assignments.get(unit=cast.unit(EDU))
    assert lead.instructions == "请依职责办理"  # the rest of the form went with the accept
    do_record_decisions_from_events()
    assert SuggestionDecision.objects.get(order=order, field="unit").accepted
