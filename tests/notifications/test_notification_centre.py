"""The staff notification centre: who sees which in-app row, read state per user, mark (all) read, the
30-day rule, one row per notification for people with two addressed roles, the page, the bell and the API.

Notifications are made by the real actions (dispatch, reply, the warning sweep, supervision) at the
present time: the unread window is measured from the real clock of the page and the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import CM, EDU, cast_for_module, drive, new_order
from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.core.errors import NotFound
from yihaotong.notifications.access import access_notification, visible_notifications
from yihaotong.notifications.actions import (
    do_mark_all_notifications_read,
    do_mark_notification_read,
    queue_notification,
)
from yihaotong.notifications.models import NotificationReceipt, NotificationWatermark, Outbox
from yihaotong.notifications.selectors import count_unread, list_notifications
from yihaotong.workorders import actions as A

API = "/api/v1/notifications"


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        from yihaotong.worktime.actions import do_set_calendar_year
        from yihaotong.worktime.models import CalendarYear

        # The notifications are made at the present: the calendar must know this year and its neighbours.
        this_year = timezone.localdate().year
        for year in (this_year - 1, this_year, this_year + 1):
            if not CalendarYear.objects.filter(year=year).exists():
                do_set_calendar_year(year=year, holidays=[], workdays=[], source="test-provisional")
        yield c


@pytest.fixture
def cast(_module_cast, db):
    from yihaotong.accounts.models import User

    # Fresh user objects: ``roles`` is cached on the instance and tests add users and roles.
    for name in ("edu", "edu_admin", "cm", "caoshi_admin", "dispatcher", "reviewer", "supervisor", "leader"):
        setattr(_module_cast, name, User.objects.get(pk=getattr(_module_cast, name).pk))
    return _module_cast


def now():
    return timezone.now()


def dispatched(cast, *, at=None, lead=EDU, **kw):
    """An order dispatched to ``lead`` at ``at`` (now): the unit's handlers and admins are notified."""
    at = at or now()
    return drive(cast, new_order(cast, now=at, **kw), "dispatched", now=at, lead=lead)


def kinds(user, **kw) -> list[str]:
    return list(list_notifications(user, now=now(), **kw).values_list("kind", flat=True))


def unread(user) -> int:
    return count_unread(user, now=now(), cap=1000)


def client_for(user, **kw) -> Client:
    c = Client(**kw)
    c.force_login(user)
    return c


def user(name, roles, unit=None):
    return do_create_user(username=name, password=None, roles=roles, unit=unit, display_name=name)


# --- visibility ------------------------------------------------------------------------------------------


def test_a_dispatch_reaches_the_units_handlers_and_admins_only(cast):
    order = dispatched(cast)
    for member in (cast.edu, cast.edu_admin):
        assert kinds(member) == ["dispatched"]
        assert unread(member) == 1
    for outsider in (cast.cm, cast.caoshi_admin, cast.dispatcher, cast.supervisor):
        assert "dispatched" not in kinds(outsider)
    row = list_notifications(cast.edu, now=now()).get()
    assert row.order_id == order.pk and order.number in row.subject


def test_role_only_rows_reach_the_holders_of_the_role_in_the_centre(cast):
    order = drive(cast, new_order(cast, now=now()), "replied", now=now())
    assert kinds(cast.reviewer) == ["reply_to_review"]
    for other in (cast.supervisor, cast.dispatcher, cast.edu, cast.edu_admin, cast.cm):
        assert "reply_to_review" not in kinds(other)
    row = access_notification(cast.reviewer, list_notifications(cast.reviewer, now=now()).get().pk)
    assert row.order_id == order.pk


def test_own_rows_and_unit_rows_for_a_role_not_held(cast):
    queue_notification(kind="review_session", user=cast.panel, subject="第三方评议：三月评议会", now=now())
    queue_notification(
        kind="hotspot_assigned", unit=cast.unit(EDU), roles=(R.UNIT_ADMIN,), subject="预警提示交办", now=now()
    )
    assert kinds(cast.panel) == ["review_session"]
    assert kinds(cast.edu_admin) == ["hotspot_assigned"]
    assert kinds(cast.edu) == []  # a handler of the same unit: not the addressed role
    assert kinds(cast.caoshi_admin) == []  # the role, another unit
    assert kinds(cast.supervisor) == []


