"""In a real browser: an operator takes a call at the intake desk and creates a work order; the caller's
order number and query code are shown; a handler of an unrelated unit cannot open it. In Chinese and
in English, each person in their own browser context."""

from __future__ import annotations

import re

import pytest

from tests.factories import build_cast
from yihaotong.workorders.actions import check_query_code
from yihaotong.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"


@pytest.fixture
def people():
    cast = build_cast()
    for user in (cast.operator, cast.edu):
        user.set_password(PASSWORD)
        user.save()
    return cast


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_creates_an_order_at_the_desk(people, open_session, language):
    operator = open_session("operator", language=language, journey=f"intake-{language}")
    page = operator.go("/desk/")
    assert page.locator("html").get_attribute("lang") == language
    operator.shot("desk")
    page.fill("#id_phone", "13900001111")
    page.fill("#id_name", "林测试")
    page.fill("#id_address", "草市街12号")
    page.fill("#id_summary", "小区门口路灯不亮")
    page.fill("#id_text", "草市街12号小区门口的路灯连续一周不亮，晚上出行不安全。")
    page.select_option("#id_request_type", "help")
    page.click("button[name=outcome][value=create]")
    number = page.locator("[data-testid=order-number]").inner_text(timeout=15000).strip()
    code = page.locator("[data-testid=query-code]").inner_text().strip()
    operator.shot("created")
    assert re.fullmatch(r"QY\d{8}-\d{4}", number)
    order = WorkOrder.objects.get(number=number)
    assert order.state == "pending_dispatch"
    assert order.requester_phone == "13900001111"
    assert check_query_code(order, code)

    # A handler of an unrelated unit cannot open it (same answer as for an order that does not exist).
    handler = open_session("edu", language=language, journey=f"intake-{language}")
    response = handler.page.goto(f"{handler.base}/orders/{order.pk}/")
    assert response.status == 404
    handler.shot("not-visible")
