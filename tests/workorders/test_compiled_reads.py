"""Reads compiled once per shape (``core.compiled``) return what the ORM returns, for every unit scope."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext

from tests.factories import CAOSHI, CM, EDU, T0, cast_for_module, drive, new_order
from yihaotong.core import compiled
from yihaotong.workorders import actions as A
from yihaotong.workorders.access import actor_assignment_rows, actor_assignments, actor_has_part
from yihaotong.workorders.models import Assignment


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


def _rows(objs):
    return sorted(((o.pk, o.unit_id, o.state, o.role, o.dispatched_at, o.sign_due) for o in objs), key=str)


def test_actor_assignments_match_the_orm_for_every_unit_scope(cast):
    one = drive(cast, new_order(cast), "in_progress", lead=EDU, supports=(CM,))
    two = drive(cast, new_order(cast), "in_progress", lead=CAOSHI)
    A.do_subdispatch(cast.caoshi_admin, two.pk, sub_unit_id=cast.community.unit_id, instructions="请社区核实", now=T0)
    actors = [cast.edu, cast.edu_admin, cast.cm, cast.caoshi, cast.caoshi_admin, cast.community, cast.dispatcher]
    for actor in actors:
        for order in (one, two):
            expected = list(actor_assignments(actor, order))
            got = actor_assignment_rows(actor, order.pk)
            assert _rows(got) == _rows(expected), (actor.username, order.number)
            assert actor_has_part(actor, order.pk) == bool(expected), (actor.username, order.number)
            for asg in expected:
                assert [a.pk for a in actor_assignment_rows(actor, order.pk, lock=True, pk=asg.pk)] == [asg.pk]
    # The unit admin of 草市街 sees the community's sub-assignment too; the community handler only its own.
    assert len(actor_assignment_rows(cast.caoshi_admin, two.pk)) == 2
    assert len(actor_assignment_rows(cast.community, two.pk)) == 1
    assert actor_assignment_rows(cast.dispatcher, one.pk) == []  # centre staff hold no assignment


def test_a_compiled_read_runs_one_query_with_the_new_values(cast):
    first = drive(cast, new_order(cast), "dispatched", lead=EDU)
    second = drive(cast, new_order(cast), "dispatched", lead=CM)

    def build(order_id):
        return Assignment.objects.filter(order_id=order_id).order_by("id")

    key = ("test_by_order",)
    assert [a.order_id for a in compiled.select(key, build, first.pk)] == [first.pk]
    with CaptureQueriesContext(connection) as ctx:
        rows = compiled.select(key, build, second.pk)
    assert len(ctx.captured_queries) == 1
    assert [(a.order_id, a.unit_id) for a in rows] == [(second.pk, cast.unit(CM).pk)]
    assert compiled.select(key, build, 0) == []
    assert compiled.exists(key, build, second.pk) and not compiled.exists(key, build, 0)
    # Rows come back as the ORM makes them: aware datetimes, and a snapshot for SavesChangedFields.
    asg = rows[0]
    assert asg.dispatched_at == Assignment.objects.get(pk=asg.pk).dispatched_at
    assert asg.changed_fields() == []
    asg.state = "signed"
    assert asg.changed_fields() == ["state"]


def test_shapes_it_does_not_know_run_through_the_orm(cast):
    order = drive(cast, new_order(cast), "dispatched", lead=EDU)

    def joined(order_id):
        return Assignment.objects.select_related("unit").filter(order_id=order_id)

    def values_unused(order_id):
        return Assignment.objects.filter(order_id=order_id, id__in=[])  # matches nothing: EmptyResultSet

    rows = compiled.select(("test_joined",), joined, order.pk)
    assert [a.unit.code for a in rows] == [EDU]
    assert (
        compiled._CACHE[(id(connections[DEFAULT_DB_ALIAS]), False, "test_joined")] is None
    )  # the ORM's path, every time
    with CaptureQueriesContext(connection) as ctx:
        assert compiled.select(("test_nothing",), values_unused, order.pk) == []
        assert compiled.select(("test_nothing",), values_unused, order.pk) == []
    assert ctx.captured_queries == []


def test_instants_are_arguments_too_and_only_loads_the_asked_columns(cast):
    from datetime import timedelta

    order = drive(cast, new_order(cast), "dispatched", lead=EDU)
    asg = Assignment.objects.get(order=order)

    def build(order_id, at):
        return Assignment.objects.filter(order_id=order_id, dispatched_at__lte=at).only("id", "state")

    key = ("test_dispatched_before",)
    assert compiled.select(key, build, order.pk, asg.dispatched_at - timedelta(seconds=1)) == []
    rows = compiled.select(key, build, order.pk, asg.dispatched_at)
    assert [(a.pk, a.state) for a in rows] == [(asg.pk, asg.state)]
    assert rows[0].get_deferred_fields() >= {"unit_id", "sign_due"}
    with pytest.raises(TypeError):
        compiled.select(("test_bad_argument",), build, order.pk, "yesterday")
