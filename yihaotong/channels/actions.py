"""Every write of upstream transfers: one transferred row, a batch import staged and then run, platforms.

One row from the API is applied in one transaction: the (platform, upstream id) row is locked if it
exists; otherwise the order is created through ``workorders.actions.do_create_order`` and the ``Transfer``
inserted; a concurrent twin that inserted first makes our insert fail on the unique constraint, our
savepoint (order included) rolls back, and the row is treated as a repeat of the twin. A batch is applied
in chunks of one transaction each, under the platform's lock, a chunk's new orders made together by
``workorders.bulk.do_create_orders`` on numbers reserved before the chunk's transaction, unless a row is
refused (then the chunk is applied again row by row; see ``_run_chunk``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Conflict, DomainError, Invalid, Message, NotFound, NotPermitted
from yihaotong.workorders.actions import OrderInput, do_create_order, next_order_numbers
from yihaotong.workorders.bulk import do_create_orders, reserve_order_numbers
from yihaotong.workorders.models import Channel

from .models import BatchState, ImportBatch, ImportRow, Platform, RowResult, Transfer
from .rows import CONTENT_FIELDS, References, TransferInput, check_row, read_table

log = logging.getLogger("yihaotong.channels")

IMPORT_ROLES = frozenset({R.OPERATOR, R.DISPATCHER})
CHUNK = 250


@dataclass
class Outcome:
    result: str
    transfer: Transfer | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def order(self):
        return self.transfer.order if self.transfer else None


def check_can_import(actor) -> None:
    if not actor.roles & IMPORT_ROLES:
        raise NotPermitted(gettext_noop("Only operators and dispatchers of the centre import transfers."))


def platform_of_account(actor) -> Platform:
    """The active platform whose service account is ``actor`` (the inbound API's caller)."""
    platform = Platform.objects.filter(account_id=getattr(actor, "pk", None), is_active=True).first()
    if platform is None or not getattr(actor, "is_service", False):
        raise NotPermitted(gettext_noop("This account is not the account of an upstream platform."))
    return platform


def _order_input(platform: Platform, inp: TransferInput) -> OrderInput:
    return OrderInput(
        channel=Channel.TRANSFER,
        request_type=inp.request_type,
        subject=inp.subject,
        text=inp.text,
        urgency=inp.urgency or "normal",
        category=inp.category or None,
        address=inp.address,
        street=inp.street or None,
        requester_name=inp.requester_name,
        requester_phone=inp.requester_phone,
        is_anonymous=inp.is_anonymous,
        # The platform answers the citizen; we text them only when they left a number.
        reply_wanted=bool(inp.requester_phone),
        source=platform.name,
        upstream_ref=inp.upstream_id,
    )


def _repeat(transfer: Transfer, inp: TransferInput, now: datetime) -> Outcome:
    """The upstream id is known: unchanged, a new deadline (updated), or changed content (a conflict)."""
    content = inp.content()
    changed = sorted(f for f in CONTENT_FIELDS if transfer.content.get(f) != content.get(f))
    if changed:
        return Outcome(
            RowResult.CONFLICT,
            transfer,
            {
                f: [
                    Message(
                        gettext_noop("differs from the row transferred before (order %(number)s)"),
                        number=transfer.order.number,
                    )
                ]
                for f in changed
            },
        )
    due = inp.due()
    if due == transfer.upstream_due:
        return Outcome(RowResult.UNCHANGED, transfer)
    transfer.upstream_due = due
    transfer.updated_at = now
    Transfer.objects.filter(pk=transfer.pk).update(upstream_due=due, updated_at=now)
    return Outcome(RowResult.UPDATED, transfer)


def _lock_platform(platform: Platform) -> None:
    """The writers of one platform's transfers take its row lock: two of them never insert the same
    upstream id at once (the unique constraint stays as the last word)."""
    Platform.objects.select_for_update().filter(pk=platform.pk).values_list("pk", flat=True).first()


def _create(actor, platform: Platform, inp: TransferInput, now: datetime, batch: ImportBatch | None) -> Transfer:
    """Make the order in its own savepoint (a refused order writes nothing) and the unsaved Transfer row."""
    order, _code = do_create_order(actor, _order_input(platform, inp), accepted=False, now=now)
    return _transfer(platform, inp, order, now, batch)


def _transfer(platform: Platform, inp: TransferInput, order, now: datetime, batch: ImportBatch | None) -> Transfer:
    return Transfer(
        platform=platform,
        upstream_id=inp.upstream_id,
        order=order,
        upstream_due=inp.due(),
        content=inp.content(),
        received_at=now,
        updated_at=now,
        batch=batch,
    )


def _existing(platform: Platform, upstream_id: str) -> Transfer | None:
    return (
        Transfer.objects.select_for_update()
        .select_related("order")
        .filter(platform=platform, upstream_id=upstream_id)
        .first()
    )


def _apply(actor, platform: Platform, inp: TransferInput, now: datetime) -> Outcome:
    """Apply one checked row (the caller holds the platform lock, inside a transaction)."""
    existing = _existing(platform, inp.upstream_id)
    if existing is not None:
        return _repeat(existing, inp, now)
    try:
        with transaction.atomic():
            transfer = _create(actor, platform, inp, now, None)
            transfer.save()
    except IntegrityError:
        existing = _existing(platform, inp.upstream_id)
        if existing is None:
            raise
        return _repeat(existing, inp, now)
    return Outcome(RowResult.CREATED, transfer)


@transaction.atomic
def do_receive_transfer(actor, row: dict, *, now: datetime | None = None) -> Outcome:
    """The inbound API: one row from the platform whose service account ``actor`` is.

    Raises Invalid for a bad row and Conflict when a known upstream id comes with changed content.
    """
    now = now or timezone.now()
    platform = platform_of_account(actor)
    inp, errors = check_row(row, References())
    if errors:
        log.warning(
            "transfer rejected: platform=%s upstream_id=%r errors=%s", platform.code, row.get("upstream_id"), errors
        )
        raise Invalid(gettext_noop("The transferred row is not valid."), errors=errors)
    _lock_platform(platform)
    try:
        outcome = _apply(actor, platform, inp, now)
    except Invalid as exc:  # the order's own rules (e.g. a phone number needed)
        log.warning(
            "transfer rejected: platform=%s upstream_id=%r errors=%s", platform.code, inp.upstream_id, exc.errors
        )
        raise
    if outcome.result == RowResult.CONFLICT:
        log.warning("transfer conflict: platform=%s upstream_id=%r", platform.code, inp.upstream_id)
        raise Conflict(
            gettext_noop("This upstream id was transferred before with other content."),
            errors=outcome.errors,
            order_number=outcome.order.number,
        )
    return outcome


# ---------------------------------------------------------------------------------------------------------
# batch import: staged (file read, every row checked) in the request, run in the worker


@transaction.atomic
def do_stage_import(actor, platform_code: str, name: str, data: bytes, *, now: datetime | None = None) -> ImportBatch:
    """Read and check a file; store its rows (rejected ones with their reasons). Run it with ``do_run_import``."""
    now = now or timezone.now()
    check_can_import(actor)
    platform = Platform.objects.filter(code=platform_code, is_active=True).first()
    if platform is None:
        raise Invalid(
            gettext_noop("Choose an upstream platform."),
            errors={"platform": [Message(gettext_noop("unknown platform %(code)r"), code=platform_code)]},
        )
    table = read_table(name, data)
    refs = References()
    batch = ImportBatch.objects.create(
        platform=platform, file_name=(name or "")[:200], uploaded_by=actor, created_at=now, total=len(table)
    )
    first_line: dict[str, int] = {}
    rows, rejected = [], 0
    for line, raw in table:
        inp, errors = check_row(raw, refs)
        if inp is not None and inp.upstream_id in first_line:
            errors = {
                "upstream_id": [
                    Message(
                        gettext_noop("duplicate upstream id in this file (first on line %(line)s)"),
                        line=first_line[inp.upstream_id],
                    )
                ]
            }
            inp = None
        uid = inp.upstream_id if inp is not None else str(raw.get("upstream_id") or "").strip()[:64]
        if inp is not None:
            first_line[inp.upstream_id] = line
            rows.append(ImportRow(batch=batch, line=line, upstream_id=uid, data=_as_data(inp)))
        else:
            rejected += 1
            rows.append(
                ImportRow(batch=batch, line=line, upstream_id=uid, result=RowResult.REJECTED, errors=_plain(errors))
            )
    ImportRow.objects.bulk_create(rows, batch_size=1000)
    batch.rejected = rejected
    batch.processed = rejected
    batch.save(update_fields=["rejected", "processed"])
    log.info("import staged: batch=%s platform=%s rows=%s rejected=%s", batch.pk, platform.code, len(rows), rejected)
    return batch


def do_start_import(actor, platform_code: str, name: str, data: bytes) -> ImportBatch:
    """Stage a file, then hand the batch to the worker once the staging has committed."""
    from .tasks import run_import

    batch = do_stage_import(actor, platform_code, name, data)
    transaction.on_commit(lambda: run_import(batch.pk))
    return batch


def _as_data(inp: TransferInput) -> dict:
    return dict(vars(inp))  # plain strings and booleans: a shallow copy is the whole copy


def _plain(errors: dict) -> dict:
    """Errors as stored: each a [template, params] pair so that the report translates them when shown."""
    out = {}
    for f, msgs in errors.items():
        out[f] = [
            [m.template, {k: str(v) for k, v in m.params.items()}] if isinstance(m, Message) else [str(m), {}]
            for m in msgs
        ]
    return out


def do_run_import(batch_id: int, *, now: datetime | None = None, chunk: int = CHUNK) -> ImportBatch:
    """Apply the pending rows of a batch in chunks (one transaction each; progress saved after each).

    Safe to run again after a crash: applied rows are no longer pending, and a row whose order was made
    meanwhile is found by its upstream id.
    """
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise NotFound(gettext_noop("No such import batch."))
        if batch.state == BatchState.DONE:
            return batch
        batch.state = BatchState.RUNNING
        batch.started_at = batch.started_at or timezone.now()
        batch.save(update_fields=["state", "started_at"])
    try:
        while _run_chunk(batch, now, chunk):
            pass
    except Exception as exc:
        log.exception("import failed: batch=%s", batch_id)
        ImportBatch.objects.filter(pk=batch_id).update(state=BatchState.FAILED, error=str(exc)[:2000])
        raise
    ImportBatch.objects.filter(pk=batch_id).update(state=BatchState.DONE, finished_at=timezone.now())
    batch.refresh_from_db()
    log.info(
        "import done: batch=%s created=%s updated=%s unchanged=%s conflicts=%s rejected=%s",
        batch.pk,
        batch.created,
        batch.updated,
        batch.unchanged,
        batch.conflicts,
        batch.rejected,
    )
    return batch


class _Careful(Exception):  # noqa: N818 - a signal, not an error
    """A row of a chunk applied without savepoints was refused: roll the chunk back, apply it row by row."""


def _run_chunk(batch: ImportBatch, now: datetime | None, chunk: int) -> bool:
    """Apply the next ``chunk`` pending rows in one transaction; return False when none was left.

    The chunk's order numbers are reserved first, in a short transaction of their own (the day's number
    sequence is not locked while the chunk is written: other creations need not wait for it). Then the
    quick pass: the chunk's new orders made in one ``do_create_orders``. If the order's rules refuse a row
    (rare: the rows were checked when staged), that transaction is rolled back and the same rows are
    applied again, each order by ``do_create_order`` in its own savepoint, so that a refused row writes
    nothing. Reserved numbers left unused (a rolled-back chunk, a row another writer created meanwhile)
    are a gap in the day's numbers (decision 0010).
    """
    at = now or timezone.now()
    ids = list(
        ImportRow.objects.filter(batch_id=batch.pk, result=RowResult.PENDING)
        .order_by("line")
        .values_list("upstream_id", flat=True)[:chunk]
    )
    if not ids:
        return False
    known = Transfer.objects.filter(platform_id=batch.platform_id, upstream_id__in=ids).count()
    numbers = reserve_order_numbers(at, len(set(ids)) - known)
    try:
        return _apply_chunk(batch, at, chunk, numbers=numbers)
    except _Careful:
        return _apply_chunk(batch, at, chunk, numbers=None)


@transaction.atomic
def _apply_chunk(batch: ImportBatch, at: datetime, chunk: int, *, numbers: list[str] | None) -> bool:
    """The upstream ids already known are read in one query; new rows make their orders (all at once with
    ``numbers`` reserved for them, else one ``do_create_order`` each, in its savepoint: the careful pass),
    and their Transfer rows are inserted together at the end, under the platform lock so that no other
    writer can insert the same ids meanwhile.
    """
    careful = numbers is None
    pending = list(
        ImportRow.objects.select_for_update()
        .filter(batch_id=batch.pk, result=RowResult.PENDING)
        .order_by("line")[:chunk]
    )
    if not pending:
        return False
    platform, actor = batch.platform, batch.uploaded_by
    _lock_platform(platform)
    inputs = {row.pk: TransferInput(**row.data) for row in pending}
    known = {
        t.upstream_id: t
        for t in Transfer.objects.select_for_update()
        .select_related("order")
        .only("id", "upstream_id", "upstream_due", "content", "order__id", "order__number", "order__state")
        .filter(platform=platform, upstream_id__in=[i.upstream_id for i in inputs.values()])
    }
    new_rows, new_transfers = [], []
    for row in pending:
        inp = inputs[row.pk]
        try:
            if inp.upstream_id in known:
                outcome = _repeat(known[inp.upstream_id], inp, at)
            elif not careful:
                new_rows.append(row)
                continue
            else:
                transfer = _create(actor, platform, inp, at, batch)
                new_transfers.append(transfer)
                outcome = Outcome(RowResult.CREATED, transfer)
        except DomainError as exc:
            if not careful:
                raise _Careful from exc
            row.result = RowResult.REJECTED
            row.errors = _plain(exc.errors or {"__all__": [exc.message]})
            continue
        row.result = outcome.result
        row.errors = _plain(outcome.errors)
        row.order = outcome.order
    if new_rows:
        new_transfers += _create_all(actor, platform, new_rows, inputs, at, batch, numbers)
    Transfer.objects.bulk_create(new_transfers)
    _write_report_rows(platform, pending, inputs)
    counts = {r: 0 for r in RowResult.values}
    for row in pending:
        counts[row.result] += 1
    ImportBatch.objects.filter(pk=batch.pk).update(
        processed=F("processed") + len(pending),
        created=F("created") + counts[RowResult.CREATED],
        updated=F("updated") + counts[RowResult.UPDATED],
        unchanged=F("unchanged") + counts[RowResult.UNCHANGED],
        conflicts=F("conflicts") + counts[RowResult.CONFLICT],
        rejected=F("rejected") + counts[RowResult.REJECTED],
    )
    return True


def _create_all(actor, platform, rows, inputs, at, batch, numbers: list[str]) -> list[Transfer]:
    """The quick pass: the orders of a chunk's new rows in one ``do_create_orders``, on the numbers reserved
    for the chunk (more taken here if other writers' Transfers vanished meanwhile: never in practice)."""
    if len(numbers) < len(rows):
        numbers = [*numbers, *next_order_numbers(at, len(rows) - len(numbers))]
    try:
        made = do_create_orders(
            actor,
            [_order_input(platform, inputs[row.pk]) for row in rows],
            accepted=False,
            now=at,
            numbers=numbers[: len(rows)],
        )
    except DomainError as exc:
        raise _Careful from exc
    transfers = []
    for row, (order, _code) in zip(rows, made, strict=True):
        transfers.append(_transfer(platform, inputs[row.pk], order, at, batch))
        row.result, row.errors, row.order = RowResult.CREATED, {}, order
    return transfers


_PLAIN_RESULTS = (RowResult.CREATED, RowResult.UPDATED, RowResult.UNCHANGED)


def _write_report_rows(platform: Platform, rows: list[ImportRow], inputs: dict[int, TransferInput]) -> None:
    """Write the applied rows' results, without their data (applied now; the report needs the result, the
    reasons and the order).

    Rows without reasons (created, updated, unchanged: nearly all of them) take one UPDATE per result, their
    order read from the Transfer of their upstream id in the same statement; rows with reasons (conflicts,
    refusals) are deleted and inserted again with them in one statement each."""
    plain: dict[str, list[int]] = {}
    rewrite = []
    for row in rows:
        if row.result in _PLAIN_RESULTS and not row.errors and row.upstream_id == inputs[row.pk].upstream_id:
            plain.setdefault(row.result, []).append(row.pk)
        else:
            row.data = {}
            rewrite.append(row)
    if plain:
        order_of = Subquery(
            Transfer.objects.filter(platform_id=platform.pk, upstream_id=OuterRef("upstream_id")).values("order_id")[:1]
        )
        for result, pks in plain.items():
            ImportRow.objects.filter(pk__in=pks).update(result=result, data={}, order=order_of)
    if rewrite:
        ImportRow.objects.filter(pk__in=[r.pk for r in rewrite]).delete()
        ImportRow.objects.bulk_create(rewrite)


# ---------------------------------------------------------------------------------------------------------
# platforms


@transaction.atomic
def do_save_platform(
    *,
    code: str,
    name: str,
    account=None,
    push_url: str = "",
    push_secret: str = "",
    is_active: bool = True,
    now: datetime | None = None,
) -> Platform:
    """Create or change a platform; keep its push subscription (a webhook limited to its orders) in step."""
    from yihaotong.webhooks.actions import do_sync_platform_push

    now = now or timezone.now()
    errors: dict[str, list] = {}
    if not code or not name:
        errors["code"] = [gettext_noop("This field is required.")]
    if push_url and len(push_secret or "") < 16:
        errors["push_secret"] = [gettext_noop("At least 16 characters.")]
    if account is not None and not account.is_service:
        errors["account"] = [gettext_noop("not a service account")]
    if errors:
        raise Invalid(gettext_noop("The platform is not valid."), errors=errors)
    platform = Platform.objects.select_for_update().filter(code=code).first() or Platform(code=code)
    platform.name, platform.account = name, account
    platform.push_url, platform.push_secret, platform.is_active = push_url, push_secret, is_active
    platform.save()
    do_sync_platform_push(platform, now=now)
    return platform
