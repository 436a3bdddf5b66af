"""Shared test cast and builders (our own small data; no shared/data needed).

``cast`` (fixture in conftest): the directory and calendar loaded, one user per role, handlers of a few
units. ``drive(order, to_state)`` walks an order through the real actions to the state asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.accounts.models import User
from yihaotong.directory.actions import do_seed_directory
from yihaotong.directory.models import Unit
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import WorkOrder
from yihaotong.worktime.actions import do_seed_calendar_from_package

TZ = ZoneInfo("Asia/Shanghai")

# A Monday morning in an ordinary working week (no holiday nearby).
T0 = datetime(2026, 3, 9, 9, 0, tzinfo=TZ)

EDU = "QY-D-EDU"  # 区教育局
CM = "QY-D-CM"  # 区综合行政执法局
CAOSHI = "510105002"  # 草市街街道
SHAOCHENG = "510105005"  # 少城街道


@dataclass
class Cast:
    operator: User
    dispatcher: User
    reviewer: User
    callback: User
    supervisor: User
    leader: User
    kb_editor: User
    panel: User
    sysadmin: User
    integration: User
    edu: User  # handler of 区教育局
    edu_admin: User  # unit admin of 区教育局
    cm: User  # handler of 区综合执法局
    caoshi: User  # handler of 草市街街道
    caoshi_admin: User  # unit admin of 草市街街道
    community: User  # handler of a community under 草市街
    units: dict[str, Unit]

    def unit(self, code: str) -> Unit:
        return self.units[code]


def build_cast() -> Cast:
    do_seed_calendar_from_package(years=[2025, 2026])
    do_seed_directory()
    units = {u.code: u for u in Unit.objects.all()}
    community = Unit.objects.filter(parent=units[CAOSHI], kind="community").first()

    def user(name, roles, unit_code=None, **kw):
        unit = units[unit_code] if unit_code else (community if unit_code is None and name == "community" else None)
        return do_create_user(username=name, password=None, roles=roles, unit=unit, display_name=name, **kw)

    return Cast(
        operator=user("operator", [R.OPERATOR], "QY-CENTRE"),
        dispatcher=user("dispatcher", [R.DISPATCHER], "QY-CENTRE"),
        reviewer=user("reviewer", [R.REVIEWER], "QY-CENTRE"),
        callback=user("callback", [R.CALLBACK_AGENT], "QY-CENTRE"),
        supervisor=user("supervisor", [R.SUPERVISOR], "QY-CENTRE"),
        leader=user("leader", [R.LEADER], "QY-CENTRE"),
        kb_editor=user("kb_editor", [R.KB_EDITOR], "QY-CENTRE"),
        panel=user("panel", [R.PANEL_MEMBER], "QY-CENTRE"),
        sysadmin=user("sysadmin", [R.SYSADMIN], "QY-CENTRE"),
        integration=user("integration", [R.INTEGRATION], "QY-CENTRE", is_service=True),
        edu=user("edu", [R.HANDLER], EDU),
        edu_admin=user("edu_admin", [R.UNIT_ADMIN], EDU),
        cm=user("cm", [R.HANDLER], CM),
        caoshi=user("caoshi", [R.HANDLER], CAOSHI),
        caoshi_admin=user("caoshi_admin", [R.UNIT_ADMIN], CAOSHI),
        community=user("community", [R.HANDLER]),
        units=units,
    )


def order_input(**overrides) -> A.OrderInput:
    data = dict(
        channel="call",
        request_type="complaint",
        urgency="normal",
        category="URB-01-01",
        subject="工地夜间施工噪音",
        text="测试用诉求：附近工地每晚施工到深夜。",
        address="草市街1号",
        street=CAOSHI,
        requester_name="测试人",
        requester_phone="13800001234",
    )
    data.update(overrides)
    return A.OrderInput(**data)


def new_order(cast: Cast, *, now: datetime = T0, actor: User | None = None, **overrides) -> WorkOrder:
    order, _code = A.do_create_order(actor or cast.operator, order_input(**overrides), now=now)
    return order


PATH = ["pending_dispatch", "dispatched", "in_progress", "replied", "pending_callback", "closed"]


def drive(
    cast: Cast, order: WorkOrder, to_state: str, *, now: datetime = T0, lead: str = EDU, supports: tuple[str, ...] = ()
) -> WorkOrder:
    """Walk ``order`` along the main path up to ``to_state`` using the real actions."""
    handler = {EDU: cast.edu, CM: cast.cm, CAOSHI: cast.caoshi}[lead]
    steps = {
        "dispatched": lambda: A.do_dispatch_order(
            cast.dispatcher,
            order.pk,
            lead_unit_id=cast.unit(lead).pk,
            support_unit_ids=[cast.unit(s).pk for s in supports],
            now=now,
        ),
        "in_progress": lambda: A.do_sign_assignment(handler, order.pk, now=now),
        "replied": lambda: A.do_reply_order(
            handler, order.pk, internal_notes="已处理", public_text="已处理完毕", now=now
        ),
        "pending_callback": lambda: A.do_review_reply(cast.reviewer, order.pk, approve=True, now=now),
        "closed": lambda: A.do_record_callback(
            cast.callback, order.pk, outcome="reached", contacted=True, solved=True, satisfaction="satisfied", now=now
        ),
    }
    order.refresh_from_db()
    if order.state == "submitted" and to_state != "submitted":
        A.do_accept_order(cast.operator, order.pk, now=now)
    for state in PATH[PATH.index("pending_dispatch") + 1 :]:
        order.refresh_from_db()
        if PATH.index(order.state) >= PATH.index(to_state):
            break
        steps[state]()
    order.refresh_from_db()
    return order


# --- added for the workorders / intake action tests ------------------------------------------------------


class cast_for_module:  # noqa: N801 - used like a function: ``with cast_for_module(blocker) as cast``
    """Build the cast once for a test module, inside a transaction rolled back at the end.

    Seeding the directory costs most of a second; a module-scoped fixture built on this shares one cast
    among the module's tests. Each test still runs in its own savepoint (pytest-django's ``db``), so
    nothing a test writes leaks into the next one, and nothing of the cast leaks into other modules::

        @pytest.fixture(scope="module")
        def _module_cast(django_db_setup, django_db_blocker):
            with cast_for_module(django_db_blocker) as c:
                yield c

        @pytest.fixture
        def cast(_module_cast, db):
            return _module_cast
    """

    def __init__(self, django_db_blocker):
        self.blocker = django_db_blocker

    def __enter__(self) -> Cast:
        from django.db import transaction

        self.unblocked = self.blocker.unblock()
        self.unblocked.__enter__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        try:
            return build_cast()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
        from django.db import transaction

        try:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        finally:
            self.unblocked.__exit__(None, None, None)
