from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user, do_issue_token
from yihaotong.channels.actions import do_save_platform


@pytest.fixture
def present(cast):
    """The API works at the present: the calendar must know this year and the next (provisional if need be)."""
    from yihaotong.worktime.actions import do_set_calendar_year
    from yihaotong.worktime.models import CalendarYear

    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        if not CalendarYear.objects.filter(year=year).exists():
            do_set_calendar_year(year=year, holidays=[], workdays=[], source="test-provisional")
    return cast


@pytest.fixture
def mayor(cast):
    """The mayor's hotline platform with its service account and a raw token."""
    account = do_create_user(
        username="mayor-line", password=None, roles=[R.INTEGRATION], is_service=True, display_name="市长公开电话接口"
    )
    _token, raw = do_issue_token(user=account, name="transfer")
    platform = do_save_platform(code="mayor", name="市长公开电话", account=account)
    platform.raw_token = raw
    return platform


@pytest.fixture
def mailbox(cast):
    account = do_create_user(username="mailbox", password=None, roles=[R.INTEGRATION], is_service=True)
    _token, raw = do_issue_token(user=account, name="transfer")
    platform = do_save_platform(code="mailbox", name="书记信箱", account=account)
    platform.raw_token = raw
    return platform


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def row(**over) -> dict:
    data = {
        "upstream_id": "SZ-2026-0001",
        "subject": "小区门口路灯不亮",
        "text": "测试用诉求：小区门口两盏路灯连续一周不亮，夜间出行不便。",
        "request_type": "求助",
        "category": "URB-01-01",
        "address": "草市街1号",
        "street": "510105002",
        "requester_name": "测试人",
        "requester_phone": "13800001234",
        "upstream_due": "2026-12-20 18:00",
    }
    data.update(over)
    return data


@pytest.fixture
def huey_immediate():
    """Run huey tasks in the calling thread (pytest-django configures Django before the root conftest can
    set HUEY_IMMEDIATE, so the setting alone does not take effect)."""
    from huey.contrib.djhuey import HUEY

    old = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = old
