"""Staff console pages: login, role homes, the order list (full page and htmx partial), order detail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CAOSHI, EDU, T0, drive, new_order

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client):
    for name in ["consoles:home", "consoles:orders"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("consoles:login"))


def test_login_with_wrong_password_shows_the_error_and_keeps_the_username(client, cast):
    cast.operator.set_password("right-password-1")
    cast.operator.save()
    response = client.post(reverse("consoles:login"), {"username": "operator", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="operator"' in page
    assert 'class="error"' in page
    ok = client.post(reverse("consoles:login"), {"username": "operator", "password": "right-password-1"})
    assert ok.status_code == 302


def test_logout_is_post_only(client, cast):
    client.force_login(cast.operator)
    assert client.get(reverse("consoles:logout")).status_code == 405
    assert client.post(reverse("consoles:logout")).status_code == 302


def test_handler_home_counts_their_units_work(client, cast):
    order = new_order(cast, now=T0)
    drive(cast, order, "dispatched", lead=EDU)
    new_order(cast, now=T0)  # not dispatched: not the unit's work
    client.force_login(cast.edu)
    page = client.get(reverse("consoles:home")).content.decode()
    assert f"assigned_unit={EDU}" in page
    cards = client.get(reverse("consoles:home")).context["cards"]
    to_sign = [c for c in cards if c.link.startswith(f"assigned_unit={EDU}&state=dispatched")]
    assert to_sign[0].value == 1


def test_dispatcher_home_counts_orders_awaiting_dispatch(client, cast):
    new_order(cast, now=T0)
    new_order(cast, now=T0)
    client.force_login(cast.dispatcher)
    cards = client.get(reverse("consoles:home")).context["cards"]
    assert [c.value for c in cards if c.link == "state=pending_dispatch"] == [2]


def _orders(n, cast):
    return [new_order(cast, now=T0, subject=f"测试工单 {i}") for i in range(n)]


@pytest.mark.parametrize("n", [3, 20])
def test_order_list_query_count_is_constant(client, cast, django_assert_num_queries, n):
    _orders(n, cast)
    client.force_login(cast.dispatcher)
    client.get(reverse("consoles:orders"))  # warm the session and policy caches
    with django_assert_num_queries(9):  # 8 and the top bar's bell (one capped COUNT of unread notifications)
        response = client.get(reverse("consoles:orders"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == n


def test_order_list_htmx_returns_the_rows_partial(client, cast):
    _orders(2, cast)
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:orders"), {"q": "测试工单 1"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page
    assert "测试工单 1" in page and "测试工单 0" not in page


def test_order_list_bad_filter_says_so(client, cast):
    client.force_login(cast.dispatcher)
    page = client.get(reverse("consoles:orders"), {"state": "nonsense"}).content.decode()
    assert "unknown state" in page


def test_units_see_only_their_orders_and_masked_requesters(client, cast):
    mine = drive(cast, new_order(cast, now=T0, subject="本单位工单"), "dispatched", lead=EDU)
    other = drive(cast, new_order(cast, now=T0, subject="别人的工单"), "dispatched", lead=CAOSHI)
    client.force_login(cast.edu)
    page = client.get(reverse("consoles:orders")).content.decode()
    assert "本单位工单" in page and "别人的工单" not in page
    assert "138****1234" in page and "13800001234" not in page
    assert client.get(reverse("consoles:order", args=[mine.pk])).status_code == 200
    assert client.get(reverse("consoles:order", args=[other.pk])).status_code == 404
    assert client.get(reverse("consoles:order", args=[999999])).status_code == 404


def test_order_detail_shows_timeline_and_deadline(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress", lead=EDU)
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:order", args=[order.pk]))
    page = response.content.decode()
    assert order.number in page
    assert "dispatch" in page and "sign" in page
    assert "overdue" in page or "逾期" in page or "已超期" in page  # the March 2026 deadline has passed


def test_language_switch_renders_english(client, cast):
    client.force_login(cast.dispatcher)
    page = client.get(reverse("consoles:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Work orders" in page
    zh = client.get(reverse("consoles:home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "工单" in zh


def test_console_and_portal_pages_name_their_icon(client):
    # Without one every page load asked for /favicon.ico and got a 404 in the log.
    from django.contrib.staticfiles import finders

    assert finders.find("yihaotong/favicon.svg")
    for url in (reverse("consoles:login"), reverse("portal:home")):
        page = client.get(url).content.decode()
        assert 'rel="icon"' in page and "yihaotong/favicon.svg" in page, url
