"""The /feedback/ screens: who may open them, the full review flow through forms (CSRF-protected POSTs,
redirects, errors in place), the panel member's redacted case file, rectification and publication screens."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from yihaotong.feedback import actions as FA
from yihaotong.feedback.models import PanelScore, Publication, Rectification, ReviewSession

from .conftest import dissatisfied_twice
from .test_publications import ID_A, PHONE, consenting_closed

SCREENS = {
    "feedback:sessions": (["supervisor", "reviewer"], ["dispatcher", "callback", "edu", "operator"]),
    "feedback:candidates": (["supervisor", "reviewer"], ["panel", "dispatcher", "edu"]),
    "feedback:roster": (["supervisor"], ["panel", "edu", "callback"]),
    "feedback:rectifications": (["supervisor", "edu", "caoshi_admin"], ["panel", "operator", "callback"]),
    "feedback:publications": (["reviewer", "supervisor"], ["panel", "edu", "callback", "operator"]),
}


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_permissions(client, cast, name):
    allowed, refused = SCREENS[name]
    for username in allowed:
        client.force_login(getattr(cast, username))
        assert client.get(reverse(name)).status_code == 200, (name, username)
    for username in refused:
        client.force_login(getattr(cast, username))
        assert client.get(reverse(name)).status_code == 403, (name, username)


def test_anonymous_is_sent_to_login(client, cast):
    response = client.get(reverse("feedback:sessions"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_review_flow_through_the_screens(client, cast, roster):
    order = dissatisfied_twice(cast, requester_name="张三丰", text=f"我叫张三丰，电话{PHONE}，身份证{ID_A}，补贴没发。")
    client.force_login(cast.supervisor)
    bad = client.post(reverse("feedback:sessions"), {"title": "", "held_on": ""})
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    r = client.post(
        reverse("feedback:sessions"), {"title": "十二月评议", "held_on": "2026-12-10", "location": "区政务中心"}
    )
    session = ReviewSession.objects.get(title="十二月评议")
    assert r.status_code == 302 and r["Location"] == reverse("feedback:session", args=[session.pk])
    cands = client.get(reverse("feedback:candidates")).content.decode()
    assert order.number in cands
    r = client.post(reverse("feedback:candidates"), {"session": session.pk, "order": [order.pk]})
    assert r.status_code == 302 and session.cases.count() == 1
    case = session.cases.get()
    # GET never changes state
    assert client.get(reverse("feedback:session_action", args=[session.pk, "open"])).status_code == 405
    r = client.post(reverse("feedback:session_action", args=[session.pk, "open"]))
    assert r.status_code == 400  # no panel yet: errors shown in place
    client.post(reverse("feedback:session_action", args=[session.pk, "panel"]), {"members": [m.pk for m in roster]})
    assert client.post(reverse("feedback:session_action", args=[session.pk, "open"])).status_code == 302
    session.refresh_from_db()
    assert session.state == "open"

    # the panel member reads the redacted case file and scores it
    client.force_login(cast.panel)
    sessions = client.get(reverse("feedback:sessions")).content.decode()
    assert "十二月评议" in sessions
    page = client.get(reverse("feedback:case_file", args=[case.pk])).content.decode()
    for secret in ("张三丰", PHONE, ID_A):
        assert secret not in page
    assert "张**" in page and "第1次不满意" in page
    bad = client.post(reverse("feedback:case_file", args=[case.pk]), {"verdict": "not_fulfilled", "score": "2"})
    assert bad.status_code == 400 and not PanelScore.objects.exists()
    r = client.post(
        reverse("feedback:case_file", args=[case.pk]), {"verdict": "not_fulfilled", "score": "2", "comment": "拖延"}
    )
    assert r.status_code == 302 and PanelScore.objects.get().verdict == "not_fulfilled"
    assert client.post(reverse("feedback:session_action", args=[session.pk, "conclude"])).status_code == 403

    # the outcome, then conclusion
    client.force_login(cast.supervisor)
    r = client.post(
        reverse("feedback:session_action", args=[session.pk, "outcome"]),
        {"case": case.pk, "outcome": "not_endorsed", "rectification_required": "", "deadline": ""},
    )
    assert r.status_code == 400 and "has-error" in r.content.decode()
    r = client.post(
        reverse("feedback:session_action", args=[session.pk, "outcome"]),
        {
            "case": case.pk,
            "outcome": "not_endorsed",
            "note": "未尽责",
            "rectification_required": "重新审核",
            "deadline": "2099-01-01",
        },
    )
    assert r.status_code == 302
    assert client.post(reverse("feedback:session_action", args=[session.pk, "conclude"])).status_code == 302
    rect = Rectification.objects.get()

    # the unit replies, the centre accepts
    client.force_login(cast.edu)
    assert order.number in client.get(reverse("feedback:rectifications")).content.decode()
    r = client.post(reverse("feedback:rectification", args=[rect.pk]), {"_do": "reply", "reply": "已重新审核并发放"})
    assert r.status_code == 302
    client.force_login(cast.cm)
    assert client.get(reverse("feedback:rectification", args=[rect.pk])).status_code == 404
    client.force_login(cast.supervisor)
    r = client.post(reverse("feedback:rectification", args=[rect.pk]), {"_do": "decide", "decision": "accept"})
    rect.refresh_from_db()
    assert r.status_code == 302 and rect.state == "accepted"

    # the summary: drafted redacted, published, visible on the portal
    r = client.post(reverse("feedback:session_action", args=[session.pk, "draft_summary"]))
    pub = Publication.objects.get(session=session)
    assert r.status_code == 302 and "张三丰" not in pub.answer and "不认可" in pub.answer
    r = client.post(
        reverse("feedback:publication", args=[pub.pk]),
        {"_do": "publish", "title": pub.title, "question": "", "answer": pub.answer},
    )
    assert r.status_code == 302
    client.logout()
    listing = client.get(reverse("portal_reviews:list")).content.decode()
    assert "十二月评议" in listing
    assert "重新审核" in client.get(reverse("portal_reviews:detail", args=[pub.pk])).content.decode()


def test_publication_screen_shows_leftovers_and_refuses_to_publish(client, cast):
    order = consenting_closed(cast)
    client.force_login(cast.reviewer)
    r = client.post(reverse("feedback:publications"), {"order": order.pk})
    pub = Publication.objects.get(order=order)
    assert r.status_code == 302
    r = client.post(
        reverse("feedback:publication", args=[pub.pk]),
        {"_do": "publish", "title": pub.title, "question": pub.question, "answer": f"电话{PHONE}"},
    )
    pub.refresh_from_db()
    assert r.status_code == 400 and pub.state == "draft" and "phone" in r.content.decode()
    assert "Still looks like personal data" in r.content.decode() or "仍像个人信息" in r.content.decode()
    tabs = client.get(reverse("feedback:publications"), {"tab": "candidates"}).content.decode()
    assert order.number not in tabs


def test_roster_screen_adds_a_seat(client, cast):
    client.force_login(cast.supervisor)
    r = client.post(
        reverse("feedback:roster"),
        {"user": cast.panel.pk, "panel_type": "citizen", "organisation": "社区", "is_active": ["0", "1"]},
    )
    assert r.status_code == 302
    assert cast.panel.panel_seat.panel_type == "citizen" and cast.panel.panel_seat.is_active


def test_panel_member_without_seat_sees_nothing(client, cast):
    client.force_login(cast.panel)
    assert client.get(reverse("feedback:sessions")).status_code == 403


def test_session_page_for_a_panel_member_of_another_session_is_404(client, cast, roster):
    order = dissatisfied_twice(cast)
    s = FA.do_create_session(cast.supervisor, title="别的", held_on=date(2026, 12, 1))
    case = FA.do_add_case(cast.supervisor, s.pk, order_id=order.pk)
    FA.do_set_panel(cast.supervisor, s.pk, member_ids=[roster[2].pk])
    FA.do_open_session(cast.supervisor, s.pk)
    client.force_login(cast.panel)
    assert client.get(reverse("feedback:session", args=[s.pk])).status_code == 404
    assert client.get(reverse("feedback:case_file", args=[case.pk])).status_code == 404


def test_draw_the_panel_from_the_session_page(client, cast, roster):
    s = FA.do_create_session(cast.supervisor, title="抽取评议团", held_on=date(2026, 12, 1))
    client.force_login(cast.supervisor)
    page = client.get(reverse("feedback:session", args=[s.pk])).content.decode()
    assert reverse("feedback:session_action", args=[s.pk, "draw"]) in page
    r = client.post(reverse("feedback:session_action", args=[s.pk, "draw"]), {"per_type": "1"})
    assert r.status_code == 302 and s.members.count() == 3


def test_panel_member_reads_no_order_itself(client, cast, roster):
    order = dissatisfied_twice(cast)
    s = FA.do_create_session(cast.supervisor, title="只读脱敏", held_on=date(2026, 12, 1))
    FA.do_add_case(cast.supervisor, s.pk, order_id=order.pk)
    FA.do_set_panel(cast.supervisor, s.pk, member_ids=[roster[0].pk])
    FA.do_open_session(cast.supervisor, s.pk)
    client.force_login(cast.panel)
    assert client.get(reverse("consoles:order", args=[order.pk])).status_code in (403, 404)
    assert client.get(f"/api/v1/orders/{order.pk}").status_code in (403, 404)
