"""Writes to accounts: users, roles, tokens."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from yihaotong.core.errors import Invalid, NotFound

from .models import ApiToken, User, hash_token
from .roles import ALL_ROLES


def do_ensure_role_groups() -> None:
    """Create the group of every role (idempotent)."""
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)


@transaction.atomic
def do_create_user(
    *,
    username: str,
    password: str | None,
    roles: list[str],
    unit=None,
    display_name: str = "",
    is_service: bool = False,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    unknown = set(roles) - set(ALL_ROLES)
    if unknown:
        raise Invalid("Unknown roles", errors={"roles": [f"unknown role: {r}" for r in sorted(unknown)]})
    user = User(
        username=username,
        display_name=display_name,
        unit=unit,
        is_service=is_service,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    do_ensure_role_groups()
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


@transaction.atomic
def do_issue_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for a service account; return the row and the raw token (shown once)."""
    if not user.is_service:
        raise Invalid("Tokens are for service accounts", errors={"user": ["not a service account"]})
    raw = ApiToken.generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], token_hash=hash_token(raw))
    return token, raw


@transaction.atomic
def do_revoke_token(*, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def authenticate_token(raw: str) -> User | None:
    """Return the active service account of a raw token, or None."""
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
