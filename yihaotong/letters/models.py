"""Letters by email (来信): mail read from the centre's mailbox, waiting for an operator to record it as a
contact; and the mail refused (too large, malformed, unacceptable attachments) with its reason."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LetterState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    RECORDED = "recorded", _("Recorded as a contact")
    DISMISSED = "dismissed", _("Dismissed")


class RejectReason(models.TextChoices):
    TOO_LARGE = "too_large", _("Too large")
    MALFORMED = "malformed", _("Malformed")
    NO_SENDER = "no_sender", _("No sender address")
    EMPTY = "empty", _("No subject and no text")
    ATTACHMENT_TYPE = "attachment_type", _("Attachment type not accepted")
    ATTACHMENT_SIZE = "attachment_size", _("Attachment too large")
    TOO_MANY_ATTACHMENTS = "too_many_attachments", _("Too many attachments")


class Letter(models.Model):
    """One mail message read from the mailbox. ``message_key`` (the SHA-256 of its Message-ID, or of the
    whole message when it has none) makes reading the same message twice create nothing."""

    message_key = models.CharField(max_length=64, unique=True)
    message_id = models.TextField(_("Message-ID"), blank=True)
    folder = models.CharField(_("folder"), max_length=100, blank=True)
    uid = models.CharField(_("mailbox UID"), max_length=32, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True)
    sender_email = models.CharField(_("sender address"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("sanitised HTML"), blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("read from the mailbox at"), db_index=True)
    state = models.CharField(_("state"), max_length=12, choices=LetterState.choices, default=LetterState.WAITING)
    contact = models.ForeignKey(
        "intake.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    dismiss_reason = models.CharField(_("reason for dismissal"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        indexes = [models.Index(fields=["state", "received_at"], name="letters_state_idx")]

    def __str__(self) -> str:
        return f"{self.sender_email}: {self.subject}"


def letter_file_path(instance, filename: str) -> str:
    return f"letters/{timezone.now():%Y/%m}/{instance.letter_id}/{filename}"


class LetterAttachment(models.Model):
    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=letter_file_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class LetterEvent(models.Model):
    """The append-only log of a letter: received, recorded as a contact, dismissed."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.kind}"


class RejectedMail(models.Model):
    """A message the poller refused, with the reason; nothing else of it was kept."""

    message_key = models.CharField(max_length=64, unique=True)
    message_id = models.TextField(_("Message-ID"), blank=True)
    folder = models.CharField(_("folder"), max_length=100, blank=True)
    uid = models.CharField(_("mailbox UID"), max_length=32, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    reason = models.CharField(_("reason"), max_length=24, choices=RejectReason.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    at = models.DateTimeField(_("refused at"), db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("refused mail")
        verbose_name_plural = _("refused mail")

    def __str__(self) -> str:
        return f"{self.sender}: {self.reason}"
