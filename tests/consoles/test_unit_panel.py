"""The unit panel of an order: who sees it, and each unit action's success and failure through the view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CAOSHI, CM, EDU, T0, cast_for_module, drive, new_order
from yihaotong.audit.models import AccessLog
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Application, Assignment, ContactLog, Event, Reply

HX = {"HTTP_HX_REQUEST": "true"}
FULL_PHONE = "13800001234"
MASKED_PHONE = "138****1234"


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


class Clock:
    def __init__(self, now):
        self.now = now


@pytest.fixture
def clock(monkeypatch):
    """Stand the views and the actions at a chosen instant (the cast's calendar covers 2025-2026)."""
    c = Clock(T0 + timedelta(hours=1))
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _panel(client, order, **params):
    return client.get(reverse("consoles:unit_panel", args=[order.pk]), params, **HX)


def _act(client, order, action, data=None, *, htmx=True):
    extra = HX if htmx else {}
    return client.post(reverse("consoles:unit_action", args=[order.pk, action]), data or {}, **extra)


def _in_progress(cast, lead=EDU, **kw):
    return drive(cast, new_order(cast, now=T0, **kw), "in_progress", now=T0, lead=lead)


def _dispatched(cast, lead=EDU, **kw):
    return drive(cast, new_order(cast, now=T0, **kw), "dispatched", now=T0, lead=lead)


# --- who sees the panel ----------------------------------------------------------------------------------


def test_panel_is_404_for_an_invisible_order(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.cm)
    assert _panel(client, order).status_code == 404
    assert client.get(reverse("consoles:unit_panel", args=[999999]), **HX).status_code == 404
    assert _act(client, order, "sign").status_code == 404


def test_panel_is_empty_for_a_unit_without_an_active_assignment(client, cast, clock):
    order = _dispatched(cast, lead=CAOSHI)
    app = A.do_request_return(cast.caoshi, order.pk, reason="不是本街道辖区", now=clock.now)
    A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=clock.now)
    client.force_login(cast.caoshi)  # still sees the order (its returned part) but holds nothing active
    assert client.get(reverse("consoles:order", args=[order.pk])).status_code == 200
    response = _panel(client, order)
    assert response.status_code == 200
    assert response.content.decode().strip() == ""
    assert response["HX-Reswap"] == "delete"


def test_panel_is_empty_for_centre_staff(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.dispatcher)
    response = _panel(client, order)
    assert response.status_code == 200 and response.content.decode().strip() == ""


def test_unit_actions_are_post_only_known_and_for_unit_members(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.edu)
    assert client.get(reverse("consoles:unit_action", args=[order.pk, "sign"])).status_code == 405
    assert _act(client, order, "launch").status_code == 404
    client.force_login(cast.dispatcher)
    assert _act(client, order, "sign").status_code == 403


# --- sign ------------------------------------------------------------------------------------------------