def test_sms_and_email_rows_are_never_listed(cast):
    queue_notification(kind="order_created", phone="13800001234", email="a@example.com", subject="受理", now=now())
    assert Outbox.objects.count() == 2
    for u in (cast.operator, cast.dispatcher, cast.sysadmin, cast.edu):
        assert kinds(u) == []


def test_an_inactive_user_sees_nothing(cast):
    dispatched(cast)
    cast.edu.is_active = False
    cast.edu.save()
    cast.edu.__dict__.pop("roles", None)
    assert not visible_notifications(cast.edu).exists()
    assert unread(cast.edu) == 0


def test_warning_sweep_notifies_the_unit_and_the_supervisors(cast):
    # Dispatched five days ago and never signed for: the sign-for limit (one working day) has passed.
    order = dispatched(cast, at=now() - timedelta(days=5))
    Outbox.objects.all().delete()  # the dispatch's rows; only the sweep's are of interest here
    assert A.do_sweep_warnings(now=now()) >= 1
    for u in (cast.edu, cast.edu_admin, cast.supervisor):
        assert "warning_red" in kinds(u), u
        assert unread(u) >= 1
    for u in (cast.cm, cast.leader, cast.dispatcher):
        assert "warning_red" not in kinds(u)
    row = list_notifications(cast.supervisor, now=now(), kind="warning_red").get()
    assert row.order_id == order.pk


# --- one row per notification for people addressed twice ---------------------------------------------------


def test_a_unit_admin_who_is_also_handler_sees_a_dispatch_once(cast):
    both = user("edu_both", [R.HANDLER, R.UNIT_ADMIN], cast.unit(EDU))
    dispatched(cast)
    rows = Outbox.objects.filter(kind="dispatched", recipient_unit=cast.unit(EDU))
    assert sorted(rows.values_list("recipient_role", flat=True)) == [R.HANDLER, R.UNIT_ADMIN]
    assert kinds(both) == ["dispatched"]
    assert unread(both) == 1
    first, second = sorted(rows.values_list("pk", flat=True))
    assert access_notification(both, first).pk == first
    with pytest.raises(NotFound):  # the copy is not a notification of its own
        access_notification(both, second)
    do_mark_notification_read(both, first)
    assert unread(both) == 0
    assert unread(cast.edu) == 1 and unread(cast.edu_admin) == 1  # colleagues keep theirs


def test_a_red_warning_addressed_three_ways_is_seen_once(cast):
    chief = user("edu_chief", [R.HANDLER, R.UNIT_ADMIN, R.SUPERVISOR], cast.unit(EDU))
    dispatched(cast, at=now() - timedelta(days=5))
    A.do_sweep_warnings(now=now())
    assert Outbox.objects.filter(kind="warning_red").count() == 3
    assert kinds(chief).count("warning_red") == 1
    body = client_for(chief).get(API, {"kind": "warning_red"}).json()
    assert body["meta"]["total"] == 1 and len(body["items"]) == 1


def test_two_orders_at_the_same_instant_are_two_notifications(cast):
    both = user("edu_both2", [R.HANDLER, R.UNIT_ADMIN], cast.unit(EDU))
    at = now()
    dispatched(cast, at=at, subject="甲事项")
    dispatched(cast, at=at, subject="乙事项")
    assert kinds(both) == ["dispatched", "dispatched"]
    assert unread(both) == 2


# --- read state ---------------------------------------------------------------------------------------------


def test_reading_a_unit_notification_is_per_user(cast):
    colleague = user("edu_2", [R.HANDLER], cast.unit(EDU))
    dispatched(cast)
    row = list_notifications(cast.edu, now=now()).get()
    assert row.unread and row.recipient_unit_id == cast.unit(EDU).pk
    assert list_notifications(colleague, now=now()).get().pk == row.pk  # the same shared row
    do_mark_notification_read(cast.edu, row.pk)
    assert unread(cast.edu) == 0
    assert unread(colleague) == 1 and unread(cast.edu_admin) == 1
    assert not list_notifications(cast.edu, now=now()).get().unread
    assert list_notifications(colleague, now=now()).get().unread
    do_mark_notification_read(cast.edu, row.pk)  # again: nothing more is written
    assert NotificationReceipt.objects.filter(user=cast.edu).count() == 1


