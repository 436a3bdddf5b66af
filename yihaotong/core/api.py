"""Shared API pieces: authentication, problem responses, pagination."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth

from .db import custom_plans


class TokenAuth(HttpBearer):
    """Bearer tokens of service accounts (stored hashed; revocable)."""

    def authenticate(self, request: HttpRequest, token: str):
        from yihaotong.accounts.actions import authenticate_token

        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """Django sessions of staff, with CSRF checked on unsafe methods."""

    def __call__(self, request: HttpRequest):
        # Without a logged-in session there is nothing to forge: answer 401 (not a CSRF 403) to anonymous calls.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        if user is not None and user.is_active:
            return user
        return None


AUTH = [TokenAuth(), StaffSessionAuth()]


class Problem(Schema):
    """RFC 7807 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] = {}


def problem(status: int, code: str, title: str, detail: str, errors: dict | None = None, **extra) -> dict:
    body = {"type": f"https://yihaotong.example/problems/{code}", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if isinstance(v, (str, int, float, bool))})
    return body


def paginate(qs, page, page_size: int, *, max_size: int = 200, count_cap: int | None = None):
    """Return (items, meta) for a page of a queryset; meta has page, page_size, total, pages, capped.

    With ``count_cap`` the total is counted only up to that many rows (``capped`` says there are more):
    an exact COUNT of a million visible orders costs more than the page itself, and nobody pages that far.
    A page number that is not a positive integer means the first page.
    """
    page_size = max(1, min(int(page_size or 50), max_size))
    try:
        page = max(1, int(page or 1))
    except (TypeError, ValueError):
        page = 1
    with custom_plans(qs.db):  # the same SQL selects a handful or half a million rows: plan each call
        if count_cap is None:
            total, capped = qs.count(), False
        else:
            total = qs.order_by()[: count_cap + 1].count()
            capped = total > count_cap
            total = min(total, count_cap)
        items = list(qs[(page - 1) * page_size : page * page_size])
    pages = (total + page_size - 1) // page_size
    return items, {"page": page, "page_size": page_size, "total": total, "pages": pages, "capped": capped}
