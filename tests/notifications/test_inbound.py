"""Citizens reply TD / 退订 to an SMS: the gateway posts the reply to us, signed."""

from __future__ import annotations

import pytest

from yihaotong.notifications.optout import is_opted_out
from yihaotong.notifications.phones import phone_hash

PHONE = "13811112222"


@pytest.fixture
def webhook(live_server):
    return f"{live_server.url}/api/v1/sms/inbound"


@pytest.mark.django_db(transaction=True)
def test_reply_td_opts_out_and_start_opts_in(gateway, webhook):
    assert gateway.reply(webhook, sender=PHONE, text=" TD ") == (200, {"action": "opted_out"})
    assert is_opted_out(phone_hash(PHONE))
    assert gateway.reply(webhook, sender="+86" + PHONE, text="恢复") == (200, {"action": "opted_in"})
    assert not is_opted_out(phone_hash(PHONE))
    assert gateway.reply(webhook, sender=PHONE, text="谢谢") == (200, {"action": "ignored"})


@pytest.mark.django_db(transaction=True)
def test_unsigned_or_forged_replies_are_refused(gateway, webhook, settings):
    settings.SMS_GATEWAY_SECRET = "another-secret"
    status, body = gateway.reply(webhook, sender=PHONE, text="退订")
    assert status == 401 and body["type"].endswith("/bad_signature")
    assert not is_opted_out(phone_hash(PHONE))


@pytest.mark.django_db(transaction=True)
def test_not_a_mobile(gateway, webhook):
    status, _body = gateway.reply(webhook, sender="10086", text="退订")
    assert status == 422
