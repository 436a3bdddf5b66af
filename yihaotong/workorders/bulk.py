"""Many work orders at once (the batch import of upstream transfers, decision 0010).

``do_create_orders`` makes each order by the same ``actions.build_order`` as ``do_create_order`` (the same
validation, fields, state, event, outbox rows, number and hashed query code), then writes the orders, their
events and their outbox rows in one INSERT each (on PostgreSQL one ``unnest`` of column arrays, see
``core.models.insert_many``; elsewhere ``bulk_create``, whose ids come back on SQLite ≥ 3.35). All or nothing: an input
refused by the rules raises before anything is written.

Order numbers: ``next_order_numbers`` takes ``n`` of the day's numbers in one statement. The day's
sequence row then stays locked until the caller's transaction ends, so a caller that writes many rows in a
long transaction takes its numbers first with ``reserve_order_numbers``, in a short transaction of their
own, and hands them to ``do_create_orders``. A transaction rolled back after that leaves a gap in the day's
numbers (decision 0010).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connections, router, transaction

from yihaotong.core.models import insert_many

from .actions import (
    OrderInput,
    _now,
    _validate_input,
    attach_order,
    build_order,
    creation_state,
    next_order_numbers,
)
from .models import WorkOrder

__all__ = ["do_create_orders", "reserve_order_numbers"]


def reserve_order_numbers(now: datetime, n: int) -> list[str]:
    """Take ``n`` consecutive order numbers of ``now``'s day in a transaction of their own.

    Called outside any transaction (as the import's worker does), the numbers are committed at once and the
    day's sequence row is not held while the caller writes its orders; inside a transaction this is a
    savepoint and the lock lasts until that transaction ends. Numbers left unused are a gap."""
    with transaction.atomic():
        return next_order_numbers(now, n)


@transaction.atomic
def do_create_orders(
    actor,
    inputs: Iterable[OrderInput],
    *,
    accepted: bool | None = None,
    now: datetime | None = None,
    numbers: Sequence[str] | None = None,
) -> list[tuple[WorkOrder, str]]:
    """Create one work order per input, in the inputs' order; return each with its query code.

    The same rules as ``do_create_order`` for each input (``accepted`` and the actor's roles as there). All
    inputs are validated before a number is taken; the first refused raises its ``Invalid`` and nothing is
    written. ``numbers``: order numbers reserved beforehand (``reserve_order_numbers``), one per input;
    without them the numbers are taken here, in this transaction.
    """
    inputs = list(inputs)
    if not inputs:
        return []
    now = _now(now)
    state, accepted = creation_state(actor, accepted)
    refs = [_validate_input(data) for data in inputs]
    if numbers is None:
        numbers = next_order_numbers(now, len(inputs))
    elif len(numbers) != len(inputs):
        raise ValueError(f"{len(numbers)} numbers for {len(inputs)} orders")
    built = [
        build_order(actor, data, ref, number=number, state=state, accepted=accepted, now=now)
        for data, ref, number in zip(inputs, refs, numbers, strict=True)
    ]
    orders = [new.order for new in built]
    if connections[router.db_for_write(WorkOrder)].features.can_return_rows_from_bulk_insert:
        insert_many(orders)
        for order in orders:
            order._take_snapshot()  # as after save(): a later save() writes only the fields changed
    else:
        for order in orders:
            order.save()
    events, outbox = [], []
    for new in built:
        attach_order(new)
        events += new.events
        outbox += new.outbox
    insert_many(events)
    insert_many(outbox)
    return [(new.order, new.code) for new in built]
