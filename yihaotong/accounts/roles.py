"""The roles of domain.md §2. A role is a Django group whose name is the role code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

OPERATOR = "operator"
DISPATCHER = "dispatcher"
HANDLER = "handler"
UNIT_ADMIN = "unit_admin"
REVIEWER = "reviewer"
CALLBACK_AGENT = "callback_agent"
SUPERVISOR = "supervisor"
KB_EDITOR = "kb_editor"
PANEL_MEMBER = "panel_member"
LEADER = "leader"
SYSADMIN = "sysadmin"
INTEGRATION = "integration"

ROLE_LABELS = {
    OPERATOR: _("Operator"),
    DISPATCHER: _("Dispatcher"),
    HANDLER: _("Handler"),
    UNIT_ADMIN: _("Unit admin"),
    REVIEWER: _("Reviewer"),
    CALLBACK_AGENT: _("Callback agent"),
    SUPERVISOR: _("Supervisor"),
    KB_EDITOR: _("KB editor"),
    PANEL_MEMBER: _("Panel member"),
    LEADER: _("Leader / analyst"),
    SYSADMIN: _("System admin"),
    INTEGRATION: _("Integration"),
}
ALL_ROLES = tuple(ROLE_LABELS)

# Staff of the centre (中心): they see every order except the restricted ones.
CENTRE_ROLES = frozenset({OPERATOR, DISPATCHER, REVIEWER, CALLBACK_AGENT, SUPERVISOR, LEADER, SYSADMIN, INTEGRATION})
# Roles whose members work inside a handling unit and see only their unit's orders.
UNIT_ROLES = frozenset({HANDLER, UNIT_ADMIN})
