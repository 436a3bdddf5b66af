"""The portal acts through the real actions as one service account, ``portal`` (decision 0015).

It holds the ``integration`` role (create orders in 待受理, attach photos, count repeat contacts) and
``callback_agent`` (record a citizen's online rating as a callback). The portal reaches an order only
after the citizen proved the order number and its query code; the account has no password and no token.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.accounts.models import User

USERNAME = "portal"
ROLES = (R.INTEGRATION, R.CALLBACK_AGENT)


def portal_actor() -> User:
    """The portal's service account (created on first use)."""
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        try:
            with transaction.atomic():
                user = do_create_user(
                    username=USERNAME, password=None, roles=list(ROLES), display_name="网上门户", is_service=True
                )
        except IntegrityError:
            user = User.objects.get(username=USERNAME)
    return user
