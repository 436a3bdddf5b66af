"""Who manages webhooks: the one rule (system admins)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core.errors import NotPermitted


def can_manage(actor) -> bool:
    return bool(getattr(actor, "roles", frozenset()) & {R.SYSADMIN})


def check_can_manage(actor) -> None:
    if not can_manage(actor):
        raise NotPermitted(gettext_noop("Only system admins manage webhooks."))
