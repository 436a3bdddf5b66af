"""The admin shows letters and refused mail, read-only; telephony extensions are edited there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yihaotong.letters.actions import do_receive_letter
from yihaotong.letters.conf import MailboxSettings
from yihaotong.letters.mail import parse_message
from yihaotong.telephony.models import Extension

from .messages import letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, cast):
    cast.sysadmin.is_staff = True
    cast.sysadmin.is_superuser = True
    cast.sysadmin.save()
    client.force_login(cast.sysadmin)
    return client


def test_letters_are_shown_read_only(admin_client):
    row, _new = do_receive_letter(parse_message(letter(), MailboxSettings()))
    assert "小区门口路灯坏了" in admin_client.get(reverse("admin:letters_letter_changelist")).content.decode()
    page = admin_client.get(reverse("admin:letters_letter_change", args=[row.pk]))
    assert page.status_code == 200 and "received" in page.content.decode()
    assert admin_client.get(reverse("admin:letters_rejectedmail_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:letters_letter_add")).status_code == 403


def test_an_extension_is_added_in_the_admin(admin_client, cast):
    r = admin_client.post(reverse("admin:telephony_extension_add"), {"number": "8001", "user": cast.operator.pk})
    assert r.status_code == 302
    assert Extension.objects.get(number="8001").user == cast.operator
    assert admin_client.get(reverse("admin:telephony_call_changelist")).status_code == 200
