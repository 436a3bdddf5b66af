"""Outbound webhooks: subscribers, the deliveries made from work-order events, and the event horizon.

Deliveries are made from ``workorders.Event`` rows by a periodic task that walks the events by id (the
horizon), never by hooking into other apps' actions. Rules live in ``actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The event kinds a subscriber may choose (an empty choice means every kind).
EVENT_KINDS = {
    "create": _("Order created"),
    "accept": _("Accepted"),
    "classify": _("Classified"),
    "answer": _("Answered directly"),
    "reject": _("Disposed"),
    "merge": _("Merged"),
    "dispatch": _("Dispatched"),
    "sign": _("Signed for"),
    "reply": _("Replied by the unit"),
    "approve_reply": _("Reply approved"),
    "send_back": _("Reply sent back"),
    "terminate": _("Terminated"),
    "close": _("Closed"),
    "redo": _("Redo"),
    "callback": _("Callback recorded"),
    "supervise": _("Supervised"),
    "warning": _("Deadline warning"),
}


class Subscription(models.Model):
    """A receiver of signed event notifications (an internal system, or an upstream platform's push URL)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=128)
    events = models.JSONField(_("events"), default=list, blank=True, help_text=_("Empty means every event."))
    public_only = models.BooleanField(
        _("public events only"), default=False, help_text=_("Only events the requester sees; no reasons.")
    )
    # Set for the push adapter of an upstream platform: only the orders transferred from it.
    platform = models.OneToOneField(
        "channels.Platform",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="push_subscription",
        verbose_name=_("upstream platform"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Deliveries start with the events after this id (no backfill of older history).
    start_after_event = models.BigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return not self.events or kind in self.events


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event sent to one subscriber: the signed body, the attempts and their outcome."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    event = models.ForeignKey(
        "workorders.Event", on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("event")
    )
    kind = models.CharField(_("event"), max_length=32)
    order_number = models.CharField(_("order number"), max_length=24, blank=True)
    body = models.TextField(editable=False)  # the exact JSON sent (the signature covers it)
    state = models.CharField(_("state"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="delivery_once_per_event")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="delivery_due"),
            models.Index(fields=["subscription", "-id"], name="delivery_sub_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.subscription_id} (#{self.pk})"


class Horizon(models.Model):
    """How far the dispatcher has read the event log (one row). Events up to ``last_event_id`` are settled:
    none with a smaller id can still appear (a gap is waited for, then skipped as a rolled-back id)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(default=0)
    gap_after = models.BigIntegerField(null=True, blank=True)
    gap_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"events ≤ {self.last_event_id}"
