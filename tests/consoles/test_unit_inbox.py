"""The unit inbox: who may open it, its four section partials, one-click sign, tones, paging, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CAOSHI, CM, EDU, T0, cast_for_module, drive, new_order
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Assignment, Event

INBOX = "consoles:inbox"
HX = {"HTTP_HX_REQUEST": "true"}


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


def _dispatched(cast, lead=EDU, **kw):
    return drive(cast, new_order(cast, now=T0, **kw), "dispatched", now=T0, lead=lead)


def _section(client, name, **params):
    return client.get(reverse(INBOX), {"section": name, **params}, **HX)


# --- who may open it -------------------------------------------------------------------------------------


def test_inbox_is_for_handlers_and_unit_admins(client, cast, clock):
    for user in (cast.edu, cast.edu_admin, cast.community):
        client.force_login(user)
        assert client.get(reverse(INBOX)).status_code == 200
    for user in (cast.operator, cast.dispatcher, cast.reviewer, cast.leader):
        client.force_login(user)
        assert client.get(reverse(INBOX)).status_code == 403
        assert client.get(reverse(INBOX), {"section": "in_progress"}, **HX).status_code == 403


def test_inbox_needs_a_login(client, db):
    response = client.get(reverse(INBOX))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("consoles:login"))


def test_inbox_page_has_tabs_and_polls_its_rows(client, cast, clock):
    order = _dispatched(cast, subject="待签收的工单")
    client.force_login(cast.edu)
    page = client.get(reverse(INBOX)).content.decode()
    assert "<html" in page
    assert 'id="inbox-tabs"' in page and 'id="inbox-rows"' in page
    assert 'hx-trigger="every 20s"' in page
    assert order.number in page and "待签收的工单" in page
    assert "unit.css" in page


# --- the section partials --------------------------------------------------------------------------------


def test_each_section_is_a_partial_with_its_tabs_out_of_band(client, cast, clock):
    _dispatched(cast)
    client.force_login(cast.edu)
    for name in ["to_sign", "in_progress", "replied", "returned"]:
        response = _section(client, name)
        page = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in page
        assert f'data-section="{name}"' in page
        assert 'hx-swap-oob="true"' in page  # the tab counts refresh with the rows
        assert 'hx-trigger="every 20s"' in page
        assert response["Vary"] and "HX-Request" in response["Vary"]


def test_unknown_section_falls_back_to_to_sign(client, cast, clock):
    client.force_login(cast.edu)
    assert _section(client, "nonsense").context["section"] == "to_sign"


def test_to_sign_shows_the_sign_countdown_and_turns_red_when_passed(client, cast, clock):
    order = _dispatched(cast)
    client.force_login(cast.edu)
    page = _section(client, "to_sign").content.decode()
    assert order.number in page and "left" in page and "tone-danger" not in page
    clock.now = order.sign_due + timedelta(hours=2)
    page = _section(client, "to_sign").content.decode()
    assert "tone-danger" in page and "overdue by 2 h 0 min" in page


def test_in_progress_shows_the_deadline_with_its_warning_tone(client, cast, clock):
    order = drive(cast, new_order(cast, now=T0), "in_progress", now=T0, lead=EDU)
    client.force_login(cast.edu)
    row = _section(client, "in_progress").context["rows"][0]
    assert row.order.pk == order.pk and row.tone == ""
    clock.now = order.warn_at + timedelta(minutes=1)
    client.force_login(cast.edu)  # sessions last two weeks; the clock moved further
    assert _section(client, "in_progress").context["rows"][0].tone == "warn"
    clock.now = order.due_at + timedelta(minutes=1)
    page = _section(client, "in_progress").content.decode()
    assert "tone-danger" in page and "overdue by" in page


def test_in_progress_marks_a_pending_extension(client, cast, clock):
    order = drive(cast, new_order(cast, now=T0), "in_progress", now=T0, lead=EDU)
    A.do_request_extension(cast.edu, order.pk, working_days=3, reason="需要现场勘查", now=clock.now)
    client.force_login(cast.edu)
    page = _section(client, "in_progress").content.decode()
    assert "Extension" in page and "awaiting decision" in page


def test_replied_section_lists_replies_awaiting_review(client, cast, clock):
    order = drive(cast, new_order(cast, now=T0), "replied", now=T0, lead=EDU)
    approved = drive(cast, new_order(cast, now=T0, subject="已审核"), "pending_callback", now=T0, lead=EDU)
    client.force_login(cast.edu)
    response = _section(client, "replied")
    numbers = [r.order.number for r in response.context["rows"]]
    assert numbers == [order.number]
    assert approved.number not in response.content.decode()
    assert "awaiting review" in response.content.decode()


def test_returned_section_lists_recent_returns_with_the_reason(client, cast, clock):
    order = _dispatched(cast)
    app = A.do_request_return(cast.edu, order.pk, reason="不属于本单位职责", now=clock.now)
    A.do_decide_return(cast.dispatcher, app.pk, approve=True, note="改派", now=clock.now)
    client.force_login(cast.edu)
    page = _section(client, "returned").content.decode()
    assert order.number in page and "不属于本单位职责" in page
    assert _section(client, "to_sign").context["rows"] == []
    clock.now = clock.now + timedelta(days=31)
    client.force_login(cast.edu)
    assert _section(client, "returned").context["rows"] == []


def test_inbox_shows_only_the_users_units_work(client, cast, clock):
    mine = _dispatched(cast, subject="教育局的工单")
    other = _dispatched(cast, lead=CM, subject="执法局的工单")
    client.force_login(cast.edu)
    page = _section(client, "to_sign").content.decode()
    assert mine.number in page and other.number not in page


def test_unit_admin_sees_the_sub_units_parts(client, cast, clock):
    order = drive(cast, new_order(cast, now=T0), "in_progress", now=T0, lead=CAOSHI)
    A.do_subdispatch(cast.caoshi, order.pk, sub_unit_id=cast.community.unit_id, now=clock.now)
    client.force_login(cast.caoshi_admin)
    rows = _section(client, "to_sign").context["rows"]
    assert [(r.order.pk, r.asg.unit_id) for r in rows] == [(order.pk, cast.community.unit_id)]
    assert "sub-dispatched by" in _section(client, "to_sign").content.decode()
    client.force_login(cast.caoshi)  # a handler sees their own unit only
    assert _section(client, "to_sign").context["rows"] == []
    client.force_login(cast.community)
    assert [r.order.pk for r in _section(client, "to_sign").context["rows"]] == [order.pk]


# --- one-click sign --------------------------------------------------------------------------------------


def test_sign_from_the_inbox_signs_and_refreshes_the_rows(client, cast, clock):
    order = _dispatched(cast)
    asg = Assignment.objects.get(order=order)
    client.force_login(cast.edu)
    response = client.post(reverse("consoles:inbox_sign", args=[asg.pk]), {"section": "to_sign"}, **HX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page and 'id="inbox-rows"' in page
    assert f"Signed for {order.number}" in page
    assert response.context["rows"] == []
    asg.refresh_from_db()
    order.refresh_from_db()
    assert asg.state == "signed" and asg.signed_by == cast.edu
    assert order.state == "in_progress"
    assert [r.order.pk for r in _section(client, "in_progress").context["rows"]] == [order.pk]


def test_second_sign_shows_the_domain_error_and_writes_nothing(client, cast, clock):
    order = _dispatched(cast)
    asg = Assignment.objects.get(order=order)
    client.force_login(cast.edu)
    client.post(reverse("consoles:inbox_sign", args=[asg.pk]), {"section": "to_sign"}, **HX)
    events = Event.objects.filter(order=order).count()
    page = client.post(reverse("consoles:inbox_sign", args=[asg.pk]), {"section": "to_sign"}, **HX).content.decode()
    assert "This assignment has been signed for already." in page
    assert Event.objects.filter(order=order).count() == events


def test_sign_without_javascript_redirects_to_the_inbox(client, cast, clock):
    order = _dispatched(cast)
    asg = Assignment.objects.get(order=order)
    client.force_login(cast.edu)
    response = client.post(reverse("consoles:inbox_sign", args=[asg.pk]), {"section": "to_sign", "page": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse(INBOX)}?section=to_sign&page=1"


def test_sign_is_post_only_and_refuses_other_units(client, cast, clock):
    order = _dispatched(cast)
    asg = Assignment.objects.get(order=order)
    client.force_login(cast.edu)
    assert client.get(reverse("consoles:inbox_sign", args=[asg.pk])).status_code == 405
    client.force_login(cast.cm)
    assert client.post(reverse("consoles:inbox_sign", args=[asg.pk]), **HX).status_code == 404
    client.force_login(cast.dispatcher)
    assert client.post(reverse("consoles:inbox_sign", args=[asg.pk]), **HX).status_code == 403
    asg.refresh_from_db()
    assert asg.state == "pending_sign"


# --- paging and query counts -----------------------------------------------------------------------------


def test_inbox_pages_25_rows(client, cast, clock):
    for i in range(27):
        _dispatched(cast, subject=f"分页 {i}")
    client.force_login(cast.edu)
    first = _section(client, "to_sign")
    assert len(first.context["rows"]) == 25 and first.context["meta"]["pages"] == 2
    assert "page=2" in first.content.decode()
    second = _section(client, "to_sign", page=2)
    assert len(second.context["rows"]) == 2
    assert _section(client, "to_sign", page="x").context["meta"]["page"] == 1
    assert _section(client, "to_sign", page=99).context["meta"]["page"] == 2


def _fill(cast, n, clock):
    """n orders in every section of 区教育局's inbox."""
    for i in range(n):
        _dispatched(cast, subject=f"待签 {i}")
        drive(cast, new_order(cast, now=T0, subject=f"办理 {i}"), "in_progress", now=T0, lead=EDU)
        drive(cast, new_order(cast, now=T0, subject=f"答复 {i}"), "replied", now=T0, lead=EDU)
        gone = _dispatched(cast, subject=f"退回 {i}")
        app = A.do_request_return(cast.edu, gone.pk, reason="非本单位职责", now=clock.now)
        A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=clock.now)


