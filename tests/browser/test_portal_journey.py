"""The citizen's journey on a phone-sized screen (390×844, Chinese): submit with the SMS code read from
a fake gateway → track with the number and query code → (the centre and the unit handle it through the
real actions) → rate. Also: a fake photo is refused, and wrong query codes are throttled."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from tests.factories import EDU, build_cast, drive
from tests.portal.images import GPS_MARK, jpeg_with_exif
from yihaotong.notifications.delivery import deliver_outbox
from yihaotong.notifications.fakegateway import FakeSmsGateway
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Attachment, WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGE = "zh-hans"
PHONE = "13500003333"
ARTIFACT_JOURNEY = "portal"


def tr(msgid: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(msgid)


@pytest.fixture
def gateway(settings):
    gw = FakeSmsGateway(key="k-browser", secret="s-browser").start()
    settings.SMS_GATEWAY_URL = gw.url
    settings.SMS_GATEWAY_KEY = "k-browser"
    settings.SMS_GATEWAY_SECRET = "s-browser"
    yield gw
    gw.stop()


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        extra_http_headers={"Accept-Language": LANGUAGE},
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    yield page
    context.close()


def shot(page, name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{ARTIFACT_JOURNEY}-{name}.png"), full_page=True)


def fits_width(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def latest_code(gateway) -> str:
    deliver_outbox()  # the worker's run after the commit
    texts = [t for t in gateway.to(PHONE) if "验证码" in t]
    return re.search(r"验证码是(\d{6})", texts[-1]).group(1)


def test_submit_track_rate_on_a_phone(phone, gateway):
    cast = build_cast()
    page = phone
    page.goto(page.base + "/portal/")
    fits_width(page)
    page.click("text=" + tr("Submit a request"))
    page.wait_for_url("**/portal/submit/")
    page.select_option("#id_request_type", "complaint")
    page.fill("#id_subject", "夜间施工噪音扰民")
    page.fill("#id_text", "小区旁边的工地每晚施工到十二点以后，噪音很大，<script>alert(1)</script> 希望能管一管。")
    page.fill("#id_address", "草市街某小区")
    page.fill("#id_name", "李小红")
    page.fill("#id_phone", PHONE)
    page.click("[data-testid=send-code]")
    expect(page.locator("[data-testid=code-status]")).to_contain_text(
        tr("A code has been sent by SMS. It is valid for 5 minutes.")
    )
    code = latest_code(gateway)
    page.fill("#id_code", code)
    # A text file named .jpg is refused (by content), and nothing is created.
    page.set_input_files(
        "#id_photos", files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}]
    )
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("photo.jpg")
    assert WorkOrder.objects.count() == 0
    shot(page, "01-bad-photo")
    page.fill("#id_code", code)
    page.set_input_files(
        "#id_photos", files=[{"name": "street.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif()}]
    )
    page.check("#id_consent_publish")
    fits_width(page)
    page.click("[data-testid=submit]")
    page.wait_for_url("**/portal/submit/done/")
    number = page.locator("[data-testid=order-number]").inner_text().strip()
    query_code = page.locator("[data-testid=query-code]").inner_text().strip()
    shot(page, "02-done")
    order = WorkOrder.objects.get(number=number)
    assert order.channel == "web" and order.requester_phone == PHONE and order.consent_publish
    assert GPS_MARK not in Attachment.objects.get(order=order).file.read()
    deliver_outbox()
    assert any(number in t and query_code in t for t in gateway.to(PHONE))

    # Track in a fresh visit: number + query code.
    page.context.clear_cookies()
    page.goto(page.base + "/portal/track/")
    page.fill("#id_number", number)
    page.fill("#id_code", query_code)
    page.click("[data-testid=track]")
    page.wait_for_url(f"**/portal/track/{number}/")
    expect(page.locator("[data-testid=timeline]")).to_contain_text(tr("Request received"))
    assert "<script>" not in page.content().split("<body", 1)[1].replace("<script src=", "")
    fits_width(page)

    # The centre and the unit handle it (the real actions), then the citizen reads the reply and rates.
    now = timezone.now()
    A.do_classify_order(cast.dispatcher, order.pk, category="URB-01-01", now=now)
    drive(cast, order, "pending_callback", now=now, lead=EDU)
    page.reload()
    expect(page.locator("[data-testid=timeline]")).to_contain_text(cast.unit(EDU).name)
    expect(page.locator("[data-testid=public-reply]")).to_contain_text("已处理完毕")
    for staff in ("dispatcher", "edu", "reviewer"):
        expect(page.locator("main")).not_to_contain_text(staff)
    shot(page, "03-replied")
    page.click("text=" + tr("Dissatisfied"))
    page.click("[data-testid=rate]")
    expect(page.locator(".errorlist")).to_contain_text(
        tr("Tell us why you are not satisfied; the unit will handle it again.")
    )
    page.click("text=" + tr("Dissatisfied"))
    page.fill("#id_reason", "晚上还是在施工")
    page.click("[data-testid=rate]")
    page.wait_for_load_state("networkidle")
    order.refresh_from_db()
    assert order.state == "in_progress" and order.redo_count == 1 and order.dissatisfied_count == 1
    expect(page.locator("[data-testid=timeline]")).to_contain_text(cast.unit(EDU).name)
    shot(page, "04-rated")


def test_wrong_query_codes_are_throttled(phone):
    cast = build_cast()
    order, code = A.do_create_order(
        cast.operator,
        A.OrderInput(
            channel="web",
            request_type="consult",
            subject="咨询",
            text="咨询社保转移",
            requester_phone=PHONE,
            requester_name="赵先生",
        ),
    )
    page = phone
    page.goto(page.base + "/portal/track/")
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(5):
        page.fill("#id_number", order.number)
        page.fill("#id_code", wrong)
        page.click("[data-testid=track]")
        expect(page.locator("[data-testid=track-error]")).to_contain_text(
            tr("No request matches this order number and query code.")
        )
    page.fill("#id_number", order.number)
    page.fill("#id_code", code)
    page.click("[data-testid=track]")
    expect(page.locator("[data-testid=track-error]")).to_contain_text(
        tr("Too many wrong attempts. Please try again in 15 minutes.")
    )
    assert "/track/" + order.number not in page.url
    shot(page, "05-throttled")


def test_public_knowledge_base_on_a_phone(phone, settings):
    from tests.kb.util import SCHOOL, publish
    from yihaotong.kb.search import invalidate_index
    from yihaotong.kb.selectors import helpful_counts

    settings.KB_INDEX_POLL_SECONDS = 0
    invalidate_index()
    cast = build_cast()
    baby = publish(cast)
    school = publish(cast, **SCHOOL)
    publish(cast, title="内部口径：入学材料特殊情况", category="EDU-01-01", visibility="internal")
    page = phone
    page.goto(page.base + "/portal/kb/")
    expect(page.locator("[data-testid=kb-list]")).to_contain_text(school.title)
    expect(page.locator("main")).not_to_contain_text("内部口径")
    page.fill("#kb-q", "孩子上小学要准备什么材料")
    page.press("#kb-q", "Enter")
    expect(page.locator("[data-testid=kb-results] li").first).to_contain_text(school.title)
    fits_width(page)
    shot(page, "06-kb-search")
    page.locator("[data-testid=kb-results] a", has_text=school.title).click()
    expect(page.locator("h1")).to_have_text(school.title)
    page.click("[data-testid=helpful-yes]")
    expect(page.locator("[data-testid=voted]")).to_contain_text(tr("Thank you! Glad it helped."))
    assert helpful_counts([school.pk]) == {school.pk: (1, 0)}
    shot(page, "07-kb-article")
    # The submit form suggests the article while the citizen types.
    page.goto(page.base + "/portal/submit/")
    page.fill("#id_subject", "新生儿医保怎么办")
    page.type("#id_text", "孩子刚出生怎么买医保")
    expect(page.locator("[data-testid=kb-hits]")).to_contain_text(baby.title)
    shot(page, "08-suggestions")
    invalidate_index()
