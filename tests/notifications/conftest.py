from __future__ import annotations

import pytest

from yihaotong.notifications.fakegateway import FakeSmsGateway


@pytest.fixture
def gateway(settings):
    """A fake SMS gateway on 127.0.0.1; the settings point the real HTTP adapter at it."""
    gw = FakeSmsGateway(key="k-test", secret="s-test").start()
    settings.SMS_GATEWAY_URL = gw.url
    settings.SMS_GATEWAY_KEY = "k-test"
    settings.SMS_GATEWAY_SECRET = "s-test"
    settings.SMS_SIGN_NAME = "一号通"
    settings.SMS_GATEWAY_TIMEOUT = 5
    yield gw
    gw.stop()
