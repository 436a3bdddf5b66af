"""Notification texts come from one template per kind, in the recipient's language."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import T0, order_input
from yihaotong.notifications.actions import do_set_recipient_language
from yihaotong.notifications.delivery import deliver_outbox
from yihaotong.notifications.models import Outbox, RecipientLanguage
from yihaotong.notifications.templates import TEMPLATES, render
from yihaotong.workorders import actions as A

CTX = {"number": "QY20260309-0001", "code": "123456", "due": "2026-03-20", "subject": "夜间施工噪音"}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_renders_in_chinese_and_english(key):
    kind, ctx = key, dict(CTX)
    if key.startswith("review_result_"):
        kind, ctx["variant"] = "review_result", key.removeprefix("review_result_")
    zh, en = render(kind, ctx, "zh-hans"), render(kind, ctx, "en")
    assert zh and en and zh != en
    assert CTX["number"] in zh and CTX["number"] in en
    assert not any("a" <= ch <= "z" for ch in zh.replace(CTX["number"], "").lower()), zh  # really translated


def test_unknown_kind_or_missing_context_keeps_the_actions_text():
    assert render("no_such_kind", CTX) is None
    assert render("order_created", {"number": "QY1"}) is None  # the code is missing: no half-filled text
    assert render("order_created", None) is None


@pytest.mark.django_db
def test_the_sms_of_an_order_is_written_in_the_requesters_language(cast, gateway):
    do_set_recipient_language("13900001111", "en")
    en_order, en_code = A.do_create_order(cast.operator, order_input(requester_phone="13900001111"), now=T0)
    zh_order, zh_code = A.do_create_order(cast.operator, order_input(requester_phone="13900002222"), now=T0)
    row = Outbox.objects.get(order=en_order, channel="sms")
    assert row.payload["ctx"] == {"number": en_order.number, "code": en_code}
    deliver_outbox(now=timezone.now())
    (english,) = gateway.to("13900001111")
    (chinese,) = gateway.to("13900002222")
    assert f"registered as order {en_order.number}, query code {en_code}" in english
    assert f"工单号{zh_order.number}，查询码{zh_code}" in chinese


@pytest.mark.django_db
def test_going_back_to_the_default_language_removes_the_preference():
    do_set_recipient_language("13900001111", "en")
    assert RecipientLanguage.objects.get().language == "en"
    do_set_recipient_language("13900001111", "zh-hans")
    do_set_recipient_language("13900003333", "fr")  # not one of ours: nothing stored
    assert not RecipientLanguage.objects.exists()
