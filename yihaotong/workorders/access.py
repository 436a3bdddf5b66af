"""The one door to work orders on a user's behalf (architecture.md §3.3).

``order_visibility(actor)`` is the only visibility rule: lists use ``visible_orders`` and single rows
``access_order``, both derived from it, so they cannot drift. Missing and not-yours are both NotFound.
Requester contact details reach handling units masked; ``reveal_requester_contact`` unmasks and logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core import compiled
from yihaotong.core.db import reusable_cursor
from yihaotong.core.errors import NotFound, NotPermitted
from yihaotong.core.text import mask_name, mask_phone
from yihaotong.directory.policy import get_policy, reference

from .models import ACTIVE_ASSIGNMENT_STATES, Assignment, WorkOrder

NOTHING = Q(pk__in=[])
RESTRICTED = Q(is_confidential=True) | Q(request_type__is_whistleblowing=True)


def actor_unit_ids_q(actor) -> Q | None:
    """Return a Q on Unit for the units whose orders this unit member works on, or None."""
    if not actor.roles.intersection(R.UNIT_ROLES) or not actor.unit_id:
        return None
    if R.UNIT_ADMIN in actor.roles:
        # A unit admin oversees the unit's sub-units too (下派).
        return Q(unit__path__startswith=actor.unit.path) if actor.unit.path else Q(unit_id=actor.unit_id)
    return Q(unit_id=actor.unit_id)


def order_visibility(actor) -> Q:
    """Return the rule deciding which orders ``actor`` may see."""
    roles = getattr(actor, "roles", frozenset())
    if not roles:
        return NOTHING
    if roles & R.CENTRE_ROLES and roles & set(get_policy()["confidential_roles"]):
        return Q(pk__isnull=False)  # every order
    rule = NOTHING
    if roles & R.CENTRE_ROLES:
        rule |= ~RESTRICTED | Q(created_by=actor)
    unit_q = actor_unit_ids_q(actor)
    if unit_q is not None:
        rule |= Q(Exists(Assignment.objects.filter(unit_q, order=OuterRef("pk"))))
    return rule


def one_or_none(qs):
    """Return the single row of a query that filters on a unique key, or None.

    ``first()`` would order by ``Meta.ordering``; compiling that ORDER BY cost more than the lookup.
    """
    for obj in qs.order_by()[:1]:
        return obj
    return None


# Foreign keys of a work order that point at the small reference tables (directory.policy.reference).
_REFERENCE_FKS = (
    ("request_type", "request_type"),
    ("urgency", "urgency"),
    ("category", "category"),
    ("street", "unit"),
    ("community", "unit"),
    ("lead_unit", "unit"),
)


def prime_references(obj, fks=_REFERENCE_FKS):
    """Fill the foreign-key caches of ``obj`` from the reference cache instead of joins or extra queries.

    ``fks`` pairs a foreign-key name with the reference kind. A row missing from the cache (deleted
    meanwhile) is left for Django to load on access.
    """
    for name, kind in fks:
        field = obj._meta.get_field(name)
        pk = getattr(obj, field.attname)
        if pk is not None and not field.is_cached(obj):
            ref = reference(kind, pk=pk)
            if ref is not None:
                field.set_cached_value(obj, ref)
    return obj


def visible_orders(actor) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(order_visibility(actor))


def _visibility_key(actor) -> tuple:
    """Everything ``order_visibility(actor)`` depends on: the key of its compiled SQL (``_lock_sql``).

    Change this together with ``order_visibility`` and ``actor_unit_ids_q``.
    """
    roles = getattr(actor, "roles", frozenset())
    unit_id = getattr(actor, "unit_id", None)
    path = actor.unit.path if unit_id and R.UNIT_ADMIN in roles else ""
    return (getattr(actor, "pk", None), roles, unit_id, path, tuple(sorted(get_policy()["confidential_roles"])))


# The row lock of every action, compiled once per visibility rule: building and compiling the visibility
# query with the ORM took three times as long as running it (decision 0009). The order id is the one
# parameter that changes; a sentinel value marks its place.
@dataclass(frozen=True)
class _CompiledLock:
    sql: str  # "" when the rule lets the actor see no order at all
    params: tuple
    where: int
    converters: dict
    compiler: object


_LOCK_SQL: dict[tuple, _CompiledLock] = {}
_LOCK_SQL_MAX = 2048
_PK_SENTINEL = -7_301_946_285
_FIELDS = None


def _lock_sql(actor) -> _CompiledLock | None:
    global _FIELDS
    key = (id(connections[DEFAULT_DB_ALIAS]), *_visibility_key(actor))  # compiled for this connection
    hit = _LOCK_SQL.get(key)
    if hit is not None:
        return hit
    if _FIELDS is None:
        _FIELDS = [f.attname for f in WorkOrder._meta.concrete_fields]
    qs = visible_orders(actor).filter(pk=_PK_SENTINEL).select_for_update(of=("self",)).order_by()[:1]
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        hit = _CompiledLock("", (), -1, {}, None)  # sees no order at all
    else:
        where = [i for i, p in enumerate(params) if p == _PK_SENTINEL]
        columns = [getattr(col, "target", None) for col, _sql, _alias in compiler.select]
        if len(where) != 1 or [getattr(c, "attname", None) for c in columns] != _FIELDS:
            return None  # not the shape we know: the ORM path
        hit = _CompiledLock(
            sql, tuple(params), where[0], compiler.get_converters([c[0] for c in compiler.select]), compiler
        )
    if len(_LOCK_SQL) >= _LOCK_SQL_MAX:
        _LOCK_SQL.clear()
    _LOCK_SQL[key] = hit
    return hit


def _run_lock(lock: _CompiledLock, order_id: int) -> WorkOrder | None:
    if not lock.sql:
        return None
    params = list(lock.params)
    params[lock.where] = int(order_id)
    cur = reusable_cursor(DEFAULT_DB_ALIAS)
    cur.execute(lock.sql, params)
    row = cur.fetchone()
    if row is None:
        return None
    if lock.converters:
        row = next(iter(lock.compiler.apply_converters([row], lock.converters)))
    return WorkOrder.from_db(DEFAULT_DB_ALIAS, _FIELDS, row)


def access_order(actor, order_id: int, *, for_update: bool = False) -> WorkOrder:
    """Return the order if ``actor`` may see it; NotFound otherwise (also when it does not exist)."""
    if for_update:
        # One query: the visibility rule, then a lock on the order row only (not on the joined rows).
        lock = _lock_sql(actor)
        if lock is not None:
            order = _run_lock(lock, order_id)
        else:
            order = one_or_none(visible_orders(actor).filter(pk=order_id).select_for_update(of=("self",)))
        if order is None:
            raise NotFound(gettext_noop("No such work order."))
        return prime_references(order)
    order = one_or_none(visible_orders(actor).filter(pk=order_id).select_related("master"))
    if order is None:
        raise NotFound(gettext_noop("No such work order."))
    return prime_references(order)


def access_order_by_number(actor, number: str) -> WorkOrder:
    order = one_or_none(visible_orders(actor).filter(number=number).only("pk"))
    if order is None:
        raise NotFound(gettext_noop("No such work order."))
    return access_order(actor, order.pk)


def is_centre(actor) -> bool:
    return bool(actor.roles & R.CENTRE_ROLES)


def is_restricted(order: WorkOrder) -> bool:
    return order.is_confidential or order.request_type.is_whistleblowing


def actor_assignments(actor, order: WorkOrder, *, active_only: bool = True) -> QuerySet[Assignment]:
    """Return the assignments of ``order`` that ``actor`` works on as a unit member."""
    unit_q = actor_unit_ids_q(actor)
    if unit_q is None:
        return Assignment.objects.none()
    qs = Assignment.objects.filter(unit_q, order=order)
    if active_only:
        qs = qs.filter(state__in=ACTIVE_ASSIGNMENT_STATES)
    return qs


def _unit_scope_key(actor) -> tuple | None:
    """Everything ``actor_unit_ids_q(actor)`` depends on (the key of its compiled queries), or None."""
    if not actor.roles.intersection(R.UNIT_ROLES) or not actor.unit_id:
        return None
    if R.UNIT_ADMIN in actor.roles:
        return ("admin", actor.unit_id, actor.unit.path)
    return ("unit", actor.unit_id)


def actor_assignment_rows(actor, order_id: int, *, lock: bool = False, pk: int | None = None) -> list[Assignment]:
    """Return the active assignments of the order that ``actor`` works on (optionally the one ``pk``).

    The same rows as ``actor_assignments(actor, order)``, with the query compiled once per unit scope
    (``core.compiled``); ``lock`` locks the assignment rows only, not the joined units.
    """
    scope = _unit_scope_key(actor)
    if scope is None:
        return []

    def build(order, pk=None):
        qs = actor_assignments(actor, order).order_by()
        if lock:
            qs = qs.select_for_update(of=("self",))
        return qs if pk is None else qs.filter(pk=pk)

    if pk is None:
        return compiled.select(("actor_assignments", scope, lock), build, int(order_id))
    return compiled.select(("actor_assignment", scope, lock), build, int(order_id), int(pk))


def actor_has_part(actor, order_id: int) -> bool:
    """Whether ``actor``'s unit holds an active assignment of the order (compiled once per unit scope)."""
    scope = _unit_scope_key(actor)
    if scope is None:
        return False
    return compiled.exists(("actor_has_part", scope), lambda order: actor_assignments(actor, order), int(order_id))


def requester_contact(actor, order: WorkOrder) -> dict[str, str]:
    """Return the requester's name and phone as ``actor`` may see them without a reveal."""
    if is_centre(actor):
        return {"name": order.requester_name, "phone": order.requester_phone, "masked": False}
    if is_restricted(order) and not order.identity_disclosure_agreed:
        return {"name": "保密", "phone": "保密", "masked": True}
    return {"name": mask_name(order.requester_name), "phone": mask_phone(order.requester_phone), "masked": True}


def can_reveal(actor, order: WorkOrder) -> bool:
    if is_centre(actor):
        return True
    if is_restricted(order) and not order.identity_disclosure_agreed:
        return False
    return actor_has_part(actor, order.pk)


def check_can_reveal(actor, order: WorkOrder) -> None:
    if not can_reveal(actor, order):
        raise NotPermitted(gettext_noop("The requester's identity is protected on this order."))
