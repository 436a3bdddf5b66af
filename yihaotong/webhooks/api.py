"""Outbound webhooks for system admins: subscriptions, the delivery log, re-sending."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from yihaotong.core.api import Problem, paginate
from yihaotong.core.errors import Invalid

from . import actions as A
from .access import check_can_manage
from .models import EVENT_KINDS, Delivery, DeliveryState, Subscription

router = Router()


class SubscriptionIn(Schema):
    name: str = Field(..., max_length=100)
    url: str = Field(..., max_length=500)
    secret: str = Field("", max_length=128, description="HMAC key; blank: keep it (or make one when creating).")
    events: list[str] = Field([], description=f"Empty: every event. Kinds: {', '.join(EVENT_KINDS)}")
    public_only: bool = False
    is_active: bool = True


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    public_only: bool
    is_active: bool
    platform: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(..., description="Shown when created; keep it to verify signatures.")


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: int
    kind: str
    order_number: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    page: int
    page_size: int
    total: int
    pages: int


def _out(s: Subscription) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "url": s.url,
        "events": s.events,
        "public_only": s.public_only,
        "is_active": s.is_active,
        "platform": s.platform.code if s.platform_id else None,
        "created_at": s.created_at,
    }


@router.get("/subscriptions", response={200: list[SubscriptionOut], 403: Problem})
def subscriptions(request: HttpRequest):
    check_can_manage(request.user)
    return [_out(s) for s in Subscription.objects.select_related("platform").order_by("name", "id")]


@router.post("/subscriptions", response={201: SubscriptionCreated, 403: Problem, 422: Problem})
def create_subscription(request: HttpRequest, payload: SubscriptionIn):
    sub = A.do_save_subscription(request.user, None, **payload.dict())
    return Status(201, {**_out(sub), "secret": sub.secret})


@router.put("/subscriptions/{sub_id}", response={200: SubscriptionOut, 403: Problem, 404: Problem, 422: Problem})
def update_subscription(request: HttpRequest, sub_id: int, payload: SubscriptionIn):
    return _out(A.do_save_subscription(request.user, sub_id, **payload.dict()))


@router.get("/deliveries", response={200: DeliveryPage, 403: Problem, 422: Problem})
def deliveries(
    request: HttpRequest, subscription: int | None = None, state: str = "", page: int = 1, page_size: int = 50
):
    check_can_manage(request.user)
    qs = Delivery.objects.order_by("-id")
    if subscription:
        qs = qs.filter(subscription_id=subscription)
    if state:
        if state not in DeliveryState.values:
            raise Invalid("Unknown state.", errors={"state": [f"one of {', '.join(DeliveryState.values)}"]})
        qs = qs.filter(state=state)
    items, meta = paginate(qs, page, page_size)
    return {"items": items, **{k: meta[k] for k in ("page", "page_size", "total", "pages")}}


@router.post("/deliveries/{delivery_id}/resend", response={200: DeliveryOut, 403: Problem, 404: Problem})
def resend(request: HttpRequest, delivery_id: int):
    return A.do_resend_delivery(request.user, delivery_id)
