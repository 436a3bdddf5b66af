"""The admin writes policy data through audited actions and only shows work orders."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import T0, new_order
from yihaotong.audit.models import ConfigChange
from yihaotong.directory.models import HotlineAlias, TimeLimitRule, Unit
from yihaotong.worktime.calendar import calendar_warning
from yihaotong.worktime.checks import local_today
from yihaotong.worktime.models import CalendarYear

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, cast):
    cast.sysadmin.is_staff = True
    cast.sysadmin.is_superuser = True
    cast.sysadmin.save()
    client.force_login(cast.sysadmin)
    return client


def test_time_limit_change_is_audited(admin_client, cast):
    rule = TimeLimitRule.objects.get(request_type__code="consult", urgency__isnull=True)
    url = reverse("admin:directory_timelimitrule_change", args=[rule.pk])
    response = admin_client.post(
        url,
        {
            "request_type": rule.request_type_id,
            "urgency": "",
            "sign_value": 1,
            "sign_unit": "wd",
            "handle_value": 5,
            "handle_unit": "wd",
            "basis": "区政府2026年第1号通知",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]
    rule.refresh_from_db()
    assert rule.handle_value == 5
    change = ConfigChange.objects.get(model="directory.timelimitrule", object_id=str(rule.pk))
    assert change.actor == cast.sysadmin
    assert change.changes["handle_value"] == [3, 5]


def test_unit_created_in_admin_gets_its_path(admin_client, cast):
    parent = cast.unit("QY-D-EDU")
    response = admin_client.post(
        reverse("admin:directory_unit_add"),
        {
            "code": "QY-D-EDU-TEST",
            "name": "测试科",
            "short_name": "",
            "kind": "subunit",
            "parent": parent.pk,
            "duties": "",
            "phone": "",
            "is_active": "on",
            "sort": 0,
            "hotlines-TOTAL_FORMS": 1,
            "hotlines-INITIAL_FORMS": 0,
            "hotlines-MIN_NUM_FORMS": 0,
            "hotlines-MAX_NUM_FORMS": 1000,
            "hotlines-0-number": "65559999",
            "hotlines-0-label": "旧热线",
        },
    )
    assert response.status_code == 302, response.content[:800]
    unit = Unit.objects.get(code="QY-D-EDU-TEST")
    assert unit.path == f"{parent.path}{unit.pk}/"
    assert HotlineAlias.objects.filter(unit=unit, number="65559999").exists()
    assert ConfigChange.objects.filter(model="directory.unit", object_id=str(unit.pk), action="create").exists()


def test_invalid_time_limit_is_refused_with_nothing_written(admin_client):
    before = ConfigChange.objects.count()
    response = admin_client.post(
        reverse("admin:directory_timelimitrule_add"),
        {
            "request_type": "",
            "urgency": "",
            "sign_value": 1,
            "sign_unit": "wd",
            "handle_value": 3,
            "handle_unit": "wd",
            "basis": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert ConfigChange.objects.count() == before


def test_work_orders_are_read_only_in_admin(admin_client, cast):
    order = new_order(cast, now=T0)
    assert admin_client.get(reverse("admin:workorders_workorder_add")).status_code == 403
    page = admin_client.get(reverse("admin:workorders_workorder_change", args=[order.pk]))
    assert page.status_code == 200
    assert order.number in page.content.decode()
    # The requester's contact details are not shown in the admin.
    assert "13800001234" not in page.content.decode()
    delete = admin_client.post(reverse("admin:workorders_workorder_delete", args=[order.pk]), {"post": "yes"})
    assert delete.status_code == 403


def test_calendar_banner_follows_the_known_years(admin_client):
    expected = calendar_warning(local_today(), set(CalendarYear.objects.values_list("year", flat=True)))
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert ('data-testid="calendar-warning"' in page) == (expected is not None)
