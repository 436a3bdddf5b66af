"""Many orders at once (``workorders.bulk``): the same rows as one ``do_create_order`` per input, numbers
consecutive and unique (also under concurrency, PostgreSQL), all or nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from tests.factories import CAOSHI, T0, build_cast, order_input
from yihaotong.core.errors import Invalid, NotPermitted
from yihaotong.notifications.models import Outbox
from yihaotong.workorders import actions as A
from yihaotong.workorders.bulk import do_create_orders, reserve_order_numbers
from yihaotong.workorders.models import Event, OrderSequence, WorkOrder


def inputs() -> list[A.OrderInput]:
    """Inputs that take every branch of the rules: urgent (the dispatchers' notice), anonymous without a
    phone (no SMS), a confidential one, an upstream transfer with a community, an unstripped subject."""
    from yihaotong.directory.models import Unit

    community = Unit.objects.filter(parent__code=CAOSHI, kind="community").order_by("code").first()
    return [
        order_input(),
        order_input(urgency="urgent", subject="  燃气泄漏  ", requester_phone="138 0000 5678"),
        order_input(is_anonymous=True, requester_name="不显示", requester_phone="", reply_wanted=False),
        order_input(is_confidential=True, category=None, street=None, address=""),
        order_input(channel="transfer", source="市长公开电话", upstream_ref="U-1", community=community.code),
    ]


def _row(obj, skip=()) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in skip}


def written(orders_and_codes) -> list[dict]:
    """The rows written for each order, read back from the database, without ids; the query code (random)
    replaced by a marker once checked against the stored hash."""
    out = []
    for order, code in orders_and_codes:
        stored = WorkOrder.objects.get(pk=order.pk)
        assert A.check_query_code(stored, code)
        events = [_row(e, skip=("id", "order_id")) for e in Event.objects.filter(order=stored).order_by("id")]
        outbox = []
        for row in Outbox.objects.filter(order_id=stored.pk).order_by("id"):
            data = _row(row, skip=("id", "order_id"))
            data["subject"] = data["subject"].replace(code, "<code>")
            data["body"] = data["body"].replace(code, "<code>")
            ctx = data["payload"].get("ctx") or {}
            if "code" in ctx:
                ctx["code"] = "<code>"
            outbox.append(data)
        assert stored.updated_at is not None  # auto_now: the wall clock, not compared
        order_row = _row(stored, skip=("id", "query_code_hash", "updated_at"))
        out.append({"order": order_row, "events": events, "outbox": outbox})
    return out


@pytest.mark.parametrize("accepted", [None, False])
def test_bulk_writes_the_rows_single_creations_write(cast, accepted):
    """The same inputs at the same instant, once one ``do_create_order`` each (rolled back, so that the
    day's numbers start again), once ``do_create_orders``: the same orders, events and outbox rows."""
    data = inputs()
    with transaction.atomic():
        single = written([A.do_create_order(cast.operator, d, accepted=accepted, now=T0) for d in data])
        transaction.set_rollback(True)
    assert WorkOrder.objects.count() == 0
    bulk = written(do_create_orders(cast.operator, data, accepted=accepted, now=T0))
    assert bulk == single
    assert [len(b["outbox"]) for b in bulk] == [1, 2, 0, 1, 1]
    assert bulk[1]["order"]["subject"] == "燃气泄漏"
    expected_state = "pending_dispatch" if accepted is None else "submitted"
    assert {b["order"]["state"] for b in bulk} == {expected_state}


def test_bulk_orders_behave_as_saved_orders(cast):
    """The returned orders carry their ids and a snapshot: a later change saves as on a created order."""
    (order, _code), *_ = do_create_orders(cast.operator, inputs()[:2], now=T0)
    assert order.pk and order.changed_fields() == []
    order.address = "草市街2号"
    assert order.changed_fields() == ["address"]
    order.save()
    assert WorkOrder.objects.get(pk=order.pk).address == "草市街2号"
    order_event = Event.objects.get(order=order)
    assert order_event.kind == "create" and order_event.to_state == order.state


def test_numbers_consecutive_and_shared_with_single_creations(cast):
    first, _ = A.do_create_order(cast.operator, order_input(), now=T0)
    made = do_create_orders(cast.operator, inputs(), now=T0)
    last, _ = A.do_create_order(cast.operator, order_input(), now=T0)
    numbers = [first.number, *(o.number for o, _ in made), last.number]
    day = T0.strftime("%Y%m%d")
    assert numbers == [f"QY{day}-{i:04d}" for i in range(1, 8)]
    assert OrderSequence.objects.get(day=day).last == 7
    next_day = do_create_orders(cast.operator, inputs()[:2], now=T0 + timedelta(days=1))
    assert [o.number.rsplit("-", 1)[1] for o, _ in next_day] == ["0001", "0002"]


def test_reserved_numbers_are_used_and_a_rollback_leaves_a_gap(cast):
    reserved = reserve_order_numbers(T0, 3)
    day = T0.strftime("%Y%m%d")
    assert reserved == [f"QY{day}-000{i}" for i in (1, 2, 3)]
    made = do_create_orders(cast.operator, inputs()[:3], now=T0, numbers=reserved)
    assert [o.number for o, _ in made] == reserved
    with pytest.raises(ValueError, match="2 numbers for 3 orders"):
        do_create_orders(cast.operator, inputs()[:3], now=T0, numbers=reserve_order_numbers(T0, 2))
    later, _ = A.do_create_order(cast.operator, order_input(), now=T0)
    assert later.number == f"QY{day}-0006"  # 0004 and 0005 were reserved and not used: a gap


def test_a_refused_input_writes_nothing(cast):
    data = inputs()
    data[3] = order_input(category="NO-SUCH")
    before = [m.objects.count() for m in (WorkOrder, Event, Outbox, OrderSequence)]
    with pytest.raises(Invalid) as exc:
        do_create_orders(cast.operator, data, now=T0)
    assert "category" in exc.value.errors
    assert [m.objects.count() for m in (WorkOrder, Event, Outbox, OrderSequence)] == before
    with pytest.raises(NotPermitted):
        do_create_orders(cast.edu, inputs(), now=T0)
    assert [m.objects.count() for m in (WorkOrder, Event, Outbox, OrderSequence)] == before
    assert do_create_orders(cast.operator, [], now=T0) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)")
def test_bulk_reservations_racing_single_creations_get_unique_numbers():
    """Ten bulk creations of five orders (five taking their numbers beforehand, five inside their own
    transaction) race twenty single creations: 70 orders, 70 distinct numbers, 0001 to 0070."""
    cast = build_cast()
    barrier = threading.Barrier(30)
    results: list = [None] * 30

    def worker(i):
        try:
            barrier.wait(timeout=10)
            if i < 5:
                numbers = reserve_order_numbers(T0, 5)
                results[i] = [o.number for o, _ in do_create_orders(cast.operator, inputs(), now=T0, numbers=numbers)]
            elif i < 10:
                results[i] = [o.number for o, _ in do_create_orders(cast.operator, inputs(), now=T0)]
            else:
                results[i] = [A.do_create_order(cast.operator, order_input(subject=f"并发 {i}"), now=T0)[0].number]
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, list) for r in results), [r for r in results if not isinstance(r, list)][:3]
    numbers = [n for r in results for n in r]
    day = T0.strftime("%Y%m%d")
    assert sorted(numbers) == [f"QY{day}-{i:04d}" for i in range(1, 71)]
    for r in results[:10]:
        seqs = [int(n.rsplit("-", 1)[1]) for n in r]
        assert seqs == list(range(seqs[0], seqs[0] + 5))  # each bulk's numbers consecutive
    assert WorkOrder.objects.count() == 70 and Event.objects.filter(kind="create").count() == 70
