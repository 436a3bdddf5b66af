"""API keys: issued and revoked by system administrators (admin, command, action), stored hashed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from yihaotong.accounts.actions import do_create_user
from yihaotong.core.errors import Invalid, NotPermitted
from yihaotong.open311.actions import authenticate_api_key, do_issue_api_key, do_revoke_api_key
from yihaotong.open311.models import ApiClient, hash_key

from .conftest import post


def minimal(key: str) -> dict:
    return {"api_key": key, "service_code": "suggest", "address_string": "草市街1号", "description": "建议增设座椅。"}


def test_keys_are_hashed_and_each_client_has_its_own_service_account(cast):
    client, raw = do_issue_api_key(cast.sysadmin, name="随手拍", note="区融媒体中心的小程序")
    assert raw.startswith("o311_") and client.key_hash == hash_key(raw) and raw not in str(client.__dict__)
    assert client.account.is_service and client.account.has_role("integration")
    assert client.account.display_name == "Open311 · 随手拍"
    other, _raw = do_issue_api_key(cast.sysadmin, name="网格员App")
    assert other.account != client.account
    assert authenticate_api_key(raw) == client
    assert authenticate_api_key(raw + "x") is None
    do_revoke_api_key(cast.sysadmin, client.pk)
    assert authenticate_api_key(raw) is None


def test_only_system_administrators_issue_and_revoke(cast):
    with pytest.raises(NotPermitted):
        do_issue_api_key(cast.operator, name="x")
    client, _raw = do_issue_api_key(cast.sysadmin, name="x")
    with pytest.raises(NotPermitted):
        do_revoke_api_key(cast.dispatcher, client.pk)
    with pytest.raises(Invalid) as exc:
        do_issue_api_key(cast.sysadmin, name="x")
    assert "name" in exc.value.errors
    with pytest.raises(Invalid):
        do_issue_api_key(cast.sysadmin, name="  ")
    assert ApiClient.objects.count() == 1


def test_admin_issues_a_key_once_and_revokes_it(cast):
    admin = do_create_user(username="root", password="pw-root-1", roles=[], is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    assert browser.get("/admin/open311/apiclient/add/").status_code == 200
    response = browser.post("/admin/open311/apiclient/add/", {"name": "随手拍", "note": "测试"}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    key = text[text.index("o311_") :].split("<")[0].split()[0].strip()
    client = ApiClient.objects.get(name="随手拍")
    assert client.key_hash == hash_key(key) and client.created_by == admin
    assert post(Client(), minimal(key)).status_code == 200
    # The key is not shown again.
    assert key not in browser.get(f"/admin/open311/apiclient/{client.pk}/change/").content.decode()
    browser.post("/admin/open311/apiclient/", {"action": "revoke", "_selected_action": [client.pk]}, follow=True)
    client.refresh_from_db()
    assert client.revoked_at is not None and client.revoked_by == admin
    assert post(Client(), minimal(key)).status_code == 403


def test_command_issues_lists_and_revokes(cast):
    out = io.StringIO()
    call_command("open311_key", "issue", "网格员App", "--by", "sysadmin", stdout=out)
    key = out.getvalue().strip().split(": ", 1)[1]
    assert authenticate_api_key(key).name == "网格员App"
    out = io.StringIO()
    call_command("open311_key", "list", stdout=out)
    assert "网格员App" in out.getvalue() and "active" in out.getvalue()
    call_command("open311_key", "revoke", "网格员App", "--by", "sysadmin", stdout=io.StringIO())
    assert authenticate_api_key(key) is None


def test_admin_staff_without_the_sysadmin_role_cannot_revoke(cast):
    from django.contrib.auth.models import Permission

    client, key = do_issue_api_key(cast.sysadmin, name="随手拍")
    staff = do_create_user(username="clerk", password="pw-clerk-1", roles=["operator"], is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="open311"))
    browser = Client()
    browser.force_login(staff)
    response = browser.post(
        "/admin/open311/apiclient/", {"action": "revoke", "_selected_action": [client.pk]}, follow=True
    )
    assert "只有系统管理员可以签发和吊销 Open311 密钥。" in response.content.decode()
    client.refresh_from_db()
    assert client.revoked_at is None and authenticate_api_key(key) == client
    assert browser.post("/admin/open311/apiclient/add/", {"name": "x"}).status_code == 403
    assert not ApiClient.objects.filter(name="x").exists()
