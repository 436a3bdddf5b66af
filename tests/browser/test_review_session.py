"""In a real browser: a third-party review session from candidate to published summary.

The supervisor puts a panel member on the roster, plans a session, adds the candidate (an order whose
requester was dissatisfied twice), chooses the panel and opens the session; the panel member (browsing in
English) reads the redacted case file — no name, phone or ID number — and scores it; the supervisor records
不认可 with the rectification and its deadline and concludes (the requester gets an SMS in the outbox); the
unit replies to the rectification and the supervisor accepts it; the supervisor drafts the redacted summary
and publishes it; a citizen without an account reads it at /portal/reviews/.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.factories import build_cast
from tests.feedback.conftest import dissatisfied_twice
from yihaotong.feedback.models import Publication, Rectification, ReviewSession
from yihaotong.notifications.models import Outbox

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-pass-1"
ID_NUMBER = "510105198803120019"
PHONE = "13912345678"


def tr(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


@pytest.fixture
def people():
    cast = build_cast()
    for user in (cast.supervisor, cast.panel, cast.edu):
        user.set_password(PASSWORD)
        user.save()
    return cast


def test_review_session_from_candidate_to_published_summary(people, open_session, browser, live_server):
    cast = people
    order = dissatisfied_twice(
        cast,
        subject="创业补贴申请迟迟没有结果",
        requester_name="张三丰",
        text=f"我叫张三丰，身份证{ID_NUMBER}，电话{PHONE}，住草市街12号，申请创业补贴半年没有结果。",
    )
    zh = "zh-hans"

    # the supervisor: roster, session, candidate, panel, open
    sup = open_session("supervisor", journey="review")
    page = sup.go("/feedback/reviews/roster/")
    page.select_option("select[name=user]", str(cast.panel.pk))
    page.select_option("select[name=panel_type]", "npc")
    page.fill("input[name=organisation]", "区人大常委会")
    page.get_by_role("button", name=tr(zh, "Save"), exact=True).click()
    expect(page.get_by_test_id("roster")).to_contain_text("区人大常委会")

    page = sup.go("/feedback/reviews/")
    page.fill("input[name=title]", "2026年第四季度第三方评议")
    page.fill("input[name=held_on]", "2026-12-10")
    page.get_by_role("button", name=tr(zh, "Plan the session")).click()
    expect(page.get_by_test_id("session-state")).to_have_text(tr(zh, "Planned"))
    session = ReviewSession.objects.get()

    page = sup.go("/feedback/reviews/candidates/")
    expect(page.get_by_test_id("candidate-rows")).to_contain_text(order.number)
    page.check(f"#cand-{order.pk}")
    page.get_by_role("button", name=tr(zh, "Add to the session")).click()
    expect(page.get_by_test_id("case")).to_contain_text(order.number)
    sup.shot("session-planned")
    page.check("input[name=members]")
    page.get_by_role("button", name=tr(zh, "Save the panel")).click()
    page.get_by_role("button", name=tr(zh, "Open the session to the panel")).click()
    expect(page.get_by_test_id("session-state")).to_have_text(tr(zh, "Open for review"))

    # the panel member, in English: the redacted file and a score
    panel = open_session("panel", language="en", journey="review")
    page = panel.go("/feedback/reviews/")
    page.get_by_role("link", name="2026年第四季度第三方评议").click()
    page.get_by_role("link", name=tr("en", "Read the redacted case file")).click()
    case_file = page.get_by_test_id("case-question")
    expect(case_file).to_contain_text("张**")
    body = page.locator("main").inner_text()
    for secret in ("张三丰", ID_NUMBER, PHONE, "12号"):
        assert secret not in body
    assert "第1次不满意" in body and "第2次不满意" in body  # the callbacks are in the file
    panel.shot("case-file")
    page.get_by_label(tr("en", "Units did not do their duty")).check()
    page.select_option("select[name=score]", "2")
    page.get_by_role("button", name=tr("en", "Save my score")).click()
    expect(page.locator(".has-error")).to_be_visible()  # a comment is required for "did not do their duty"
    page.fill("textarea[name=comment]", "补贴审核拖延半年，未主动告知进度")
    page.get_by_role("button", name=tr("en", "Save my score")).click()
    expect(page.get_by_test_id("case")).to_contain_text(tr("en", "Units did not do their duty"))

    # the supervisor: outcome, conclusion
    page = sup.go(f"/feedback/reviews/{session.pk}/")
    expect(page.get_by_test_id("case")).to_contain_text("补贴审核拖延半年")
    page.get_by_label(tr(zh, "Not endorsed")).check()
    page.fill("textarea[name=note]", "评议团认为承办单位未及时办理")
    page.fill("textarea[name=rectification_required]", "十个工作日内完成审核并书面答复申请人")
    page.fill("input[name=deadline]", "2099-01-15")
    page.get_by_role("button", name=tr(zh, "Record the outcome")).click()
    expect(page.get_by_test_id("case-outcome")).to_have_text(tr(zh, "Not endorsed"))
    page.get_by_role("button", name=tr(zh, "Conclude the session and inform the requesters")).click()
    expect(page.get_by_test_id("session-state")).to_have_text(tr(zh, "Concluded"))
    sms = Outbox.objects.get(order=order, kind="review_result")
    assert sms.recipient_address == order.requester_phone and "不认可" in sms.body

    # the unit replies to the rectification; the supervisor accepts it
    rect = Rectification.objects.get()
    unit = open_session("edu", journey="review")
    page = unit.go("/feedback/rectifications/")
    page.get_by_role("link", name=order.number).click()
    page.fill("textarea[name=reply]", "已完成审核，补贴已于本周发放，并书面答复申请人")
    page.get_by_role("button", name=tr(zh, "Send the reply")).click()
    expect(page.get_by_test_id("rect-state")).to_have_text(tr(zh, "Replied, awaiting acceptance"))
    page = sup.go(f"/feedback/rectifications/{rect.pk}/")
    page.get_by_label(tr(zh, "Accept the rectification")).check()
    page.get_by_role("button", name=tr(zh, "Record the decision")).click()
    expect(page.get_by_test_id("rect-state")).to_have_text(tr(zh, "Accepted"))

    # the summary: drafted redacted, published
    page = sup.go(f"/feedback/reviews/{session.pk}/")
    page.get_by_role("button", name=tr(zh, "Draft a redacted summary for the portal")).click()
    answer = page.locator("textarea[name=answer]")
    expect(answer).to_contain_text("不认可")
    assert "张三丰" not in answer.input_value()
    sup.shot("summary-draft")
    page.get_by_role("button", name=tr(zh, "Publish on the portal")).click()
    expect(page.get_by_test_id("pub-state")).to_have_text(tr(zh, "Published"))
    pub = Publication.objects.get(session=session)

    # a citizen reads it on the portal
    context = browser.new_context(viewport={"width": 390, "height": 844}, extra_http_headers={"Accept-Language": zh})
    try:
        citizen = context.new_page()
        citizen.goto(f"{live_server.url}/portal/reviews/")
        citizen.get_by_role("link", name=pub.title).click()
        summary = citizen.get_by_test_id("review-summary")
        expect(summary).to_contain_text("十个工作日内完成审核")
        text = summary.inner_text()
        assert "张三丰" not in text and PHONE not in text
    finally:
        context.close()
