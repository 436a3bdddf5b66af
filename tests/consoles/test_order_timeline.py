"""The order page's timeline (translated event names, who acted with their unit, the states moved between)
and its header, which refreshes with the timeline after a panel action."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import EDU, T0, cast_for_module, drive, new_order
from yihaotong.workorders import actions as A


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


def _timeline(page: str) -> str:
    return page.split('id="timeline"')[1].split("</ol>")[0]


def _head(page: str) -> str:
    return page.split('id="order-head"')[1].split("</div>")[0]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_timeline_in_chinese_names_events_people_units_and_states(client, cast):
    cast.dispatcher.display_name = "王派单"
    cast.dispatcher.save(update_fields=["display_name"])
    order = drive(cast, new_order(cast, now=T0), "pending_callback", lead=EDU)
    A.do_supervise_order(cast.supervisor, order.pk, level="remind", note="请尽快回访", now=T0 + timedelta(hours=2))
    client.force_login(cast.supervisor)
    page = client.get(reverse("consoles:order", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    timeline = _timeline(page)
    text = _text(timeline)
    for label in ("创建工单", "派单", "签收", "答复", "答复审核通过", "催办"):
        assert label in text, label
    for code in ("approve_reply", "dispatch", "sign", "remind", "create"):
        assert f"<strong>{code}</strong>" not in timeline  # no raw event codes
    assert "王派单 · " in text  # the actor's display name and unit
    assert "待派单 → 已派单" in text  # the states the dispatch moved between
    assert "请尽快回访" in text
    approve = re.search(r'data-kind="approve_reply".*?</li>', timeline, re.S).group(0)
    assert "答复审核通过" in approve and "reviewer" in approve


def test_timeline_in_english(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress", lead=EDU)
    client.force_login(cast.dispatcher)
    page = client.get(reverse("consoles:order", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    text = _text(_timeline(page))
    assert "Order created" in text and "Dispatched" in text and "Signed for" in text
    assert "Pending dispatch → Dispatched" in text


def test_header_refreshes_with_the_timeline_after_a_panel_action(client, cast):
    order = new_order(cast, now=T0, actor=cast.integration)
    client.force_login(cast.dispatcher)
    url = reverse("consoles:order", args=[order.pk])
    page = client.get(url).content.decode()
    # The timeline listens for the panels' change events and takes the header out of band from the same page.
    timeline_tag = page.split('id="timeline"')[1].split(">")[0]
    assert 'hx-select-oob="#order-head"' in timeline_tag
    assert "yht:order-changed from:body" in timeline_tag and "yihaotong:order-changed from:body" in timeline_tag
    assert 'class="badge submitted"' in _head(page)
    response = client.post(reverse("consoles:centre_action", args=[order.pk, "accept"]), HTTP_HX_REQUEST="true")
    assert response["HX-Trigger"] == "yht:order-changed"
    # What the timeline's request gets back: a header with the new state.
    refreshed = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="timeline").content.decode()
    assert 'class="badge pending_dispatch"' in _head(refreshed)
    assert 'data-kind="accept"' in _timeline(refreshed)