def test_reading_a_role_only_notification_is_per_user(cast):
    second = user("reviewer_2", [R.REVIEWER], cast.reviewer.unit)
    drive(cast, new_order(cast, now=now()), "replied", now=now())
    row = list_notifications(cast.reviewer, now=now()).get()
    assert row.recipient_unit_id is None and row.recipient_user_id is None
    do_mark_notification_read(second, row.pk)
    assert unread(second) == 0 and unread(cast.reviewer) == 1
    do_mark_all_notifications_read(cast.reviewer)
    assert unread(cast.reviewer) == 0
    assert list(NotificationReceipt.objects.values_list("user_id", flat=True)) == [second.pk]


def test_reading_a_row_one_does_not_see_is_not_found(cast):
    dispatched(cast)
    row = list_notifications(cast.edu, now=now()).get()
    for outsider in (cast.cm, cast.reviewer):
        with pytest.raises(NotFound):
            do_mark_notification_read(outsider, row.pk)
    with pytest.raises(NotFound):
        do_mark_notification_read(cast.edu, 10**9)
    assert not NotificationReceipt.objects.exists()


def test_mark_all_read_moves_the_watermark_up_to_what_was_seen(cast):
    dispatched(cast, subject="第一件")
    dispatched(cast, subject="第二件")
    seen = list_notifications(cast.edu, now=now()).first()
    do_mark_notification_read(cast.edu, seen.pk)  # a receipt, then covered by the watermark
    later = dispatched(cast, subject="第三件")  # arrived after the page was built
    mark = do_mark_all_notifications_read(cast.edu, up_to=seen.pk)
    assert mark == seen.pk
    assert not NotificationReceipt.objects.filter(user=cast.edu).exists()
    assert [r.order_id for r in list_notifications(cast.edu, now=now(), unread=True)] == [later.pk]
    assert unread(cast.edu_admin) == 3  # a colleague's state is untouched
    assert do_mark_all_notifications_read(cast.edu) > mark
    assert unread(cast.edu) == 0
    kept = do_mark_all_notifications_read(cast.edu, up_to=1)  # never backwards
    assert kept == NotificationWatermark.objects.get(user=cast.edu).read_through > mark
    assert unread(cast.edu) == 0


def test_notifications_older_than_30_days_do_not_count_as_unread(cast):
    old = dispatched(cast, at=now() - timedelta(days=31), subject="旧事项")
    new = dispatched(cast, subject="新事项")
    rows = list(list_notifications(cast.edu, now=now()))
    assert [(r.order_id, r.unread) for r in rows] == [(new.pk, True), (old.pk, False)]
    assert unread(cast.edu) == 1
    # A new colleague joins the unit: the old notification is listed as read, the new one unread.
    newcomer = user("edu_new", [R.HANDLER], cast.unit(EDU))
    assert [(r.order_id, r.unread) for r in list_notifications(newcomer, now=now())] == [
        (new.pk, True),
        (old.pk, False),
    ]
    assert unread(newcomer) == 1


# --- the page -----------------------------------------------------------------------------------------------


def test_the_page_lists_newest_first_with_markers_labels_and_order_links(cast):
    first = dispatched(cast, at=now() - timedelta(minutes=5), subject="路灯不亮")
    second = dispatched(cast, subject="井盖缺失")
    A.do_supervise_order(cast.supervisor, second.pk, level="supervise", note="请加快", now=now())
    c = client_for(cast.edu)
    resp = c.get(reverse("notifications:list"))
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "新派单" in page and "督办" in page
    items = resp.context["items"]
    assert [i.row.kind for i in items] == ["supervise", "dispatched", "dispatched"]
    assert [i.order_id for i in items] == [second.pk, second.pk, first.pk]
    assert page.count('data-testid="unread-marker"') == 3
    assert reverse("consoles:order", args=[first.pk]) in page
    assert 'class="bell"' in page and 'data-testid="notification-count">3<' in page
    assert page.count('name="csrfmiddlewaretoken"') >= 1 + 3 + 3  # mark all, open, mark read


