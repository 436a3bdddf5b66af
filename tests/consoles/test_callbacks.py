"""Callback desk: filters, the questionnaire's scale by policy, attempts falling back to an SMS rating
invitation, and dissatisfaction sending the order back for redo until it becomes a review candidate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import CAOSHI, EDU, T0, drive, new_order
from yihaotong.consoles import views_centre
from yihaotong.directory.actions import do_set_setting
from yihaotong.directory.policy import invalidate_policy
from yihaotong.feedback.actions import do_set_feedback_policy
from yihaotong.notifications.models import Outbox
from yihaotong.workorders import actions as A

NOW = T0 + timedelta(hours=1)


@pytest.fixture(autouse=True)
def _pinned_now(monkeypatch):
    monkeypatch.setattr(views_centre, "_now", lambda: NOW)


def _waiting(cast, subject, **kw):
    return drive(cast, new_order(cast, subject=subject), "pending_callback", **kw)


def test_filters_by_unit_search_and_redo_round(client, cast):
    a = _waiting(cast, "回访甲 噪音", lead=EDU)
    b = _waiting(cast, "回访乙 路灯", lead=CAOSHI)
    A.do_record_callback(cast.callback, b.pk, outcome="reached", satisfaction="dissatisfied", reason="没解决", now=T0)
    A.do_reply_order(cast.caoshi, b.pk, internal_notes="再次处理", public_text="已修复", now=T0)
    A.do_review_reply(cast.reviewer, b.pk, approve=True, now=T0)
    client.force_login(cast.callback)
    url = reverse("consoles:callbacks")
    body = client.get(url, {"unit": EDU}).content.decode()
    assert a.number in body and b.number not in body
    body = client.get(url, {"q": "路灯"}).content.decode()
    assert b.number in body and a.number not in body
    body = client.get(url, {"redo": "1"}).content.decode()
    assert b.number in body and a.number not in body and 'data-testid="redo-round"' in body
    body = client.get(url, {"redo": "0", "q": "路灯"}).content.decode()
    assert b.number not in body and a.number not in body


def test_overdue_filter(client, cast, monkeypatch):
    a = _waiting(cast, "回访超期")
    client.force_login(cast.callback)
    assert a.number not in client.get(reverse("consoles:callbacks"), {"due": "overdue"}).content.decode()
    monkeypatch.setattr(views_centre, "_now", lambda: a.callback_due + timedelta(minutes=1))
    assert a.number in client.get(reverse("consoles:callbacks"), {"due": "overdue"}).content.decode()


def test_questionnaire_shows_the_scale_the_policy_chooses(client, cast):
    _waiting(cast, "量表")
    client.force_login(cast.callback)
    body = client.get(reverse("consoles:callbacks")).content.decode()
    assert 'name="satisfaction"' in body and 'name="score5"' not in body
    do_set_feedback_policy(cast.supervisor, "satisfaction_scale", "5")
    body = client.get(reverse("consoles:callbacks")).content.decode()
    assert 'name="score5"' in body and 'name="satisfaction"' not in body


def test_five_level_score_through_the_desk_closes_or_redoes(client, cast):
    do_set_feedback_policy(cast.supervisor, "satisfaction_scale", "5")
    order = _waiting(cast, "五级")
    client.force_login(cast.callback)
    url = reverse("consoles:centre_action", args=[order.pk, "callback"])
    response = client.post(url, {"outcome": "reached", "score5": "2", "reason": "态度差"})
    assert response.status_code in (200, 302)
    order.refresh_from_db()
    assert order.state == "in_progress" and order.redo_count == 1 and order.satisfaction == "dissatisfied"


def test_unanswered_attempts_fall_back_to_an_sms_rating_invitation(cast):
    do_set_setting(cast.sysadmin, "callback_max_attempts", 2)
    invalidate_policy()
    order = _waiting(cast, "无人接听")
    A.do_record_callback(cast.callback, order.pk, outcome="no_answer", now=T0)
    order.refresh_from_db()
    assert order.state == "pending_callback"
    A.do_record_callback(cast.callback, order.pk, outcome="no_answer", now=T0 + timedelta(hours=2))
    order.refresh_from_db()
    assert order.state == "closed"
    sms = Outbox.objects.filter(order=order, kind="rating_invitation", channel="sms")
    assert sms.count() == 1 and sms.get().recipient_address == order.requester_phone


def test_fallback_none_and_wrong_number_send_no_invitation(cast):
    order = _waiting(cast, "号码错误")
    A.do_record_callback(cast.callback, order.pk, outcome="wrong_number", now=T0)
    assert not Outbox.objects.filter(order=order, kind="rating_invitation").exists()
    do_set_feedback_policy(cast.supervisor, "callback_fallback", "none")
    do_set_setting(cast.sysadmin, "callback_max_attempts", 1)
    invalidate_policy()
    other = _waiting(cast, "不邀请")
    A.do_record_callback(cast.callback, other.pk, outcome="no_answer", now=T0)
    other.refresh_from_db()
    assert other.state == "closed"
    assert not Outbox.objects.filter(order=other, kind="rating_invitation").exists()


def test_redo_rounds_are_policy_and_then_the_order_is_a_review_candidate(cast):
    do_set_setting(cast.sysadmin, "redo_max_rounds", 1)
    invalidate_policy()
    order = _waiting(cast, "重办上限")
    A.do_record_callback(cast.callback, order.pk, outcome="reached", satisfaction="dissatisfied", reason="一", now=T0)
    order.refresh_from_db()
    assert order.state == "in_progress" and order.redo_count == 1
    A.do_reply_order(cast.edu, order.pk, internal_notes="再办", public_text="再答复", now=T0)
    A.do_review_reply(cast.reviewer, order.pk, approve=True, now=T0)
    A.do_record_callback(cast.callback, order.pk, outcome="reached", satisfaction="dissatisfied", reason="二", now=T0)
    order.refresh_from_db()
    assert order.state == "closed" and order.redo_count == 1 and order.is_review_candidate
    assert order.events.filter(kind="redo").count() == 1


def test_policy_screen_for_supervisors_only(client, cast):
    client.force_login(cast.callback)
    assert client.get(reverse("feedback:policy")).status_code == 403
    client.force_login(cast.supervisor)
    assert client.get(reverse("feedback:policy")).status_code == 200
    response = client.post(reverse("feedback:policy"), {"satisfaction_scale": "5", "callback_fallback": "none"})
    assert response.status_code == 302
    from yihaotong.feedback.actions import feedback_policy

    assert feedback_policy()["satisfaction_scale"] == "5" and feedback_policy()["callback_fallback"] == "none"
    bad = client.post(reverse("feedback:policy"), {"satisfaction_scale": "7", "callback_fallback": "none"})
    assert bad.status_code == 200 and "satisfaction_scale" in bad.content.decode()


def test_desk_shows_attempts_of_this_round(client, cast):
    order = _waiting(cast, "尝试次数")
    A.do_record_callback(cast.callback, order.pk, outcome="no_answer", now=T0)
    client.force_login(cast.callback)
    body = client.get(reverse("consoles:callbacks"), {"q": "尝试次数"}).content.decode()
    assert "1" in body.split('data-testid="round-attempts">')[1].split("</p>")[0]
    assert "3" in body.split('data-testid="round-attempts">')[1].split("</p>")[0]
