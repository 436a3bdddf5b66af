"""Each centre action: a POST to /orders/<pk>/centre/<action>/ runs the action (success changes the order and
its rows; failure shows the field error in place and writes nothing); htmx gets the refreshed panel, no-JS a
redirect; a second submission gets the domain error (409) shown clearly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import CAOSHI, EDU, T0, cast_for_module, drive, new_order
from yihaotong.consoles import views_centre
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Application, Assignment, Callback, Event, Reply, Supervision, WorkOrder

NOW = T0 + timedelta(hours=1)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.fixture(autouse=True)
def _pinned_now(monkeypatch):
    monkeypatch.setattr(views_centre, "_now", lambda: NOW)


def url(order, action):
    return reverse("consoles:centre_action", args=[order.pk, action])


def post(client, order, action, data=None, *, htmx=True):
    return client.post(url(order, action), data or {}, **(HX if htmx else {}))


def fresh(order) -> WorkOrder:
    return WorkOrder.objects.get(pk=order.pk)


def events(order) -> int:
    return Event.objects.filter(order=order).count()


def field_error(response, field: str) -> bool:
    form = response.context["failure"].form
    return field in form.errors


# --- access --------------------------------------------------------------------------------------------


def test_actions_are_for_centre_staff_on_visible_orders(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress", lead=EDU)
    client.force_login(cast.edu)
    assert post(client, order, "remind").status_code == 403
    client.force_login(cast.dispatcher)
    assert post(client, order, "no-such-action").status_code == 404
    assert client.post(reverse("consoles:centre_action", args=[999999, "remind"]), **HX).status_code == 404
    assert client.get(url(order, "remind")).status_code == 405
    client.logout()
    assert post(client, order, "remind").status_code == 302
    assert not Supervision.objects.filter(order=order).exists()


def test_a_role_the_action_refuses_gets_the_message_and_nothing_is_written(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress")
    before = events(order)
    client.force_login(cast.dispatcher)  # dispatchers remind, they do not supervise
    response = post(client, order, "supervise", {"note": "请加快"}, htmx=False)
    assert response.status_code == 403
    assert "may not" in response.content.decode() or "无权" in response.content.decode()
    assert events(order) == before and not Supervision.objects.filter(order=order).exists()


# --- accept, and double submission -----------------------------------------------------------------------


def test_accept_then_a_second_accept_says_the_order_changed(client, cast):
    order = new_order(cast, now=T0, actor=cast.integration)
    client.force_login(cast.dispatcher)
    response = post(client, order, "accept")
    assert response.status_code == 200 and fresh(order).state == "pending_dispatch"
    assert response["HX-Trigger"] == "yht:order-changed"
    assert 'role="status"' in response.content.decode()
    again = post(client, order, "accept")
    assert again.status_code == 200  # htmx swaps 2xx only: the panel carries the 409 message
    page = again.content.decode()
    assert 'data-status="409"' in page and "工单处于“待派单”状态，不能受理。" in page  # zh-hans by default
    no_js = post(client, order, "accept", htmx=False)
    assert no_js.status_code == 409 and "不能受理" in no_js.content.decode()
    english = client.post(url(order, "accept"), HTTP_ACCEPT_LANGUAGE="en", **HX).content.decode()
    assert "Cannot accept an order that is Pending dispatch." in english
    assert Event.objects.filter(order=order, kind="accept").count() == 1


def test_success_without_javascript_redirects_to_the_order(client, cast):
    order = new_order(cast, now=T0, actor=cast.integration)
    client.force_login(cast.operator)
    response = post(client, order, "accept", htmx=False)
    assert response.status_code == 302 and response["Location"] == reverse("consoles:order", args=[order.pk])
    page = client.get(response["Location"]).content.decode()
    assert "pending dispatch" in page.lower() or "待派单" in page


# --- classify, answer, reject, merge --------------------------------------------------------------------


def test_classify(client, cast):
    order = new_order(cast, now=T0, category=None)
    client.force_login(cast.dispatcher)
    bad = post(client, order, "classify", {"category": "NOPE"})
    assert field_error(bad, "category") and fresh(order).category_id is None
    assert 'value="NOPE"' not in bad.content.decode() or "NOPE" in bad.content.decode()
    ok = post(client, order, "classify", {"category": "EDU-01-01"})
    assert ok.context["failure"] is None and fresh(order).category.code == "EDU-01-01"
    not_a_leaf = post(client, order, "classify", {"category": "EDU-01"})
    assert field_error(not_a_leaf, "category") and fresh(order).category.code == "EDU-01-01"


def test_answer_directly(client, cast):
    order = new_order(cast, now=T0, actor=cast.integration)
    client.force_login(cast.operator)
    bad = post(client, order, "answer", {"answer": "", "article_ref": "KB-1"})
    assert field_error(bad, "answer") and fresh(order).state == "submitted"
    assert 'value="KB-1"' in bad.content.decode()  # the typed input is kept
    post(client, order, "answer", {"answer": "按知识库条目答复：请携带身份证办理。", "article_ref": "KB-1"})
    order = fresh(order)
    assert order.state == "answered" and order.article_ref == "KB-1" and "身份证" in order.public_reply


def test_reject_with_a_disposition_reason(client, cast):
    order = new_order(cast, now=T0)
    client.force_login(cast.dispatcher)
    bad = post(client, order, "reject", {"disposition_reason": "", "reason": "已告知"})
    assert field_error(bad, "disposition_reason") and fresh(order).state == "pending_dispatch"
    assert "已告知" in bad.content.decode()
    post(client, order, "reject", {"disposition_reason": "outside_district", "reason": "已告知向武侯区反映"})
    order = fresh(order)
    assert order.state == "rejected" and order.disposition_reason == "outside_district"


def test_merge_into_a_master_by_number(client, cast):
    master = new_order(cast, now=T0 - timedelta(hours=1))
    dup = new_order(cast, now=T0)
    client.force_login(cast.dispatcher)
    unknown = post(client, dup, "merge", {"master_number": "QY00000000-0000"})
    assert field_error(unknown, "master_number") and fresh(dup).state == "pending_dispatch"
    itself = post(client, dup, "merge", {"master_number": dup.number})
    assert field_error(itself, "master_number") and fresh(dup).state == "pending_dispatch"
    post(client, dup, "merge", {"master_number": master.number.lower(), "reason": "同一事项"})
    assert fresh(dup).state == "merged" and fresh(dup).master_id == master.pk
    assert fresh(master).repeat_count == 1


# --- dispatch ------------------------------------------------------------------------------------------


def test_dispatch_to_a_lead_and_supporting_units(client, cast):
    order = new_order(cast, now=T0)
    client.force_login(cast.dispatcher)
    data = {
        "lead_unit_id": cast.unit(EDU).pk,
        "support_unit_ids": [cast.unit(CAOSHI).pk],
        "instructions": "请主办单位牵头",
    }
    response = post(client, order, "dispatch", data)
    order = fresh(order)
    assert order.state == "dispatched" and order.lead_unit_id == cast.unit(EDU).pk
    assert set(Assignment.objects.filter(order=order).values_list("unit__code", "role")) == {
        (EDU, "lead"),
        (CAOSHI, "support"),
    }
    assert order.dispatched_at == NOW
    assert "dispatch" not in response.context["blocks"]
    again = post(client, order, "dispatch", data)
    assert 'data-status="409"' in again.content.decode()
    assert Assignment.objects.filter(order=order).count() == 2


def test_dispatch_failures_show_in_place_and_write_nothing(client, cast):
    critical = new_order(cast, now=T0, urgency="critical")
    client.force_login(cast.dispatcher)
    response = post(client, critical, "dispatch", {"lead_unit_id": cast.unit(EDU).pk, "instructions": "人命关天"})
    assert field_error(response, "handle_due")
    page = response.content.decode()
    assert "人命关天" in page and "autofocus" in page
    assert fresh(critical).state == "pending_dispatch" and not Assignment.objects.filter(order=critical).exists()
    same = post(
        client, critical, "dispatch", {"lead_unit_id": cast.unit(EDU).pk, "support_unit_ids": [cast.unit(EDU).pk]}
    )
    assert field_error(same, "support_unit_ids") and not Assignment.objects.filter(order=critical).exists()
    missing = post(client, critical, "dispatch", {}, htmx=False)
    assert missing.status_code == 422 and not Assignment.objects.filter(order=critical).exists()
    due = (NOW + timedelta(hours=4)).astimezone(views_centre.timezone.get_current_timezone())
    post(
        client, critical, "dispatch", {"lead_unit_id": cast.unit(EDU).pk, "handle_due": due.strftime("%Y-%m-%dT%H:%M")}
    )
    assert fresh(critical).handle_due == due.replace(second=0, microsecond=0)


def test_dispatch_needs_a_category(client, cast):
    order = new_order(cast, now=T0, category=None)
    client.force_login(cast.dispatcher)
    response = post(client, order, "dispatch", {"lead_unit_id": cast.unit(EDU).pk})
    assert "请先为工单分类，再派单。" in response.content.decode()
    assert fresh(order).state == "pending_dispatch"


# --- review ---------------------------------------------------------------------------------------------


def test_review_approve_and_send_back(client, cast):
    approve = drive(cast, new_order(cast, now=T0), "replied")
    back = drive(cast, new_order(cast, now=T0), "replied")
    client.force_login(cast.reviewer)
    post(client, approve, "review", {"decision": "approve"})
    assert fresh(approve).state == "pending_callback" and fresh(approve).public_reply == "已处理完毕"
    no_comment = post(client, back, "review", {"decision": "send_back", "comment": ""})
    assert field_error(no_comment, "comment") and fresh(back).state == "replied"
    no_decision = post(client, back, "review", {"comment": "x"})
    assert "decision" in no_decision.context["failure"].form.errors and fresh(back).state == "replied"
    post(client, back, "review", {"decision": "send_back", "comment": "答复未说明处理结果"})
    assert fresh(back).state == "in_progress"
    assert Reply.objects.get(order=back).review_comment == "答复未说明处理结果"


def test_review_from_the_review_screen_returns_its_rows(client, cast):
    order = drive(cast, new_order(cast, now=T0, subject="列表里审核"), "replied")
    client.force_login(cast.reviewer)
    data = {"decision": "send_back", "comment": "", "_list": "review", "_query": "tab=replies"}
    failed = post(client, order, "review", data)
    page = failed.content.decode()
    assert 'id="review-rows"' in page and 'data-status="422"' in page
    assert [r for r in failed.context["rows"] if r["order"].pk == order.pk][0]["failure"] is not None
    data["decision"] = "approve"
    ok = post(client, order, "review", data)
    assert 'id="review-rows"' in ok.content.decode() and fresh(order).state == "pending_callback"
    assert order.number not in [r["order"].number for r in ok.context["rows"]]
    no_js = post(client, order, "review", data, htmx=False)
    assert no_js.status_code == 409
    data["decision"] = "approve"
    other = drive(cast, new_order(cast, now=T0), "replied")
    redirect = post(client, other, "review", data, htmx=False)
    assert redirect.status_code == 302 and redirect["Location"] == reverse("consoles:review") + "?tab=replies"


# --- applications -----------------------------------------------------------------------------------------


def test_decide_an_extension(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress")
    app = A.do_request_extension(cast.edu, order.pk, working_days=3, reason="需现场勘查", now=T0)
    old_due = fresh(order).handle_due
    client.force_login(cast.reviewer)
    post(client, order, "decide", {"application": app.pk, "decision": "approve", "note": "同意"})
    app.refresh_from_db()
    assert app.state == "approved" and fresh(order).handle_due > old_due and app.new_due == fresh(order).handle_due


def test_decide_a_return_needs_a_note_to_refuse(client, cast):
    order = drive(cast, new_order(cast, now=T0), "dispatched")
    app = A.do_request_return(cast.edu, order.pk, reason="非本单位职责", now=T0)
    client.force_login(cast.dispatcher)
    bad = post(client, order, "decide", {"application": app.pk, "decision": "refuse", "note": ""})
    assert field_error(bad, "note")
    app.refresh_from_db()
    assert app.state == "pending"
    post(client, order, "decide", {"application": app.pk, "decision": "approve"})
    app.refresh_from_db()
    assert app.state == "approved" and fresh(order).state == "pending_dispatch"
    again = post(client, order, "decide", {"application": app.pk, "decision": "approve"})
    assert 'data-status="409"' in again.content.decode()
    other = new_order(cast, now=T0)
    assert post(client, other, "decide", {"application": app.pk, "decision": "approve"}).status_code == 404


def test_decide_a_termination(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress")
    app = A.do_request_termination(cast.edu, order.pk, reason="诉求人撤回诉求", now=T0)
    client.force_login(cast.reviewer)
    refuse = post(client, order, "decide", {"application": app.pk, "decision": "refuse", "note": ""})
    assert field_error(refuse, "note") and fresh(order).state == "in_progress"
    post(client, order, "decide", {"application": app.pk, "decision": "approve", "note": "同意终止"})
    assert fresh(order).state == "terminated"
    assert Application.objects.get(pk=app.pk).decision_note == "同意终止"


# --- callback, close, redo --------------------------------------------------------------------------------


def test_callback_closes_a_satisfied_order(client, cast):
    order = drive(cast, new_order(cast, now=T0), "pending_callback")
    client.force_login(cast.callback)
    data = {"outcome": "reached", "contacted": "yes", "solved": "yes", "satisfaction": "satisfied"}
    response = post(client, order, "callback", data)
    cb = Callback.objects.get(order=order)
    assert cb.contacted is True and cb.solved is True and cb.satisfaction == "satisfied"
    assert fresh(order).state == "closed"
    assert response.context["failure"] is None


def test_callback_dissatisfied_needs_a_reason_and_sends_the_order_back(client, cast):
    order = drive(cast, new_order(cast, now=T0), "pending_callback")
    client.force_login(cast.callback)
    data = {"outcome": "reached", "contacted": "yes", "solved": "no", "satisfaction": "dissatisfied", "reason": ""}
    bad = post(client, order, "callback", data)
    assert field_error(bad, "reason") and not Callback.objects.filter(order=order).exists()
    assert re.search(r'value="dissatisfied"[^>]* checked', bad.content.decode())  # the typed answers are kept
    data["reason"] = "噪音问题没有解决"
    response = post(client, order, "callback", data)
    assert fresh(order).state == "in_progress" and fresh(order).redo_count == 1
    page = response.content.decode()
    assert "重办" in page and cast.unit(EDU).name in page  # the screen says it went back for redo


def test_callback_with_the_five_level_score(client, cast):
    from yihaotong.feedback.actions import do_set_feedback_policy

    do_set_feedback_policy(cast.supervisor, "satisfaction_scale", "5")  # the questionnaire shows the 5 levels
    order = drive(cast, new_order(cast, now=T0), "pending_callback")
    client.force_login(cast.callback)
    bad = post(client, order, "callback", {"outcome": "reached", "score5": "9"})
    assert field_error(bad, "score5")
    post(client, order, "callback", {"outcome": "reached", "score5": "4"})
    cb = Callback.objects.get(order=order)
    assert cb.score5 == 4 and cb.satisfaction == "satisfied" and fresh(order).state == "closed"


def test_callback_desk_posts_return_the_desk_rows(client, cast):
    order = drive(cast, new_order(cast, now=T0, subject="回访台"), "pending_callback")
    client.force_login(cast.callback)
    data = {"outcome": "no_answer", "_list": "callbacks", "_query": ""}
    response = post(client, order, "callback", data)
    assert 'id="callback-rows"' in response.content.decode()
    row = [r for r in response.context["rows"] if r["order"].pk == order.pk][0]
    assert len(row["order"].attempts) == 1 and fresh(order).state == "pending_callback"
    missing = post(client, order, "callback", {"outcome": "", "_list": "callbacks", "_query": ""})
    assert [r for r in missing.context["rows"] if r["order"].pk == order.pk][0]["failure"] is not None
    assert Callback.objects.filter(order=order).count() == 1


def test_close_without_callback(client, cast):
    order = drive(cast, new_order(cast, now=T0), "pending_callback")
    client.force_login(cast.callback)
    bad = post(client, order, "close", {"reason": ""})
    assert field_error(bad, "reason") and fresh(order).state == "pending_callback"
    post(client, order, "close", {"reason": "诉求人表示无需回访"})
    assert fresh(order).state == "closed"


def test_redo_a_closed_order(client, cast):
    order = drive(cast, new_order(cast, now=T0), "closed")
    client.force_login(cast.callback)
    bad = post(client, order, "redo", {"reason": ""})
    assert field_error(bad, "reason") and fresh(order).state == "closed"
    post(client, order, "redo", {"reason": "诉求人再次反映未解决"})
    assert fresh(order).state == "in_progress" and fresh(order).redo_count == 1


# --- supervision ------------------------------------------------------------------------------------------


def test_remind_supervise_escalate(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress")
    client.force_login(cast.supervisor)
    post(client, order, "remind", {"note": ""})
    assert fresh(order).supervision_level == "remind"
    bad = post(client, order, "supervise", {"note": ""})
    assert field_error(bad, "note") and fresh(order).supervision_level == "remind"
    post(client, order, "supervise", {"note": "请三日内办结"})
    response = post(client, order, "escalate", {"note": "挂牌督办"})
    assert fresh(order).supervision_level == "escalate"
    assert list(Supervision.objects.filter(order=order).values_list("level", flat=True)) == [
        "remind",
        "supervise",
        "escalate",
    ]
    assert "请三日内办结" in response.content.decode()  # the history in the refreshed panel


def test_supervision_board_posts_return_the_board(client, cast, monkeypatch):
    later = T0 + timedelta(days=45)
    monkeypatch.setattr(views_centre, "_now", lambda: later)
    order = drive(cast, new_order(cast, now=T0, subject="督办台"), "in_progress")
    client.force_login(cast.supervisor)
    data = {"note": "", "_list": "supervision", "_query": "show=overdue"}
    bad = post(client, order, "escalate", data)
    assert 'id="supervision-rows"' in bad.content.decode()
    assert [r for r in bad.context["rows"] if r["order"].pk == order.pk][0]["failure"] is not None
    ok = post(client, order, "remind", data)
    row = [r for r in ok.context["rows"] if r["order"].pk == order.pk][0]
    assert [s.level for s in row["order"].history] == ["remind"]
    client.force_login(cast.leader)  # read-only: the leader may not remind
    denied = post(client, order, "remind", data)
    assert denied.status_code == 200 and 'data-status="403"' in denied.content.decode()
    assert Supervision.objects.filter(order=order).count() == 1