def test_the_page_in_english_renders_labels_and_templated_texts_in_english(cast):
    order = dispatched(cast)
    page = client_for(cast.edu).get(reverse("notifications:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "New dispatch" in page and f"New order to sign for {order.number}" in page
    assert "新派单" not in page
    api = client_for(cast.edu).get(API, HTTP_ACCEPT_LANGUAGE="en").json()["items"][0]
    assert api["kind_label"] == "New dispatch" and api["subject"].startswith("New order to sign for")


def test_the_page_filters_unread_and_kind(cast):
    dispatched(cast)
    order = dispatched(cast, subject="第二件")
    A.do_supervise_order(cast.supervisor, order.pk, level="remind", now=now())
    row = list_notifications(cast.edu, now=now(), kind="dispatched").first()
    do_mark_notification_read(cast.edu, row.pk)
    c = client_for(cast.edu)
    unread_items = c.get(reverse("notifications:list"), {"show": "unread"}).context["items"]
    assert sorted(i.row.kind for i in unread_items) == ["dispatched", "remind"]
    assert all(i.unread for i in unread_items)
    only = c.get(reverse("notifications:list"), {"kind": "remind"})
    assert [i.row.kind for i in only.context["items"]] == ["remind"]
    assert "催办" in only.content.decode()
    assert c.get(reverse("notifications:list"), {"kind": "no-such-kind"}).context["params"]["kind"] == ""


def test_the_page_shows_no_link_to_an_order_the_reader_may_not_see(cast):
    order = dispatched(cast)  # to 区教育局
    queue_notification(kind="redo", unit=cast.unit(CM), roles=(R.HANDLER,), order=order, subject="旁单位", now=now())
    c = client_for(cast.cm)
    resp = c.get(reverse("notifications:list"))
    (item,) = resp.context["items"]
    assert item.order_id is None
    assert reverse("consoles:order", args=[order.pk]) not in resp.content.decode()
    resp = c.post(reverse("notifications:open", args=[item.row.pk]))
    assert resp.status_code == 302 and resp["Location"] == reverse("notifications:list")


def test_empty_states(cast):
    c = client_for(cast.leader)
    page = c.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="notification-empty"' in page and "暂无通知" in page
    assert 'data-testid="notification-count"' not in page  # the bell shows no zero
    page = c.get(reverse("notifications:list"), {"show": "unread"}).content.decode()
    assert "没有未读通知" in page


def test_mark_read_open_and_mark_all_read_through_the_page(cast):
    order = dispatched(cast)
    dispatched(cast, subject="第二件")
    c = client_for(cast.edu)
    items = c.get(reverse("notifications:list")).context["items"]
    back = reverse("notifications:list") + "?show=unread"
    resp = c.post(reverse("notifications:read", args=[items[0].row.pk]), {"next": back})
    assert resp.status_code == 302 and resp["Location"] == back
    assert unread(cast.edu) == 1
    target = next(i for i in items if i.order_id == order.pk)
    resp = c.post(reverse("notifications:open", args=[target.row.pk]))
    assert resp.status_code == 302 and resp["Location"] == reverse("consoles:order", args=[order.pk])
    assert unread(cast.edu) == 0
    dispatched(cast, subject="第三件")
    resp = c.get(reverse("notifications:list"))
    up_to = resp.context["up_to"]
    dispatched(cast, subject="第四件")  # arrives after the page was built
    resp = c.post(reverse("notifications:read_all"), {"up_to": up_to, "next": "https://evil.example/"})
    assert resp.status_code == 302 and resp["Location"] == reverse("notifications:list")  # never off-site
    assert unread(cast.edu) == 1
    assert unread(cast.edu_admin) == 4


def test_state_changes_are_post_only(cast):
    dispatched(cast)
    row = list_notifications(cast.edu, now=now()).get()
    c = client_for(cast.edu)
    for url in (
        reverse("notifications:read", args=[row.pk]),
        reverse("notifications:open", args=[row.pk]),
        reverse("notifications:read_all"),
    ):
        assert c.get(url).status_code == 405
    assert unread(cast.edu) == 1
    assert c.post(reverse("notifications:read", args=[10**9])).status_code == 404


def test_forms_need_the_csrf_token(cast):
    dispatched(cast)
    row = list_notifications(cast.edu, now=now()).get()
    c = client_for(cast.edu, enforce_csrf_checks=True)
    assert c.post(reverse("notifications:read", args=[row.pk])).status_code == 403
    assert c.post(reverse("notifications:read_all")).status_code == 403
    assert unread(cast.edu) == 1
    page = c.get(reverse("notifications:list"))
    token = page.cookies["csrftoken"].value
    resp = c.post(reverse("notifications:read", args=[row.pk]), {"csrfmiddlewaretoken": token})
    assert resp.status_code == 302
    assert unread(cast.edu) == 0


def test_the_page_needs_a_login(cast):
    resp = Client().get(reverse("notifications:list"))
    assert resp.status_code == 302 and reverse("consoles:login") in resp["Location"]
    assert Client().post(reverse("notifications:read_all")).status_code == 302


def test_a_notification_shows_no_more_of_an_order_than_the_reader_may_see(cast):
    """A whistle-blower order is restricted to the confidential roles; a notification about it that reaches
    someone else (here a role-only row to the operators) keeps its kind and time but not its text."""
    at = now()
    secret = new_order(cast, now=at, actor=cast.dispatcher, request_type="report", subject="举报某科室负责人收受礼金")
    plain = new_order(cast, now=at, actor=cast.dispatcher, subject="小区路灯不亮")
    for order in (secret, plain):
        queue_notification(
            kind="remind", roles=(R.OPERATOR,), order=order, subject=f"催办 {order.subject}", body=order.subject, now=at
        )
    c = client_for(cast.operator)
    page = c.get(reverse("notifications:list")).content.decode()
    assert "收受礼金" not in page and secret.number not in page
    assert "涉及您无权查看的工单" in page or "About an order you may not see" in page
    assert "小区路灯不亮" in page and plain.number in page
    items = {i["order"]["number"] if i["order"] else None: i for i in c.get(API).json()["items"]}
    assert items[None]["subject"] != f"催办 {secret.subject}" and items[None]["body"] == ""
    assert "收受礼金" not in str(items)
    assert items[plain.number]["subject"] == f"催办 {plain.subject}" and items[plain.number]["body"] == plain.subject
    # The confidential roles see it whole.
    queue_notification(kind="remind", roles=(R.DISPATCHER,), order=secret, subject="催办 举报件", now=at)
    assert secret.number in client_for(cast.dispatcher).get(reverse("notifications:list")).content.decode()


# --- the bell -----------------------------------------------------------------------------------------------


def test_the_bell_counts_unread_and_caps_at_99_plus(cast):
    at = now()
    for i in range(3):
        queue_notification(kind="review_session", user=cast.panel, subject=f"评议会 {i}", now=at)
    c = client_for(cast.panel)
    page = c.get(reverse("consoles:home")).content.decode()
    assert 'data-testid="notification-bell"' in page and 'data-testid="notification-count">3<' in page
    for i in range(120):
        queue_notification(kind="review_session", user=cast.panel, subject=f"更多评议会 {i}", now=at)
    page = c.get(reverse("consoles:home")).content.decode()
    assert 'data-testid="notification-count">99+<' in page
    do_mark_all_notifications_read(cast.panel)
    page = c.get(reverse("consoles:home")).content.decode()
    assert 'data-testid="notification-count"' not in page and 'data-testid="notification-bell"' in page


def test_the_list_page_and_api_queries_do_not_grow_with_rows(cast):
    """The page and the API list cost the same number of queries for 2 notifications as for 12 (the
    orders behind a page are looked up in one query, whatever the page holds)."""
    c = client_for(cast.edu)

    def queries(url):
        c.get(url)  # warm the session and the policy caches
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        dispatched(cast)
    few = (queries(reverse("notifications:list")), queries(API))
    for _ in range(10):
        dispatched(cast)
    assert len(c.get(API).json()["items"]) == 12
    assert (queries(reverse("notifications:list")), queries(API)) == few


def test_the_bell_costs_one_capped_query_per_page_and_none_per_partial(cast):
    dispatched(cast)
    c = client_for(cast.edu)
    c.get(reverse("consoles:home"))
    with CaptureQueriesContext(connection) as full:
        c.get(reverse("consoles:home"))
    outbox = [q["sql"] for q in full.captured_queries if "notifications_outbox" in q["sql"]]
    assert len(outbox) == 1 and "COUNT(" in outbox[0].upper() and "LIMIT 100" in outbox[0].upper()
    with CaptureQueriesContext(connection) as partial:
        c.get(reverse("consoles:orders"), HTTP_HX_REQUEST="true")
    assert not [q for q in partial.captured_queries if "notifications_outbox" in q["sql"]]


def test_an_open_page_polls_the_bell_and_sees_new_notifications(cast):
    dispatched(cast)
    c = client_for(cast.edu)
    page = c.get(reverse("consoles:home")).content.decode()
    bell_url = reverse("notifications:bell")
    assert f'hx-get="{bell_url}"' in page and 'hx-trigger="every 60s' in page  # the top bar polls
    bell = c.get(bell_url, HTTP_HX_REQUEST="true")
    assert bell.status_code == 200
    html = bell.content.decode()
    assert html.startswith('<a class="bell"') and 'data-testid="notification-count">1<' in html
    assert f'hx-get="{bell_url}"' in html  # the swapped-in bell keeps polling
    dispatched(cast, subject="又一件新工单")  # arrives while the page stays open
    assert 'data-testid="notification-count">2<' in c.get(bell_url, HTTP_HX_REQUEST="true").content.decode()
    # Polled from the notification list itself, the bell stays marked as the current page.
    current = c.get(
        bell_url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/notifications/?show=unread"
    )
    assert 'aria-current="page"' in current.content.decode()
    assert (
        "aria-current"
        not in c.get(bell_url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/inbox/").content.decode()
    )


def test_the_polled_bell_after_the_session_ended_swaps_nothing(cast):
    resp = Client().get(reverse("notifications:bell"), HTTP_HX_REQUEST="true")
    assert resp.status_code == 204 and resp.content == b""
    assert client_for(cast.edu).post(reverse("notifications:bell")).status_code == 405


# --- the API ------------------------------------------------------------------------------------------------


def test_api_list_count_read_and_read_all(cast):
    order = dispatched(cast)
    A.do_supervise_order(cast.supervisor, order.pk, level="remind", now=now())
    c = client_for(cast.edu)
    body = c.get(API).json()
    assert body["meta"] == {"page": 1, "page_size": 50, "total": 2, "pages": 1, "capped": False}
    assert [i["kind"] for i in body["items"]] == ["remind", "dispatched"]
    item = body["items"][1]
    assert item["kind_label"] == "新派单" and item["unread"] is True
    assert item["order"] == {"id": order.pk, "number": order.number}
    assert c.get(API + "/unread-count").json() == {"count": 2, "capped": False}
    assert [i["kind"] for i in c.get(API, {"kind": "remind"}).json()["items"]] == ["remind"]
    read = c.post(f"{API}/{item['id']}/read", content_type="application/json")
    assert read.status_code == 200 and read.json()["unread"] is False and read.json()["id"] == item["id"]
    assert [i["kind"] for i in c.get(API, {"unread": "true"}).json()["items"]] == ["remind"]
    assert [i["kind"] for i in c.get(API, {"unread": "false"}).json()["items"]] == ["dispatched"]
    assert client_for(cast.edu_admin).get(API + "/unread-count").json()["count"] == 2
    done = c.post(API + "/read-all", {}, content_type="application/json").json()
    assert done["unread"] == 0 and done["read_through"] >= item["id"]
    assert c.get(API + "/unread-count").json() == {"count": 0, "capped": False}
    assert c.post(API + "/read-all", content_type="application/json").status_code == 200  # no body at all


def test_api_hides_other_peoples_rows(cast):
    dispatched(cast)
    row = list_notifications(cast.edu, now=now()).get()
    for outsider in (cast.cm, cast.reviewer):
        resp = client_for(outsider).post(f"{API}/{row.pk}/read", content_type="application/json")
        assert resp.status_code == 404 and resp["Content-Type"].startswith("application/problem+json")
        assert client_for(outsider).get(API).json()["items"] == []
    assert client_for(cast.edu).post(f"{API}/{10**9}/read", content_type="application/json").status_code == 404
    assert unread(cast.edu) == 1


def test_api_needs_authentication_and_post(cast):
    assert Client().get(API).status_code == 401
    assert Client().get(API + "/unread-count").status_code == 401
    c = client_for(cast.edu)
    assert c.get(API + "/read-all").status_code == 405
    csrf = client_for(cast.edu, enforce_csrf_checks=True)
    assert csrf.post(API + "/read-all", {}, content_type="application/json").status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_bells_count_is_never_prepared(cast):
    """A prepared count would get a generic plan that scans the whole outbox once the user has read
    everything (decision 0024): the count runs unprepared, and the connection's setting is restored."""
    from yihaotong.core.db import prepares_statements

    if not prepares_statements("default"):
        pytest.skip("this database URL switches prepared statements off")
    dispatched(cast)
    for _ in range(8):
        assert count_unread(cast.edu, now=now()) == 1
    threshold = connection.connection.prepare_threshold
    assert threshold is not None
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%COUNT(*)%outbox%"])
        assert c.fetchone()[0] == 0
