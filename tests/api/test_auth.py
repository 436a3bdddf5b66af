"""Authentication: sessions with CSRF for staff, hashed revocable bearer tokens for service accounts."""

from __future__ import annotations

from django.conf import settings
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from yihaotong.accounts.actions import do_issue_token, do_revoke_token
from yihaotong.accounts.models import ApiToken
from yihaotong.workorders.models import WorkOrder

from .conftest import API, assert_problem, ok

NOTE = {"text": "客户来电补充说明"}


def _csrf_client(user) -> Client:
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    return c


def _with_csrf_cookie(c: Client) -> str:
    """Give the client a CSRF cookie the way a page would; return the token to send in the header."""
    request = RequestFactory().get("/")
    token = get_token(request)
    c.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    return token


def test_no_credentials_is_401_problem(api):
    assert_problem(Client().get(f"{API}/orders"), 401, "unauthenticated")
    assert_problem(Client().get(f"{API}/accounts/me"), 401, "unauthenticated")


def test_no_credentials_post_is_401_even_when_csrf_is_enforced(api, make_order):
    order = make_order()
    resp = Client(enforce_csrf_checks=True).post(
        f"{API}/orders/{order.pk}/notes", NOTE, content_type="application/json"
    )
    assert_problem(resp, 401, "unauthenticated")


def test_session_login_works_for_get(api):
    c = _csrf_client(api.cast.edu)
    me = ok(c.get(f"{API}/accounts/me"))
    assert me == {
        "id": api.cast.edu.pk,
        "username": "edu",
        "display_name": "edu",
        "roles": ["handler"],
        "unit": "QY-D-EDU",
        "is_service": False,
    }


def test_session_post_without_csrf_token_is_403_and_writes_nothing(api, make_order):
    order = make_order()
    c = _csrf_client(api.cast.operator)
    _with_csrf_cookie(c)  # cookie but no header: still refused
    before = order.events.count()
    resp = c.post(f"{API}/orders/{order.pk}/notes", NOTE, content_type="application/json")
    assert_problem(resp, 403)
    assert "CSRF" in resp.json()["detail"]
    assert order.events.count() == before


def test_session_post_with_csrf_token_succeeds(api, make_order):
    order = make_order()
    c = _csrf_client(api.cast.operator)
    token = _with_csrf_cookie(c)
    resp = c.post(
        f"{API}/orders/{order.pk}/notes", NOTE, content_type="application/json", headers={"X-CSRFToken": token}
    )
    body = ok(resp, 201)
    assert body["kind"] == "note"
    assert order.notes.get().text == NOTE["text"]


def test_inactive_session_user_is_401(api):
    c = _csrf_client(api.cast.edu)
    api.cast.edu.is_active = False
    api.cast.edu.save(update_fields=["is_active"])
    assert_problem(c.get(f"{API}/accounts/me"), 401, "unauthenticated")


def test_bearer_token_of_service_account(api):
    token, raw = do_issue_token(user=api.cast.integration, name="upstream")
    c = Client(enforce_csrf_checks=True)  # tokens need no CSRF token, even for POST
    auth = {"Authorization": f"Bearer {raw}"}
    me = ok(c.get(f"{API}/accounts/me", headers=auth))
    assert me["username"] == "integration" and me["is_service"] is True and me["roles"] == ["integration"]
    payload = {
        "channel": "transfer",
        "request_type": "consult",
        "subject": "上级转办：咨询",
        "text": "市平台转来的咨询件。",
        "requester_phone": "13900001111",
        "upstream_ref": "SC-2026-0001",
    }
    created = ok(c.post(f"{API}/orders", payload, content_type="application/json", headers=auth), 201)
    order = WorkOrder.objects.get(pk=created["order"]["id"])
    assert order.state == "submitted"  # integrations wait for an operator to accept
    assert order.created_by == api.cast.integration
    assert order.events.get(kind="create").actor == api.cast.integration
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_unknown_bearer_token_is_401(api):
    resp = Client().get(f"{API}/accounts/me", headers={"Authorization": "Bearer yht_not-a-token"})
    assert_problem(resp, 401, "unauthenticated")


def test_revoked_token_is_401(api):
    token, raw = do_issue_token(user=api.cast.integration, name="upstream")
    auth = {"Authorization": f"Bearer {raw}"}
    ok(Client().get(f"{API}/accounts/me", headers=auth))
    do_revoke_token(token_id=token.pk)
    assert_problem(Client().get(f"{API}/accounts/me", headers=auth), 401, "unauthenticated")


def test_token_of_deactivated_account_is_401(api):
    _token, raw = do_issue_token(user=api.cast.integration, name="upstream")
    api.cast.integration.is_active = False
    api.cast.integration.save(update_fields=["is_active"])
    resp = Client().get(f"{API}/accounts/me", headers={"Authorization": f"Bearer {raw}"})
    assert_problem(resp, 401, "unauthenticated")


def test_token_is_stored_hashed(api):
    token, raw = do_issue_token(user=api.cast.integration, name="upstream")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in {str(v) for v in row.values()}
    assert not ApiToken.objects.filter(token_hash=raw).exists()
    assert row["prefix"] == raw[:10] and len(row["token_hash"]) == 64
