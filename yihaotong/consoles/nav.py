"""Which screens each role reaches from the navigation bar (the screens check permissions themselves)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from yihaotong.accounts import roles as R

STAFF = set(R.ALL_ROLES) - {R.PANEL_MEMBER, R.KB_EDITOR}

# (url name, label, roles that see the link); screens not built yet are skipped.
NAV = [
    ("consoles:home", _("Home"), None),
    ("consoles:desk", _("Intake desk"), {R.OPERATOR, R.DISPATCHER}),
    ("consoles:queue", _("Dispatch queue"), {R.DISPATCHER}),
    ("consoles:inbox", _("Unit inbox"), {R.HANDLER, R.UNIT_ADMIN}),
    ("consoles:review", _("Review"), {R.REVIEWER, R.DISPATCHER}),
    ("consoles:callbacks", _("Callbacks"), {R.CALLBACK_AGENT}),
    ("consoles:supervision", _("Supervision"), {R.SUPERVISOR, R.LEADER}),
    ("telephony:calls", _("Missed calls"), {R.OPERATOR, R.DISPATCHER, R.CALLBACK_AGENT}),
    ("letters:list", _("Letters"), {R.OPERATOR, R.DISPATCHER}),
    ("consoles:orders", _("Work orders"), STAFF),
    ("consoles:kb", _("Knowledge base"), STAFF | {R.KB_EDITOR}),
    ("channels:transfers", _("Transfers"), {R.OPERATOR, R.DISPATCHER}),
    ("webhooks:subscriptions", _("Webhooks"), {R.SYSADMIN}),
    ("analytics:dashboard", _("Dashboard"), {R.LEADER, R.SUPERVISOR, R.SYSADMIN, R.DISPATCHER}),
    ("analytics:unit", _("Unit figures"), {R.UNIT_ADMIN}),
    ("feedback:sessions", _("Third-party review"), {R.SUPERVISOR, R.REVIEWER, R.PANEL_MEMBER}),
    ("feedback:rectifications", _("Rectifications"), {R.HANDLER, R.UNIT_ADMIN}),
    ("feedback:publications", _("Publications"), {R.REVIEWER, R.SUPERVISOR}),
]


def nav_for(user) -> list[tuple[str, str]]:
    roles = getattr(user, "roles", frozenset())
    items = []
    for name, label, allowed in NAV:
        if allowed is not None and not roles & allowed:
            continue
        try:
            reverse(name)
        except NoReverseMatch:
            continue
        items.append((name, label))
    return items


class UnreadBadge:
    """The bell of the top bar: the user's unread notifications, counted once when the template asks
    (notifications.selectors.count_unread, capped), shown as "99+" beyond 99."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        from django.utils import timezone

        from yihaotong.notifications.selectors import BELL_CAP, count_unread

        return count_unread(self.user, now=timezone.now(), cap=BELL_CAP)

    @property
    def label(self) -> str:
        return "99+" if self.count > 99 else str(self.count)


def unread_badge(user) -> UnreadBadge:
    return UnreadBadge(user)
