"""Rows loaded by the actions are saved column by column (core.models.SavesChangedFields)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import new_order
from yihaotong.workorders.models import WorkOrder


def _updates(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]


def test_a_loaded_row_writes_only_the_changed_columns(cast):
    order = WorkOrder.objects.get(pk=new_order(cast).pk)
    order.subject = "新的标题"
    with CaptureQueriesContext(connection) as ctx:
        order.save()
    (sql,) = _updates(ctx)
    assert '"subject"' in sql and '"updated_at"' in sql  # auto_now goes with every write
    assert '"text"' not in sql and '"number"' not in sql and '"state"' not in sql
    assert WorkOrder.objects.get(pk=order.pk).subject == "新的标题"


def test_an_unchanged_row_writes_nothing(cast):
    order = WorkOrder.objects.get(pk=new_order(cast).pk)
    with CaptureQueriesContext(connection) as ctx:
        order.save()
    assert _updates(ctx) == []


def test_a_second_save_writes_only_what_changed_since_the_first(cast):
    order = WorkOrder.objects.get(pk=new_order(cast).pk)
    order.subject = "一"
    order.save()
    order.address = "二"
    with CaptureQueriesContext(connection) as ctx:
        order.save()
    (sql,) = _updates(ctx)
    assert '"address"' in sql and '"subject"' not in sql


def test_explicit_update_fields_leave_other_changes_for_the_next_save(cast):
    order = WorkOrder.objects.get(pk=new_order(cast).pk)
    order.subject = "甲"
    order.address = "乙"
    order.save(update_fields=["subject"])
    assert WorkOrder.objects.get(pk=order.pk).address != "乙"
    order.save()
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.subject, fresh.address) == ("甲", "乙")


def test_refresh_from_db_takes_a_new_snapshot(cast):
    order = WorkOrder.objects.get(pk=new_order(cast).pk)
    WorkOrder.objects.filter(pk=order.pk).update(subject="别处改的")
    order.refresh_from_db()
    order.address = "新地址"
    order.save()
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.subject, fresh.address) == ("别处改的", "新地址")


def test_a_new_instance_without_a_snapshot_saves_every_column(cast):
    pk = new_order(cast).pk
    order = WorkOrder.objects.get(pk=pk)
    copy = WorkOrder(**{f.attname: getattr(order, f.attname) for f in WorkOrder._meta.concrete_fields})
    copy._state.adding = False
    copy.subject = "整行保存"
    with CaptureQueriesContext(connection) as ctx:
        copy.save()
    (sql,) = _updates(ctx)
    assert '"text"' in sql and '"subject"' in sql


def test_the_rows_of_one_notification_are_inserted_in_one_statement(cast):
    from yihaotong.accounts import roles as R
    from yihaotong.notifications.actions import queue_notification
    from yihaotong.notifications.models import Outbox

    order = new_order(cast)
    now = order.created_at
    with CaptureQueriesContext(connection) as ctx:
        rows = queue_notification(
            kind="dispatched", unit=cast.edu.unit, roles=(R.HANDLER, R.UNIT_ADMIN), order=order, now=now, subject="s"
        )
    assert len(ctx.captured_queries) == 1 and ctx.captured_queries[0]["sql"].startswith("INSERT")
    assert [r.recipient_role for r in rows] == [R.HANDLER, R.UNIT_ADMIN]
    saved = {o.pk: o for o in Outbox.objects.filter(pk__in=[r.pk for r in rows])}
    assert sorted(saved) == sorted(r.pk for r in rows)  # the ids set on the rows are the rows' own
    for row in rows:
        assert saved[row.pk].recipient_role == row.recipient_role
        assert saved[row.pk].recipient_unit_id == cast.edu.unit_id
        assert saved[row.pk].created_at == now and saved[row.pk].state == "queued"
    # Three rows use the three-row statement; one row the compiled single-row insert.
    three = queue_notification(
        kind="x", unit=cast.edu.unit, roles=(R.HANDLER, R.UNIT_ADMIN, R.SUPERVISOR), order=order, now=now, subject="t"
    )
    one = queue_notification(kind="y", roles=(R.SUPERVISOR,), order=order, now=now, subject="u")
    assert Outbox.objects.filter(pk__in=[r.pk for r in three + one]).count() == 4


def test_the_short_save_keeps_djangos_contract(cast):
    """CompiledWrites.save takes a short path for new rows and named-field updates; receivers, unknown
    field names and vanished rows behave as with Django's save."""
    import pytest
    from django.db import DatabaseError
    from django.db.models.signals import post_save

    from yihaotong.workorders.models import Note

    order = new_order(cast)
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.pk, created))

    post_save.connect(receiver, sender=Note)
    try:
        note = Note(order=order, author=cast.operator, at=order.created_at, text="有接收者")
        note.save()
    finally:
        post_save.disconnect(receiver, sender=Note)
    assert seen == [(note.pk, True)]  # with a receiver: Django's save, signals sent

    quiet = Note(order=order, author=cast.operator, at=order.created_at, text="无接收者")
    quiet.save()
    assert quiet.pk and not quiet._state.adding and quiet._state.db == "default"
    assert Note.objects.get(pk=quiet.pk).text == "无接收者"
    quiet.text = "改过"
    quiet.save(update_fields=["text"])
    assert Note.objects.get(pk=quiet.pk).text == "改过"
    with pytest.raises(ValueError):
        quiet.save(update_fields=["no_such_field"])
    Note.objects.filter(pk=quiet.pk).delete()
    with pytest.raises(DatabaseError):
        quiet.save(update_fields=["text"])


def test_many_rows_go_in_statements_of_at_most_the_chunk_size(cast):
    from yihaotong.core.models import INSERT_ROWS_MAX, insert_rows
    from yihaotong.notifications.models import Outbox

    order = new_order(cast)
    n = 2 * INSERT_ROWS_MAX + 5
    rows = [
        Outbox(
            kind="k",
            channel="internal",
            recipient_user=cast.operator,
            order=order,
            subject=f"第{i}条",
            created_at=order.created_at,
        )
        for i in range(n)
    ]
    with CaptureQueriesContext(connection) as ctx:
        insert_rows(rows)
    assert len(ctx.captured_queries) == 3
    assert len({r.pk for r in rows}) == n
    assert dict(Outbox.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "subject")) == {
        r.pk: r.subject for r in rows
    }


def test_update_rows_writes_the_named_fields_of_each_row(cast):
    from datetime import timedelta

    from yihaotong.core.models import update_rows

    orders = [new_order(cast) for _ in range(3)]
    at = orders[0].created_at
    for i, order in enumerate(orders):
        order.warning_level = ["yellow", "red", "none"][i]
        order.next_warning_at = at + timedelta(hours=i + 1) if i < 2 else None
        order.subject = "不应写入"  # not among the named fields
    with CaptureQueriesContext(connection) as ctx:
        update_rows(orders, ["warning_level", "next_warning_at"])
    assert len(ctx.captured_queries) == 1
    saved = {o.pk: o for o in WorkOrder.objects.filter(pk__in=[o.pk for o in orders])}
    for i, order in enumerate(orders):
        row = saved[order.pk]
        assert row.warning_level == ["yellow", "red", "none"][i]
        assert row.next_warning_at == (at + timedelta(hours=i + 1) if i < 2 else None)
        assert row.subject != "不应写入"
