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
    OPERATOR: _("Operator (话务员)"),
    DISPATCHER: _("Dispatcher (派单员)"),
    HANDLER: _("Handler (承办人)"),
    UNIT_ADMIN: _("Unit admin (单位管理员)"),
    REVIEWER: _("Reviewer (审核员)"),
    CALLBACK_AGENT: _("Callback agent (回访员)"),
    SUPERVISOR: _("Supervisor (督办员)"),
    KB_EDITOR: _("KB editor (知识库管理员)"),
    PANEL_MEMBER: _("Panel member (评议代表)"),
    LEADER: _("Leader / analyst (领导)"),
    SYSADMIN: _("System admin (系统管理员)"),
    INTEGRATION: _("Integration (接口账号)"),
}
ALL_ROLES = tuple(ROLE_LABELS)

# Staff of the centre (中心): they see every order except the restricted ones.
CENTRE_ROLES = frozenset({OPERATOR, DISPATCHER, REVIEWER, CALLBACK_AGENT, SUPERVISOR, LEADER, SYSADMIN, INTEGRATION})
# Roles whose members work inside a handling unit and see only their unit's orders.
UNIT_ROLES = frozenset({HANDLER, UNIT_ADMIN})
