"""Centre screens: dispatch queue, review, callback desk, supervision board (access, content, query counts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import CAOSHI, CM, EDU, T0, cast_for_module, drive, new_order
from yihaotong.consoles import views_centre
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Supervision

NOW = T0 + timedelta(hours=1)


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


SCREENS = {
    "consoles:queue": (["dispatcher"], ["operator", "reviewer", "callback", "supervisor", "leader", "edu"]),
    "consoles:review": (["reviewer", "dispatcher"], ["operator", "callback", "supervisor", "edu", "caoshi_admin"]),
    "consoles:callbacks": (["callback"], ["dispatcher", "reviewer", "supervisor", "edu"]),
    "consoles:supervision": (["supervisor", "leader"], ["dispatcher", "reviewer", "callback", "edu"]),
}


@pytest.mark.parametrize("name", list(SCREENS))
def test_screens_open_for_their_roles_and_refuse_others(client, cast, name):
    allowed, refused = SCREENS[name]
    url = reverse(name)
    assert client.get(url).status_code == 302  # login first
    for who in allowed:
        client.force_login(getattr(cast, who))
        response = client.get(url)
        assert response.status_code == 200, who
        assert "<html" in response.content.decode()
        partial = client.get(url, HTTP_HX_REQUEST="true")
        assert partial.status_code == 200
        assert "<html" not in partial.content.decode()
        assert 'hx-trigger="every 20s' in partial.content.decode()  # the rows poll
    for who in refused:
        client.force_login(getattr(cast, who))
        assert client.get(url).status_code == 403, who
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 403, who


def test_screens_refuse_state_changes_over_get(client, cast):
    order = new_order(cast, now=T0)
    client.force_login(cast.dispatcher)
    assert client.get(reverse("consoles:centre_action", args=[order.pk, "accept"])).status_code == 405


# --- dispatch queue ------------------------------------------------------------------------------------


def test_queue_lists_new_orders_oldest_first_and_filters(client, cast):
    old = new_order(cast, now=T0 - timedelta(hours=3), subject="老工单 路灯不亮", text="路灯坏了好几天", address="")
    urgent = new_order(cast, now=T0 - timedelta(hours=1), subject="紧急 停水", text="整栋楼停水", urgency="urgent")
    submitted = new_order(cast, now=T0, actor=cast.integration, subject="网上留言 噪音", text="广场舞音响太吵")
    dispatched = drive(cast, new_order(cast, now=T0, subject="已派出的工单"), "dispatched")
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:queue"))
    numbers = [o.number for o, _tone, _candidates in response.context["rows"]]
    assert numbers.index(old.number) < numbers.index(urgent.number) < numbers.index(submitted.number)
    assert dispatched.number not in numbers
    by_urgency = client.get(reverse("consoles:queue"), {"sort": "urgency"}).content.decode()
    assert by_urgency.index(urgent.number) < by_urgency.index(old.number)
    only_urgent = client.get(reverse("consoles:queue"), {"urgency": "urgent"}, HTTP_HX_REQUEST="true")
    body = only_urgent.content.decode()
    assert urgent.number in body and old.number not in body
    by_text = client.get(reverse("consoles:queue"), {"q": "广场舞"}, HTTP_HX_REQUEST="true").content.decode()
    assert submitted.number in by_text and old.number not in by_text
    by_type = client.get(reverse("consoles:queue"), {"request_type": "consult"}).content.decode()
    assert old.number not in by_type
    by_street = client.get(reverse("consoles:queue"), {"street": "510105005"}).content.decode()
    assert old.number not in by_street  # all test orders are in 草市街
    # the poll URL keeps the filters
    assert "urgency=urgent" in only_urgent.content.decode().split("hx-get=", 1)[1][:200]


def test_queue_shows_returns_and_merge_candidates(client, cast):
    first = new_order(cast, now=T0 - timedelta(hours=2), subject="小区门口污水横流", text="小区门口下水道堵塞污水横流")
    second = new_order(cast, now=T0 - timedelta(hours=1), subject="小区门口污水横流", text="小区门口下水道堵塞污水横流")
    asked = drive(cast, new_order(cast, now=T0, subject="申请退单的工单"), "in_progress")
    A.do_request_return(cast.edu, asked.pk, reason="不属于本单位职责", now=T0)
    back = drive(cast, new_order(cast, now=T0, subject="退回待改派的工单"), "dispatched")
    app = A.do_request_return(cast.edu, back.pk, reason="应由街道办理", now=T0)
    A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=T0)
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:queue"))
    page = response.content.decode()
    new_numbers = [o.number for o, _tone, _c in response.context["rows"]]
    assert back.number not in new_numbers and first.number in new_numbers
    assert "不属于本单位职责" in page and "应由街道办理" in page
    assert [o.number for o in response.context["returned"]] == [back.number]
    assert response.context["returned"][0].return_unit == cast.unit(EDU).name
    candidates = {o.number: c for o, _tone, c in response.context["rows"]}
    assert candidates[second.number][0]["order"].number == first.number  # the same text first
    assert candidates[second.number][0]["score"] == 100
    assert second.number not in [c["order"].number for c in candidates[first.number]]


@pytest.mark.parametrize("n", [2, 12])
def test_queue_query_count_is_constant(client, cast, django_assert_num_queries, n):
    for i in range(n):
        new_order(cast, now=T0 - timedelta(minutes=i), subject=f"排队工单 {i}", text=f"第{i}号测试诉求")
    back = drive(cast, new_order(cast, now=T0, subject="退回"), "dispatched")
    A.do_decide_return(
        cast.dispatcher, A.do_request_return(cast.edu, back.pk, reason="退", now=T0).pk, approve=True, now=T0
    )
    client.force_login(cast.dispatcher)
    client.get(reverse("consoles:queue"))  # warm the session, policy and calendar caches
    with django_assert_num_queries(9):
        response = client.get(reverse("consoles:queue"), HTTP_HX_REQUEST="true")
    assert len(response.context["rows"]) == n


# --- review --------------------------------------------------------------------------------------------


def _replied(cast, n, *, subject="待审核答复"):
    return [drive(cast, new_order(cast, now=T0, subject=f"{subject} {i}"), "replied") for i in range(n)]


def test_review_shows_replies_and_applications_by_kind(client, cast):
    (replied,) = _replied(cast, 1)
    ext = drive(cast, new_order(cast, now=T0, subject="延期的工单"), "in_progress")
    A.do_request_extension(cast.edu, ext.pk, working_days=3, reason="需要现场勘查", now=T0)
    ret = drive(cast, new_order(cast, now=T0, subject="退单的工单"), "in_progress")
    A.do_request_return(cast.edu, ret.pk, reason="非本单位职责", now=T0)
    term = drive(cast, new_order(cast, now=T0, subject="终止的工单"), "in_progress")
    A.do_request_termination(cast.edu, term.pk, reason="诉求人撤回", now=T0)
    client.force_login(cast.reviewer)
    page = client.get(reverse("consoles:review")).content.decode()
    assert replied.number in page and "已处理完毕" in page and "已处理" in page  # public text and internal notes
    tabs = dict((name, count) for name, _label, count in client.get(reverse("consoles:review")).context["tabs"])
    assert tabs["replies"] >= 1 and tabs["extension"] >= 1 and tabs["return"] >= 1 and tabs["termination"] >= 1
    ext_page = client.get(reverse("consoles:review"), {"tab": "extension"})
    assert "需要现场勘查" in ext_page.content.decode()
    row = [r for r in ext_page.context["rows"] if r["order"].pk == ext.pk][0]
    ext.refresh_from_db()
    from yihaotong.worktime.loader import get_calendar

    assert row["new_due"] == get_calendar().add_working_days(ext.handle_due, 3, count_from="same_day")
    assert "非本单位职责" in client.get(reverse("consoles:review"), {"tab": "return"}).content.decode()
    assert "诉求人撤回" in client.get(reverse("consoles:review"), {"tab": "termination"}).content.decode()
    # the dispatcher sees the returns only
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:review"))
    assert [t[0] for t in response.context["tabs"]] == ["return"]
    assert "非本单位职责" in response.content.decode() and replied.number not in response.content.decode()
    assert "需要现场勘查" not in client.get(reverse("consoles:review"), {"tab": "extension"}).content.decode()


@pytest.mark.parametrize("n", [1, 6])
def test_review_query_count_is_constant(client, cast, django_assert_num_queries, n):
    _replied(cast, n)
    client.force_login(cast.reviewer)
    client.get(reverse("consoles:review"))
    with django_assert_num_queries(8):
        response = client.get(reverse("consoles:review"), HTTP_HX_REQUEST="true")
    assert len(response.context["rows"]) == n


@pytest.mark.parametrize("n", [1, 5])
def test_review_applications_query_count_is_constant(client, cast, django_assert_num_queries, n):
    for i in range(n):
        order = drive(cast, new_order(cast, now=T0, subject=f"延期 {i}"), "in_progress")
        A.do_request_extension(cast.edu, order.pk, working_days=2, reason="需要时间", now=T0)
    client.force_login(cast.reviewer)
    client.get(reverse("consoles:review"), {"tab": "extension"})
    with django_assert_num_queries(7):
        response = client.get(reverse("consoles:review"), {"tab": "extension"}, HTTP_HX_REQUEST="true")
    assert len(response.context["rows"]) == n


# --- callbacks -----------------------------------------------------------------------------------------


def _awaiting_callback(cast, n):
    return [
        drive(cast, new_order(cast, now=T0 + timedelta(minutes=i), subject=f"待回访 {i}"), "pending_callback")
        for i in range(n)
    ]


def test_callback_desk_lists_orders_by_callback_due_with_phone_and_reply(client, cast):
    orders = _awaiting_callback(cast, 2)
    A.do_record_callback(cast.callback, orders[0].pk, outcome="no_answer", now=T0)
    client.force_login(cast.callback)
    response = client.get(reverse("consoles:callbacks"))
    page = response.content.decode()
    assert "13800001234" in page  # the centre sees the phone, unmasked
    assert "已处理完毕" in page  # the public reply
    assert "重办" in page  # the screen says what dissatisfaction does
    numbers = [r["order"].number for r in response.context["rows"]]
    assert numbers == sorted(numbers, key=lambda n: [o.number for o in orders].index(n))
    assert len(response.context["rows"][0]["order"].attempts) == 1


def test_callback_desk_warns_when_the_callback_is_due(client, cast, monkeypatch):
    (order,) = _awaiting_callback(cast, 1)
    monkeypatch.setattr(views_centre, "_now", lambda: order.callback_due + timedelta(minutes=1))
    client.force_login(cast.callback)
    response = client.get(reverse("consoles:callbacks"))
    assert response.context["rows"][0]["tone"] == "danger"
    assert 'class="item callback danger"' in response.content.decode()


@pytest.mark.parametrize("n", [1, 6])
def test_callback_desk_query_count_is_constant(client, cast, django_assert_num_queries, n):
    for order in _awaiting_callback(cast, n):
        A.do_record_callback(cast.callback, order.pk, outcome="no_answer", now=T0)
    client.force_login(cast.callback)
    client.get(reverse("consoles:callbacks"))
    with django_assert_num_queries(6):
        response = client.get(reverse("consoles:callbacks"), HTTP_HX_REQUEST="true")
    assert len(response.context["rows"]) == n


# --- supervision ---------------------------------------------------------------------------------------

LATER = T0 + timedelta(days=45)


def _overdue(cast, n, lead=EDU):
    orders = [drive(cast, new_order(cast, now=T0, subject=f"超期工单 {i}"), "in_progress", lead=lead) for i in range(n)]
    A.do_sweep_warnings(now=LATER)
    return orders


def test_supervision_board_counts_warnings_by_unit_and_street(client, cast, monkeypatch):
    monkeypatch.setattr(views_centre, "_now", lambda: LATER)
    edu = _overdue(cast, 2, lead=EDU)
    _overdue(cast, 1, lead=CM)
    A.do_supervise_order(cast.supervisor, edu[0].pk, level="remind", note="请尽快办理", now=LATER)
    client.force_login(cast.leader)
    response = client.get(reverse("consoles:supervision"))
    by_unit = {r["name"]: r for r in response.context["by_unit"]}
    assert by_unit[cast.unit(EDU).name]["red"] == 2 and by_unit[cast.unit(CM).name]["red"] == 1
    by_street = {r["name"]: r for r in response.context["by_street"]}
    assert by_street[cast.unit(CAOSHI).name]["red"] == 3
    page = response.content.decode()
    assert "请尽快办理" in page  # the supervision history
    assert edu[1].number in page
    assert "催办" in page or "Remind" in page
    assert response.context["can_act"] is False and 'name="note"' not in page  # the leader reads only
    # filter by unit
    only_cm = client.get(reverse("consoles:supervision"), {"unit": cast.unit(CM).pk}, HTTP_HX_REQUEST="true")
    assert edu[1].number not in only_cm.content.decode()
    client.force_login(cast.supervisor)
    assert 'name="note"' in client.get(reverse("consoles:supervision")).content.decode()


@pytest.mark.parametrize("n", [1, 6])
def test_supervision_query_count_is_constant(client, cast, django_assert_num_queries, monkeypatch, n):
    monkeypatch.setattr(views_centre, "_now", lambda: LATER)
    orders = _overdue(cast, n, lead=EDU if n == 1 else CM)
    for order in orders:
        A.do_supervise_order(cast.supervisor, order.pk, level="remind", now=LATER)
    client.force_login(cast.supervisor)
    client.get(reverse("consoles:supervision"))
    with django_assert_num_queries(8):
        response = client.get(reverse("consoles:supervision"), HTTP_HX_REQUEST="true")
    assert len(response.context["rows"]) == n
    assert Supervision.objects.filter(order__in=orders).count() == n
