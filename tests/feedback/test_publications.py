"""Published cases and review summaries: drafts redacted automatically, checked, published or rejected;
the portal shows only published texts, with search and pagination."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import drive, new_order
from yihaotong.core.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from yihaotong.feedback import actions as FA
from yihaotong.feedback.models import Publication
from yihaotong.workorders import actions as A

ID_A = "510105198803120019"
PHONE = "13912345678"


def consenting_closed(cast, **kw):
    data = dict(
        subject="小区门口路灯不亮",
        text=f"我叫王小明，住在草市街12号附2号，电话{PHONE}，身份证{ID_A}，门口路灯坏了一个月。",
        requester_name="王小明",
        consent_publish=True,
    )
    data.update(kw)
    order = drive(cast, new_order(cast, **data), "replied")
    A.do_review_reply(cast.reviewer, order.pk, approve=True)
    A.do_record_callback(cast.callback, order.pk, outcome="reached", satisfaction="satisfied")
    order.refresh_from_db()
    return order


def test_draft_is_redacted_and_publishing_refuses_leftovers(cast):
    order = consenting_closed(cast)
    pub = FA.do_draft_case(cast.reviewer, order.pk)
    text = pub.question + pub.answer + pub.title
    for secret in ("王小明", PHONE, ID_A, "12号"):
        assert secret not in text
    assert "王**" in pub.question and "草市街" in pub.question
    with pytest.raises(Conflict):
        FA.do_draft_case(cast.reviewer, order.pk)
    # a reviewer's edit brings a phone number back: publishing is refused until it is removed
    FA.do_edit_publication(cast.reviewer, pub.pk, title=pub.title, question=pub.question, answer=f"请拨{PHONE}")
    with pytest.raises(Invalid) as exc:
        FA.do_publish(cast.reviewer, pub.pk)
    assert "phone" in str(exc.value.message)
    FA.do_edit_publication(cast.reviewer, pub.pk, title=pub.title, question=pub.question, answer="路灯已修复。")
    FA.do_publish(cast.reviewer, pub.pk)
    pub.refresh_from_db()
    assert pub.state == "published" and pub.published_at
    with pytest.raises(InvalidTransition):
        FA.do_edit_publication(cast.reviewer, pub.pk, title="x", answer="y")
    assert order.events.filter(kind="case_published").exists()


def test_only_consenting_closed_non_confidential_orders(cast):
    no_consent = consenting_closed(cast, consent_publish=False)
    secret = consenting_closed(cast, is_confidential=True, request_type="report")
    open_order = drive(cast, new_order(cast, consent_publish=True), "in_progress")
    for order in (no_consent, secret, open_order):
        with pytest.raises((InvalidTransition, NotFound)):
            FA.do_draft_case(cast.reviewer, order.pk)
    assert not Publication.objects.exists()
    with pytest.raises(NotPermitted):
        FA.do_draft_case(cast.callback, consenting_closed(cast).pk)


def test_reject_and_withdraw(cast):
    pub = FA.do_draft_case(cast.reviewer, consenting_closed(cast).pk)
    with pytest.raises(Invalid):
        FA.do_reject_publication(cast.reviewer, pub.pk, reason=" ")
    FA.do_reject_publication(cast.reviewer, pub.pk, reason="涉及个人隐私过多")
    pub.refresh_from_db()
    assert pub.state == "rejected"
    other = FA.do_draft_case(cast.reviewer, consenting_closed(cast, subject="另一件").pk)
    FA.do_publish(cast.reviewer, other.pk)
    FA.do_withdraw_publication(cast.supervisor, other.pk, reason="申请人撤回同意")
    other.refresh_from_db()
    assert other.state == "rejected"


def test_public_case_list_search_pagination_and_page(client, cast):
    pubs = []
    for i in range(12):
        order = consenting_closed(cast, subject=f"路灯问题{i:02d}", text=f"路灯第{i}号杆不亮。")
        pub = FA.do_draft_case(cast.reviewer, order.pk)
        FA.do_publish(cast.reviewer, pub.pk)
        pubs.append(pub)
    draft = FA.do_draft_case(cast.reviewer, consenting_closed(cast, subject="草稿不公开").pk)
    page1 = client.get(reverse("portal_cases:list")).content.decode()
    assert "草稿不公开" not in page1 and page1.count('data-testid="case-card"') == 10
    page2 = client.get(reverse("portal_cases:list"), {"page": 2}).content.decode()
    assert page2.count('data-testid="case-card"') == 2
    found = client.get(reverse("portal_cases:list"), {"q": "路灯问题03"}).content.decode()
    assert found.count('data-testid="case-card"') == 1
    empty = client.get(reverse("portal_cases:list"), {"q": "不存在的词"}).content.decode()
    assert 'class="empty"' in empty
    assert client.get(reverse("portal_cases:detail", args=[pubs[0].pk])).status_code == 200
    assert client.get(reverse("portal_cases:detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("portal_reviews:detail", args=[pubs[0].pk])).status_code == 404


def test_public_page_shows_scripts_as_text(client, cast):
    order = consenting_closed(cast, subject="<script>alert(1)</script>", text="<b>粗体</b>")
    pub = FA.do_draft_case(cast.reviewer, order.pk)
    FA.do_publish(cast.reviewer, pub.pk)
    body = client.get(reverse("portal_cases:detail", args=[pub.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
