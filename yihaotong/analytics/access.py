"""Who reads which figures (the one rule of the analytics app).

The centre's roles read the district's figures, every unit's and the alerts; leaders, supervisors and the
system admin act on alerts, generate reports and (leaders and the system admin) edit the settings. Members
of a unit (handler, unit admin) read their own unit's dashboard, compared with the district. Lists of orders
behind a figure always go through ``workorders.access.visible_orders``.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core.errors import NotPermitted
from yihaotong.directory.models import Unit

DISTRICT_READERS = frozenset(R.CENTRE_ROLES - {R.OPERATOR})
ALERT_ACTORS = frozenset({R.LEADER, R.SUPERVISOR, R.SYSADMIN, R.DISPATCHER})
SETTINGS_EDITORS = frozenset({R.LEADER, R.SYSADMIN})
# Bulk exports of order lists (decision 0021): the centre's readers of figures and a unit's admin, each over
# the orders they may see. Operators and handlers work order by order and export nothing in bulk.
EXPORTERS = frozenset(DISTRICT_READERS | {R.UNIT_ADMIN})


def _roles(actor) -> frozenset:
    return frozenset(getattr(actor, "roles", frozenset()))


def can_read_district(actor) -> bool:
    return bool(_roles(actor) & DISTRICT_READERS)


def check_read_district(actor) -> None:
    if not can_read_district(actor):
        raise NotPermitted(gettext_noop("Only the centre's staff read the district's figures."))


def can_export(actor) -> bool:
    return bool(_roles(actor) & EXPORTERS)


def check_export(actor) -> None:
    if not can_export(actor):
        raise NotPermitted(gettext_noop("Your role does not export order lists."))


def check_alert_actor(actor) -> None:
    if not _roles(actor) & ALERT_ACTORS:
        raise NotPermitted(gettext_noop("Only leaders, supervisors and dispatchers act on alerts."))


def check_settings_editor(actor) -> None:
    if not _roles(actor) & SETTINGS_EDITORS:
        raise NotPermitted(gettext_noop("Only leaders and the system admin change the analytics settings."))


def readable_unit(actor, code: str = "") -> Unit:
    """The unit whose dashboard ``actor`` reads: their own, or (centre staff) the one asked for."""
    if can_read_district(actor) and code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            from yihaotong.core.errors import NotFound

            raise NotFound(gettext_noop("No such unit."))
        return unit
    if _roles(actor) & R.UNIT_ROLES and getattr(actor, "unit_id", None):
        if code and code != actor.unit.code:
            raise NotPermitted(gettext_noop("A unit reads only its own figures."))
        return actor.unit
    if can_read_district(actor):
        raise NotPermitted(gettext_noop("Choose a unit."))
    raise NotPermitted(gettext_noop("Only units and the centre's staff read these figures."))
