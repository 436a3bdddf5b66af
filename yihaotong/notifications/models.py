"""The outbox: notifications are written in the same transaction as the change that causes them and
delivered afterwards by a huey task (so a rolled-back change never notifies anybody)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yihaotong.core.models import CompiledWrites


class OutboxChannel(models.TextChoices):
    INTERNAL = "internal", _("In-app")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class OutboxState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (opted out)")


class Outbox(CompiledWrites):
    kind = models.CharField(_("kind"), max_length=32)
    channel = models.CharField(_("channel"), max_length=10, choices=OutboxChannel.choices)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    recipient_unit = models.ForeignKey(
        "directory.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    recipient_role = models.CharField(_("recipient role"), max_length=20, blank=True)
    recipient_address = models.CharField(_("phone or email"), max_length=128, blank=True)
    order = models.ForeignKey(
        "workorders.WorkOrder", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    state = models.CharField(max_length=8, choices=OutboxState.choices, default=OutboxState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Retries: a queued row is not picked before this time (backoff after a failure, or the lease of the
    # worker that is sending it right now). Empty = at once.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        # Most actions queue two rows, so every index costs twice per action: only what is read.
        indexes = [
            # the delivery queue (deliver_outbox): queued rows by id
            models.Index(fields=["id"], condition=Q(state="queued"), name="outbox_queued"),
            # a person's and a unit's notifications, newest first
            models.Index(
                fields=["recipient_user", "-created_at"], condition=Q(recipient_user__isnull=False), name="outbox_user"
            ),
            models.Index(
                fields=["recipient_unit", "recipient_role", "-created_at"],
                condition=Q(recipient_unit__isnull=False),
                name="outbox_unit",
            ),
            # the centre's role-only in-app rows (to reviewers, dispatchers, supervisors…): the notification
            # centre's third branch (decision 0024). Partial: SMS, email, user and unit rows do not pay for it.
            models.Index(
                fields=["recipient_role", "-created_at"],
                condition=Q(channel="internal", recipient_user__isnull=True, recipient_unit__isnull=True),
                name="outbox_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_user or self.recipient_unit or self.masked_address}"

    @property
    def masked_address(self) -> str:
        """The phone or email with most of it hidden (lists and logs never show a citizen's number)."""
        from yihaotong.core.text import mask_phone

        address = self.recipient_address or ""
        if "@" in address:
            name, _at, domain = address.partition("@")
            return f"{name[:1]}***@{domain}"
        return mask_phone(address)

    @property
    def idempotency_key(self) -> str:
        """Sent with every attempt of this row: the gateway drops a repeat, so a retry never sends twice."""
        return f"yihaotong-outbox-{self.pk}"


class NotificationWatermark(models.Model):
    """A staff member's "read everything up to here": every in-app notification with an id up to
    ``read_through`` counts as read for this user (mark all read). One row per user (decision 0024)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    read_through = models.BigIntegerField(_("read through notification"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("notification watermark")
        verbose_name_plural = _("notification watermarks")

    def __str__(self) -> str:
        return f"{self.user_id} ≤ {self.read_through}"


class NotificationReceipt(models.Model):
    """One staff member has read one in-app notification above their watermark. Per user, so that one
    handler reading a notification of the unit does not mark it read for colleagues (decision 0024).
    Receipts at or below the watermark are removed when the watermark passes them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("user")
    )
    notification = models.ForeignKey(
        Outbox, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("notification")
    )
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("notification receipt")
        verbose_name_plural = _("notification receipts")
        constraints = [models.UniqueConstraint(fields=["user", "notification"], name="notification_receipt_once")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.notification_id}"


class SmsOptOut(models.Model):
    """A citizen who asked for no non-essential SMS (notices of progress). Keyed by a hash of the phone:
    the list never holds the number itself. Essential messages (codes, the query code) still go."""

    phone_hash = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField(_("at"))
    source = models.CharField(_("source"), max_length=16, default="link")

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self) -> str:
        return f"{self.phone_hash[:12]}… ({self.source})"


class RecipientLanguage(models.Model):
    """The language a citizen used with us (the portal's language switch), for the texts of their SMS.
    Keyed by a hash of the phone, like the opt-outs; absent means the default language (Chinese)."""

    phone_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=10)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("recipient language")
        verbose_name_plural = _("recipient languages")

    def __str__(self) -> str:
        return f"{self.phone_hash[:12]}… ({self.language})"


class VerificationCode(models.Model):
    """A one-time SMS code proving a citizen holds a phone (stored hashed; expiry; attempts counted)."""

    phone_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=24)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        indexes = [models.Index(fields=["phone_hash", "purpose", "-created_at"], name="vcode_phone")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.phone_hash[:12]}…"


class RateCounter(models.Model):
    """A fixed-window counter shared by every process (rate limits and wrong-code throttles of the public
    portal): ``key`` names the scope, the subject, the grid and the window (limits.py); rows past
    ``expires_at`` are swept."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
