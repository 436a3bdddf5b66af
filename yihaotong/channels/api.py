"""Upstream transfers: the inbound API (a platform's service-account token), the status feed the platform
pulls, and the batch import for centre staff."""

from __future__ import annotations

import logging
from datetime import datetime

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from yihaotong.core.api import Problem, paginate, problem
from yihaotong.core.errors import Invalid, NotFound

from . import actions as A
from .models import ImportBatch, RowResult
from .rows import MAX_BYTES
from .selectors import feed_items, report_errors

router = Router()
log = logging.getLogger("yihaotong.channels")

BIG = 20_000  # longer fields are refused by the row rules with a reason; beyond this the schema refuses


class TransferIn(Schema):
    upstream_id: str = Field(..., max_length=200, description="The platform's own id of the case.")
    subject: str = Field(..., max_length=BIG)
    text: str = Field(..., max_length=BIG)
    request_type: str = Field(..., max_length=64, description="Code or name: consult / 咨询, complaint / 投诉…")
    category: str = Field("", max_length=64, description="Category code or name (事项分类).")
    urgency: str = Field("", max_length=64)
    address: str = Field("", max_length=BIG)
    street: str = Field("", max_length=64, description="Street code or name.")
    requester_name: str = Field("", max_length=BIG)
    requester_phone: str = Field("", max_length=BIG)
    is_anonymous: bool = False
    upstream_received_at: str = Field("", max_length=64, description="When the platform took the case.")
    upstream_due: str = Field("", max_length=64, description="The platform's deadline; a bare date means its end.")


class TransferOut(Schema):
    result: str = Field(..., description="created, updated or unchanged")
    upstream_id: str
    order_number: str
    order_state: str
    upstream_due: datetime | None


class FeedItem(Schema):
    event_id: int
    kind: str
    at: datetime
    upstream_id: str
    order_number: str
    state: str = Field(..., description="The order's state after the event (public code).")
    reply: str | None = Field(None, description="The final public reply, on the events that give it.")


class FeedOut(Schema):
    items: list[FeedItem]
    next_after: int = Field(..., description="Pass as `after` next time.")


class BatchOut(Schema):
    id: int
    platform: str
    file_name: str
    state: str
    total: int
    processed: int
    created: int
    updated: int
    unchanged: int
    conflicts: int
    rejected: int
    created_at: datetime
    finished_at: datetime | None


class RowOut(Schema):
    line: int
    upstream_id: str
    result: str
    order_number: str | None
    errors: dict[str, list[str]]


class RowPage(Schema):
    items: list[RowOut]
    page: int
    page_size: int
    total: int
    pages: int


def _batch_out(b: ImportBatch) -> dict:
    return {
        "id": b.pk,
        "platform": b.platform.code,
        "file_name": b.file_name,
        "state": b.state,
        "total": b.total,
        "processed": b.processed,
        "created": b.created,
        "updated": b.updated,
        "unchanged": b.unchanged,
        "conflicts": b.conflicts,
        "rejected": b.rejected,
        "created_at": b.created_at,
        "finished_at": b.finished_at,
    }


@router.post(
    "",
    response={200: TransferOut, 201: TransferOut, 403: Problem, 409: Problem, 422: Problem},
    summary="Receive one transferred case (idempotent on the upstream id)",
)
def receive(request: HttpRequest, payload: TransferIn):
    outcome = A.do_receive_transfer(request.user, payload.dict())
    t = outcome.transfer
    body = {
        "result": outcome.result,
        "upstream_id": t.upstream_id,
        "order_number": t.order.number,
        "order_state": t.order.state,
        "upstream_due": t.upstream_due,
    }
    return Status(201 if outcome.result == RowResult.CREATED else 200, body)


@router.get("/feed", response={200: FeedOut, 403: Problem}, summary="Status changes of the platform's orders")
def feed(request: HttpRequest, after: int = 0, limit: int = Query(100, ge=1, le=1000)):
    platform = A.platform_of_account(request.user)
    items = feed_items(platform, after=after, limit=limit)
    return {"items": items, "next_after": items[-1]["event_id"] if items else max(after, 0)}


@router.post(
    "/batches",
    response={202: BatchOut, 403: Problem, 422: Problem},
    summary="Upload an .xlsx or .csv export; it runs in the worker",
)
def upload(request: HttpRequest, platform: str, file: File[UploadedFile]):
    if file.size > MAX_BYTES:
        raise Invalid("The file is too large.", errors={"file": [f"at most {MAX_BYTES // (1024 * 1024)} MB"]})
    batch = A.do_start_import(request.user, platform, file.name, file.read())
    return Status(202, _batch_out(batch))


def _batch(request, batch_id: int) -> ImportBatch:
    A.check_can_import(request.user)
    batch = ImportBatch.objects.select_related("platform").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("No such import batch.")
    return batch


@router.get("/batches/{batch_id}", response={200: BatchOut, 403: Problem, 404: Problem})
def batch_detail(request: HttpRequest, batch_id: int):
    return _batch_out(_batch(request, batch_id))


@router.get("/batches/{batch_id}/rows", response={200: RowPage, 403: Problem, 404: Problem, 422: Problem})
def batch_rows(request: HttpRequest, batch_id: int, result: str = "", page: int = 1, page_size: int = 100):
    batch = _batch(request, batch_id)
    qs = batch.rows.select_related("order").order_by("line")
    if result:
        if result not in RowResult.values:
            raise Invalid("Unknown result.", errors={"result": [f"one of {', '.join(RowResult.values)}"]})
        qs = qs.filter(result=result)
    items, meta = paginate(qs, page, page_size, max_size=1000)
    rows = [
        {
            "line": r.line,
            "upstream_id": r.upstream_id,
            "result": r.result,
            "order_number": r.order.number if r.order_id else None,
            "errors": report_errors(r.errors, translate=False),
        }
        for r in items
    ]
    return {"items": rows, **{k: meta[k] for k in ("page", "page_size", "total", "pages")}}


def _register_too_big() -> None:
    """A body beyond DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 problem document (Django alone answers a bare 400)."""
    from django.core.exceptions import RequestDataTooBig

    from yihaotong.config import api as config

    def too_big(request, exc):
        log.warning("request body too large: %s %s", request.method, request.path)
        body = problem(413, "too_large", "Payload too large", "The request body is larger than the server accepts.")
        return config._problem_response(request, body, 413)

    config.api.add_exception_handler(RequestDataTooBig, too_big)


_register_too_big()
