from __future__ import annotations

import pytest

from tests.factories import cast_for_module
from yihaotong.kb.search import invalidate_index
from yihaotong.notifications.fakegateway import FakeSmsGateway


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as cast:
        yield cast


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.fixture(autouse=True)
def _fresh_index(settings):
    settings.KB_INDEX_POLL_SECONDS = 0
    invalidate_index()
    yield
    invalidate_index()


@pytest.fixture
def gateway(settings):
    gw = FakeSmsGateway(key="k-portal", secret="s-portal").start()
    settings.SMS_GATEWAY_URL = gw.url
    settings.SMS_GATEWAY_KEY = "k-portal"
    settings.SMS_GATEWAY_SECRET = "s-portal"
    yield gw
    gw.stop()