def test_sign_from_the_panel_returns_the_refreshed_panel(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert "<html" not in page and "Sign for this order" in page and "Sign by" in page
    response = _act(client, order, "sign", {"assignment_id": Assignment.objects.get(order=order).pk})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Signed for." in page
    assert "Sign for this order" not in page and "Send the reply for review" in page
    assert response["HX-Trigger"] == "yihaotong:order-changed"
    order.refresh_from_db()
    assert order.state == "in_progress"


def test_sign_without_javascript_redirects_to_the_order(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.edu)
    response = _act(client, order, "sign", htmx=False)
    assert response.status_code == 302 and response["Location"] == reverse("consoles:order", args=[order.pk])


def test_second_sign_shows_the_domain_error(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.edu)
    _act(client, order, "sign")
    events = Event.objects.filter(order=order).count()
    page = _act(client, order, "sign").content.decode()
    assert "This assignment has been signed for already." in page and 'role="alert"' in page
    assert Event.objects.filter(order=order).count() == events


def test_a_refusal_is_shown_in_the_readers_language(client, cast, clock):
    """The action's English message stays for the API; the panel shows it translated, states by their labels."""
    order = _dispatched(cast)
    client.force_login(cast.edu)
    asg = {"assignment_id": Assignment.objects.get(order=order).pk}
    extension = {**asg, "working_days": "3", "reason": "需协调多部门"}
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = _act(client, order, "extension", extension).content.decode()  # asked for before signing
    assert "工单处于“已派单”状态，不能申请延期。" in page and 'role="alert"' in page
    assert "while the order is" not in page
    _act(client, order, "sign", asg)
    page = _act(client, order, "sign", asg).content.decode()
    assert "该派单记录已签收。" in page and "signed for already" not in page
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = _act(client, order, "sign", asg).content.decode()
    assert "This assignment has been signed for already." in page and "该派单记录已签收" not in page
    other = _dispatched(cast)
    page = _act(client, other, "extension", extension | {"assignment_id": other.assignments.get().pk}).content.decode()
    assert "Cannot ask for an extension while the order is Dispatched." in page
    assert not Application.objects.filter(order__in=[order, other]).exists()


# --- return ----------------------------------------------------------------------------------------------


def test_return_within_the_window_shows_its_end_and_waits_for_the_dispatcher(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert "Returns are possible until 2026-03-11 24:00." in page  # 2 working days after Monday's dispatch
    page = _act(client, order, "return", {"reason": "属于区卫健局职责"}).content.decode()
    assert "Return requested" in page
    assert "A return request is waiting for the dispatcher" in page
    app = Application.objects.get(order=order, kind="return")
    assert app.reason == "属于区卫健局职责" and app.state == "pending"


def test_return_needs_a_reason(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.edu)
    response = _act(client, order, "return", {"reason": "  "})
    assert "unit-return-reason_error" in response.content.decode()
    assert not Application.objects.filter(order=order).exists()


def test_return_after_the_window_shows_the_error_and_writes_nothing(client, cast, clock):
    order = _in_progress(cast)
    clock.now = T0 + timedelta(days=3)  # Thursday: the window closed at the end of Wednesday
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert "The return window has passed" in page and "unit-return-reason" not in page
    events = Event.objects.filter(order=order).count()
    page = _act(client, order, "return", {"reason": "不是我们的"}).content.decode()
    assert "The return window has passed; ask for an extension or reply instead." in page
    assert 'value="不是我们的"' in page or "不是我们的</textarea>" in page  # what was typed is kept
    assert not Application.objects.filter(order=order).exists()
    assert Event.objects.filter(order=order).count() == events


# --- contact and reveal ----------------------------------------------------------------------------------


def test_panel_masks_the_requester_number(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert MASKED_PHONE in page and FULL_PHONE not in page
    assert "Reveal the full number" in page


def test_reveal_needs_a_reason_and_logs_nothing_without_one(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _act(client, order, "reveal", {"reason": ""}).content.decode()
    assert "unit-reveal-reason_error" in page
    assert FULL_PHONE not in page
    assert not AccessLog.objects.filter(subject_id=str(order.pk)).exists()


def test_reveal_logs_and_shows_the_number_only_in_that_response(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    response = _act(client, order, "reveal", {"reason": "需要电话联系核实情况"})
    page = response.content.decode()
    assert FULL_PHONE in page and "the reveal is logged" in page
    assert response["Cache-Control"] == "no-store"
    log = AccessLog.objects.get(subject_id=str(order.pk))
    assert log.actor == cast.edu and log.reason == "需要电话联系核实情况"
    assert log.fields == "requester_name,requester_phone"
    assert Event.objects.filter(order=order, kind="reveal_contact").count() == 1
    # Once only: the next rendering of the panel is masked again.
    again = _panel(client, order).content.decode()
    assert FULL_PHONE not in again and MASKED_PHONE in again


def test_reveal_without_javascript_shows_the_number_on_a_page(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    response = _act(client, order, "reveal", {"reason": "核实地址"}, htmx=False)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and FULL_PHONE in page and 'id="unit-panel"' in page


def test_whistleblowing_order_shows_confidential_and_refuses_reveal(client, cast, clock):
    order = _in_progress(cast, request_type="report")
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert "保密" in page and FULL_PHONE not in page and MASKED_PHONE not in page
    assert "Reveal the full number" not in page
    page = _act(client, order, "reveal", {"reason": "想知道是谁举报的"}).content.decode()
    assert "The requester&#x27;s identity is protected on this order." in page
    assert FULL_PHONE not in page
    assert not AccessLog.objects.filter(subject_id=str(order.pk)).exists()


def test_contact_log_is_recorded_and_listed(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _act(client, order, "contact", {"method": "phone", "note": "已电话沟通，约定周三上门"}).content.decode()
    assert "Contact with the requester recorded." in page
    assert "已电话沟通，约定周三上门" in page
    log = ContactLog.objects.get(order=order)
    assert log.by == cast.edu and log.method == "phone"


def test_contact_log_refuses_an_unknown_method(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _act(client, order, "contact", {"method": "pigeon", "note": "x"}).content.decode()
    assert "unit-contact-method_error" in page
    assert not ContactLog.objects.filter(order=order).exists()


# --- reply -----------------------------------------------------------------------------------------------


def test_reply_without_public_text_shows_the_field_error_and_keeps_the_notes(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    notes = "已到现场核查，施工单位承诺22点后停工"
    response = _act(client, order, "reply", {"internal_notes": notes, "public_text": "", "solved": "yes"})
    page = response.content.decode()
    assert "unit-reply-public_text_error" in page
    assert "The requester&#x27;s reply text is required." in page
    assert notes in page  # kept in the textarea
    assert "autofocus" in page
    assert not Reply.objects.filter(order=order).exists()
    order.refresh_from_db()
    assert order.state == "in_progress"


def test_reply_is_sent_for_review(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    data = {
        "internal_notes": "已到现场核查",
        "public_text": "经核查，施工单位已停止夜间施工。",
        "requester_contacted": "on",
        "solved": "yes",
    }
    page = _act(client, order, "reply", data).content.decode()
    assert "Reply sent." in page and "the reviewer checks the reply" in page
    reply = Reply.objects.get(order=order)
    assert reply.requester_contacted is True and reply.solved is True and reply.state == "pending"
    order.refresh_from_db()
    assert order.state == "replied"
    # A double submit meets the domain error, not a second reply.
    page = _act(client, order, "reply", data).content.decode()
    assert "Sign for the order before replying." in page
    assert Reply.objects.filter(order=order).count() == 1


def test_reply_without_javascript_redirects_and_failure_renders_a_page(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    failed = _act(client, order, "reply", {"internal_notes": "备注", "public_text": ""}, htmx=False)
    assert failed.status_code == 200 and "<html" in failed.content.decode()
    assert "unit-reply-public_text_error" in failed.content.decode()
    ok = _act(client, order, "reply", {"internal_notes": "备注", "public_text": "已处理"}, htmx=False)
    assert ok.status_code == 302


# --- extension -------------------------------------------------------------------------------------------


def test_extension_shows_the_allowance_and_previews_the_new_deadline(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert "At most 10 working days in all; 0 used, 10 left." in page
    # 15 working days from Monday 9 March (next-day basis) end on Monday 30 March; 3 more end on 2 April.
    assert order.handle_due == timezone.datetime(2026, 3, 31, tzinfo=T0.tzinfo)
    assert "New deadline if approved: 2026-03-31 24:00" in page  # the default of one working day
    preview = client.get(
        reverse("consoles:unit_extension_preview", args=[order.pk]), {"working_days": "3"}, **HX
    ).content.decode()
    assert "New deadline if approved: 2026-04-02 24:00" in preview
    too_many = client.get(
        reverse("consoles:unit_extension_preview", args=[order.pk]), {"working_days": "11"}, **HX
    ).content.decode()
    assert "At most 10 more working days may be asked for." in too_many


def test_extension_preview_is_empty_for_outsiders(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:unit_extension_preview", args=[order.pk]), {"working_days": "3"})
    assert response.content.decode() == ""
    client.force_login(cast.cm)
    assert client.get(reverse("consoles:unit_extension_preview", args=[order.pk])).status_code == 404


def test_extension_request_succeeds(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _act(client, order, "extension", {"working_days": "3", "reason": "需协调多部门"}).content.decode()
    assert "Extension requested" in page and "An extension request is waiting for a decision." in page
    app = Application.objects.get(order=order, kind="extension")
    assert app.working_days == 3 and app.old_due == order.handle_due


def test_extension_beyond_the_maximum_shows_the_error(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _act(client, order, "extension", {"working_days": "11", "reason": "工程量大"}).content.decode()
    assert "unit-extension-working_days_error" in page
    assert "工程量大" in page
    assert not Application.objects.filter(order=order).exists()


def test_extension_after_the_deadline_shows_the_domain_error(client, cast, clock):
    order = _in_progress(cast)
    clock.now = order.handle_due + timedelta(hours=1)
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert "The deadline has passed" in page
    page = _act(client, order, "extension", {"working_days": "2", "reason": "来不及"}).content.decode()
    assert "Extensions are asked for before the deadline." in page
    assert not Application.objects.filter(order=order).exists()


# --- termination -----------------------------------------------------------------------------------------


def test_termination_request_succeeds_and_needs_a_reason(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _act(client, order, "termination", {"reason": ""}).content.decode()
    assert "unit-termination-reason_error" in page
    assert not Application.objects.filter(order=order).exists()
    page = _act(client, order, "termination", {"reason": "诉求人撤回诉求"}).content.decode()
    assert "Termination requested" in page and "A termination request is waiting for a decision." in page
    assert Application.objects.get(order=order, kind="termination").reason == "诉求人撤回诉求"
    page = _act(client, order, "termination", {"reason": "再次提交"}).content.decode()
    assert "A termination request is already waiting for a decision." in page
    assert Application.objects.filter(order=order, kind="termination").count() == 1


# --- supporting units ------------------------------------------------------------------------------------


def test_a_supporting_unit_replies_its_part_without_public_text(client, cast, clock):
    order = drive(cast, new_order(cast, now=T0), "in_progress", now=T0, lead=EDU, supports=(CM,))
    client.force_login(cast.cm)
    page = _panel(client, order).content.decode()
    assert "Ask for an extension" not in page and "Ask to terminate handling" not in page
    _act(client, order, "sign")
    page = _panel(client, order).content.decode()
    assert "Reply our part to the lead unit" in page and "unit-reply-public_text" not in page
    page = _act(client, order, "reply", {"internal_notes": "执法局已约谈施工方"}).content.decode()
    assert "Our part was replied to the lead unit." in page
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert "执法局已约谈施工方" in page  # the lead reads the parts


# --- sub-dispatch ----------------------------------------------------------------------------------------


def test_subdispatch_then_the_sub_unit_signs_and_replies_its_part(client, cast, clock):
    order = _in_progress(cast, lead=CAOSHI)
    lead = Assignment.objects.get(order=order)
    community = cast.community.unit
    client.force_login(cast.caoshi_admin)
    page = _panel(client, order).content.decode()
    assert "Sub-dispatch to a sub-unit" in page and community.name in page
    page = _act(
        client,
        order,
        "subdispatch",
        {"assignment_id": lead.pk, "sub_unit_id": community.pk, "instructions": "请社区网格员上门了解"},
    ).content.decode()
    assert "Sub-dispatched to the sub-unit." in page and "Sub-units still working on it" in page
    child = Assignment.objects.get(order=order, parent=lead)
    assert child.unit == community and child.state == "pending_sign"

    client.force_login(cast.community)
    page = _panel(client, order).content.decode()
    assert "请社区网格员上门了解" in page and "Sign for this order" in page
    assert "Return the order" not in page  # a sub-unit gives its part back to its parent, not the centre
    _act(client, order, "sign", {"assignment_id": child.pk})
    page = _act(
        client, order, "reply", {"assignment_id": child.pk, "internal_notes": "网格员已上门，情况属实"}
    ).content.decode()
    assert "Our part was replied to the lead unit." in page
    child.refresh_from_db()
    assert child.state == "replied"

    client.force_login(cast.caoshi)
    page = _panel(client, order).content.decode()
    assert "网格员已上门，情况属实" in page and "Sub-units still working on it" not in page


def test_subdispatch_to_a_unit_outside_the_subtree_is_a_field_error(client, cast, clock):
    order = _in_progress(cast, lead=CAOSHI)
    client.force_login(cast.caoshi)
    page = _act(client, order, "subdispatch", {"sub_unit_id": cast.unit(EDU).pk}).content.decode()
    assert "unit-subdispatch-sub_unit_id_error" in page
    assert "not a sub-unit of the assignee" in page
    assert Assignment.objects.filter(order=order).count() == 1


def test_unit_admin_switches_between_the_parts_of_the_subtree(client, cast, clock):
    order = _in_progress(cast, lead=CAOSHI)
    child = A.do_subdispatch(cast.caoshi, order.pk, sub_unit_id=cast.community.unit_id, now=clock.now)
    client.force_login(cast.caoshi_admin)
    page = _panel(client, order).content.decode()
    assert f"?assignment={child.pk}" in page
    response = _panel(client, order, assignment=child.pk)
    assert response.context["asg"].pk == child.pk
    assert "Sign for this order" in response.content.decode()


def test_anonymous_requester_shows_no_name_but_the_masked_number(client, cast, clock):
    order = _in_progress(cast, is_anonymous=True)
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    assert "Anonymous" in page and MASKED_PHONE in page and "测**" not in page


def test_panel_without_javascript_is_a_whole_page(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    response = client.get(reverse("consoles:unit_panel", args=[order.pk]))
    page = response.content.decode()
    assert "<html" in page and 'id="unit-panel"' in page and "Send the reply for review" in page


def test_extension_days_field_asks_for_the_preview_as_the_user_types(client, cast, clock):
    order = _in_progress(cast)
    client.force_login(cast.edu)
    page = _panel(client, order).content.decode()
    preview_url = reverse("consoles:unit_extension_preview", args=[order.pk])
    assert f'hx-get="{preview_url}"' in page and 'hx-target="#unit-extension-preview"' in page
