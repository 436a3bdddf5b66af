"""Which screens each role reaches from the navigation bar (the screens check permissions themselves)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from yihaotong.accounts import roles as R

# (url name, label, roles that see the link)
NAV = [
    ("consoles:home", _("Home"), None),
    ("consoles:orders", _("Work orders"), set(R.ALL_ROLES) - {R.PANEL_MEMBER, R.KB_EDITOR}),
]


def nav_for(user) -> list[tuple[str, str]]:
    roles = getattr(user, "roles", frozenset())
    return [(name, label) for name, label, allowed in NAV if allowed is None or roles & allowed]