# Session, user, groups (roles), the section counts, the page of rows; the whole page also shows the user's
# unit in the top bar, and a unit admin's scope needs the unit's path.
# The full page has the top bar's bell (one capped COUNT of unread notifications); the partials do not.
INBOX_QUERIES = {"handler": 5, "handler_page": 7, "unit_admin": 6}


@pytest.mark.parametrize("n", [2, 8])
@pytest.mark.parametrize("section", ["to_sign", "in_progress", "replied", "returned"])
def test_inbox_query_count_is_constant(client, cast, clock, django_assert_num_queries, n, section):
    _fill(cast, n, clock)
    client.force_login(cast.edu)
    client.get(reverse(INBOX))  # warm the session and the policy caches
    with django_assert_num_queries(INBOX_QUERIES["handler"]):
        response = _section(client, section)
    assert len(response.context["rows"]) == n
    with django_assert_num_queries(INBOX_QUERIES["handler_page"]):
        client.get(reverse(INBOX), {"section": section})


@pytest.mark.parametrize("n", [2, 8])
def test_unit_admin_inbox_query_count_is_constant(client, cast, clock, django_assert_num_queries, n):
    _fill(cast, n, clock)
    client.force_login(cast.edu_admin)
    client.get(reverse(INBOX))
    with django_assert_num_queries(INBOX_QUERIES["unit_admin"]):
        response = _section(client, "in_progress")
    assert len(response.context["rows"]) == n
