"""Every write of outbound webhooks: subscriptions, the dispatcher (events → deliveries), sending, re-sending.

Signing: ``X-Yihaotong-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``. A receiver
recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant time, and refuses a
timestamp older than a few minutes (a replay). ``verify_signature`` does exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.core.errors import Invalid, Message, NotFound
from yihaotong.workorders.models import Event

from .access import check_can_manage
from .models import EVENT_KINDS, Delivery, DeliveryState, Horizon, Subscription

log = logging.getLogger("yihaotong.webhooks")

SIGNATURE_HEADER = "X-Yihaotong-Signature"


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("WEBHOOK_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: base × 2^(attempts − 1), capped (60 s, 2 min, 4 min … 6 h)."""
    base = float(_setting("WEBHOOK_RETRY_BASE_SECONDS", 60))
    cap = float(_setting("WEBHOOK_RETRY_CAP_SECONDS", 6 * 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = 300) -> bool:
    """What a receiver does: check the HMAC and refuse old (replayed) timestamps."""
    try:
        parts = dict(p.split("=", 1) for p in (header or "").split(","))
        timestamp = int(parts["t"])
        mac = parts["v1"]
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp).split("v1=", 1)[1], mac)


# ---------------------------------------------------------------------------------------------------------
# subscriptions


def _check_url(url: str) -> list:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [gettext_noop("an http:// or https:// address")]
    if len(url) > 500:
        return [gettext_noop("At most 500 characters.")]
    return []


def _clean(name: str, url: str, secret: str, events: list[str]) -> dict:
    errors: dict[str, list] = {}
    if not (name or "").strip():
        errors["name"] = [gettext_noop("This field is required.")]
    elif len(name) > 100:
        errors["name"] = [gettext_noop("At most 100 characters.")]
    if e := _check_url(url):
        errors["url"] = e
    if secret and not (16 <= len(secret) <= 128):
        errors["secret"] = [gettext_noop("16 to 128 characters.")]
    unknown = [k for k in events or [] if k not in EVENT_KINDS]
    if unknown:
        errors["events"] = [Message(gettext_noop("unknown event %(kind)r"), kind=k) for k in unknown]
    return errors


def _last_event_id() -> int:
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


@transaction.atomic
def do_save_subscription(
    actor,
    subscription_id: int | None = None,
    *,
    name: str,
    url: str,
    secret: str = "",
    events: list[str] | None = None,
    public_only: bool = False,
    is_active: bool = True,
    now: datetime | None = None,
) -> Subscription:
    """Create (``subscription_id`` None) or change a subscription. A blank secret keeps the old one, or makes
    a new one when creating. Deliveries start with the events after the moment of creation."""
    check_can_manage(actor)
    now = now or timezone.now()
    events = list(dict.fromkeys(events or []))
    errors = _clean(name, url, secret, events)
    if errors:
        raise Invalid(gettext_noop("The subscription is not valid."), errors=errors)
    if subscription_id is None:
        sub = Subscription(created_by=actor if actor.pk else None, created_at=now, start_after_event=_last_event_id())
        sub.secret = secret or secrets.token_urlsafe(32)
    else:
        sub = Subscription.objects.select_for_update().filter(pk=subscription_id, platform__isnull=True).first()
        if sub is None:
            raise NotFound(gettext_noop("No such subscription."))
        if secret:
            sub.secret = secret
        if is_active and not sub.is_active:
            sub.start_after_event = max(sub.start_after_event, _last_event_id())  # no flood of the paused time
    sub.name, sub.url, sub.events, sub.public_only, sub.is_active = name.strip(), url, events, public_only, is_active
    sub.save()
    log.info("webhook subscription saved: id=%s by=%s", sub.pk, getattr(actor, "username", actor))
    return sub


def do_sync_platform_push(platform, *, now: datetime | None = None) -> Subscription | None:
    """The push adapter of an upstream platform is a public-only subscription limited to its orders."""
    now = now or timezone.now()
    sub = Subscription.objects.select_for_update().filter(platform=platform).first()
    if not platform.push_url:
        if sub is not None and sub.is_active:
            sub.is_active = False
            sub.save(update_fields=["is_active", "updated_at"])
        return sub
    if errors := _check_url(platform.push_url):
        raise Invalid(gettext_noop("The platform is not valid."), errors={"push_url": errors})
    if sub is None:
        sub = Subscription(platform=platform, created_at=now, start_after_event=_last_event_id())
    sub.name = f"{platform.name} · 回传"[:100]
    sub.url, sub.secret, sub.events, sub.public_only = platform.push_url, platform.push_secret, [], True
    if platform.is_active and not sub.is_active and sub.pk:
        sub.start_after_event = max(sub.start_after_event, _last_event_id())
    sub.is_active = platform.is_active
    sub.save()
    return sub


@transaction.atomic
def do_resend_delivery(actor, delivery_id: int, *, now: datetime | None = None) -> Delivery:
    """Queue a delivery again at once, with a fresh budget of attempts (the body stays the same)."""
    check_can_manage(actor)
    now = now or timezone.now()
    delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(gettext_noop("No such delivery."))
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
    log.info("webhook delivery re-sent: id=%s by=%s", delivery.pk, getattr(actor, "username", actor))
    return delivery


# ---------------------------------------------------------------------------------------------------------
# the horizon and the dispatcher


def advance_horizon(now: datetime, *, limit: int = 2000) -> tuple[int, int]:
    """Move the horizon over the events committed since; return (old, new) last event ids.

    Ids are handed out before commit, so an id missing below a visible one may belong to a transaction
    still running: the horizon stops there, and skips the gap only when it is still there after
    ``WEBHOOK_GAP_WAIT_SECONDS`` (a rolled-back id). Call inside a transaction.
    """
    horizon = Horizon.objects.select_for_update().filter(pk=1).first()
    if horizon is None:
        first = Event.objects.order_by("id").values_list("id", flat=True).first()
        Horizon.objects.get_or_create(pk=1, defaults={"last_event_id": (first or 1) - 1})
        horizon = Horizon.objects.select_for_update().get(pk=1)
    old = new = horizon.last_event_id
    wait = timedelta(seconds=float(_setting("WEBHOOK_GAP_WAIT_SECONDS", 60)))
    ids = Event.objects.filter(id__gt=old).order_by("id").values_list("id", flat=True)[:limit]
    gap_after, gap_seen_at = horizon.gap_after, horizon.gap_seen_at
    for event_id in ids:
        if event_id != new + 1:
            if gap_after == new and gap_seen_at is not None and now - gap_seen_at >= wait:
                log.info("event ids %s..%s never committed: skipped", new + 1, event_id - 1)
            else:
                if gap_after != new:
                    gap_after, gap_seen_at = new, now
                break
        new = event_id
    if gap_after is not None and gap_after < new:
        gap_after = gap_seen_at = None
    horizon.last_event_id, horizon.gap_after, horizon.gap_seen_at = new, gap_after, gap_seen_at
    horizon.save()
    return old, new


def settled_event_id() -> int:
    """The last event id that no later commit can precede (for the upstream status feed)."""
    return Horizon.objects.filter(pk=1).values_list("last_event_id", flat=True).first() or 0


FINAL_REPLY_STATES = {"answered", "pending_callback", "closed"}


def event_payload(event: Event, order, *, public_only: bool, upstream_ref: str = "") -> dict:
    body = {
        "event": {
            "id": event.id,
            "kind": event.kind,
            "at": event.at.isoformat(),
            "from_state": event.from_state,
            "to_state": event.to_state,
        },
        "order": {
            "number": order.number,
            "state": order.state,
            "channel": order.channel,
            "source": order.source,
            "upstream_ref": order.upstream_ref,
        },
    }
    if event.to_state in FINAL_REPLY_STATES and order.public_reply:
        body["order"]["reply"] = order.public_reply
    if not public_only:
        body["event"]["reason"] = event.reason
        body["event"]["public"] = event.is_public
    return body


@transaction.atomic
def do_dispatch_events(*, now: datetime | None = None, limit: int = 2000) -> int:
    """Make the deliveries of the events past the horizon (each subscription, each wanted event, once)."""
    from yihaotong.channels.models import Transfer

    now = now or timezone.now()
    old, new = advance_horizon(now, limit=limit)
    if new == old:
        return 0
    subs = list(Subscription.objects.filter(is_active=True))
    if not subs:
        return 0
    events = list(
        Event.objects.filter(id__gt=old, id__lte=new)
        .select_related("order")
        .only(
            "id",
            "kind",
            "at",
            "from_state",
            "to_state",
            "reason",
            "is_public",
            "order_id",
            "order__number",
            "order__state",
            "order__channel",
            "order__source",
            "order__upstream_ref",
            "order__public_reply",
        )
        .order_by("id")
    )
    platform_of = {}
    if any(s.platform_id for s in subs):
        platform_of = dict(
            Transfer.objects.filter(order_id__in={e.order_id for e in events}).values_list("order_id", "platform_id")
        )
    rows = []
    for event in events:
        for sub in subs:
            if event.id <= sub.start_after_event or not sub.wants(event.kind):
                continue
            if sub.public_only and not event.is_public:
                continue
            if sub.platform_id and platform_of.get(event.order_id) != sub.platform_id:
                continue
            body = event_payload(event, event.order, public_only=sub.public_only)
            rows.append(
                Delivery(
                    subscription=sub,
                    event_id=event.id,
                    kind=event.kind,
                    order_number=event.order.number,
                    body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


# ---------------------------------------------------------------------------------------------------------
# sending


def _post(delivery: Delivery) -> tuple[int | None, str]:
    import requests

    sub = delivery.subscription
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "yihaotong-webhooks/1",
        SIGNATURE_HEADER: sign(sub.secret, body, int(time.time())),
        "X-Yihaotong-Event": delivery.kind,
        "X-Yihaotong-Delivery": str(delivery.pk),
    }
    timeout = float(_setting("WEBHOOK_TIMEOUT_SECONDS", 10))
    try:
        response = requests.post(sub.url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, (response.text or response.reason or "")[:500]


def do_send_due(*, now: datetime | None = None, batch: int = 50) -> dict[str, int]:
    """Send the deliveries whose time has come; record each outcome and schedule the retries."""
    now = now or timezone.now()
    lease = timedelta(seconds=float(_setting("WEBHOOK_TIMEOUT_SECONDS", 10)) * 3 + 60)
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch]
        )
        # Claim them: another sender skips them until the lease runs out (a crash mid-send retries).
        Delivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=now + lease)
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    subs = {s.pk: s for s in Subscription.objects.filter(pk__in={d.subscription_id for d in due})}
    for delivery in due:
        delivery.subscription = subs[delivery.subscription_id]
        status, error = _post(delivery)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status = status
        delivery.last_error = error
        if status is not None and 200 <= status < 300:
            delivery.state = DeliveryState.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            counts["delivered"] += 1
        elif delivery.attempts >= max_attempts():
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
            counts["failed"] += 1
            log.warning("webhook delivery failed for good: id=%s status=%s error=%s", delivery.pk, status, error)
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            counts["retry"] += 1
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=delivery.attempts,
            last_attempt_at=delivery.last_attempt_at,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            state=delivery.state,
            delivered_at=delivery.delivered_at,
            next_attempt_at=delivery.next_attempt_at,
        )
    return counts
