"""Calls from the telephony server (来电): one row per call, and the events the server reported about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CallState(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")
    MISSED = "missed", _("Missed")


class CallEventKind(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")
    # Written by our actions, not by the telephony server.
    LINKED = "linked", _("Linked to a contact")
    CALLED_BACK = "called_back", _("Called back")
    EXPIRED = "expired", _("Rang out (no end reported)")


WEBHOOK_EVENTS = (CallEventKind.RINGING, CallEventKind.ANSWERED, CallEventKind.ENDED)


class Extension(models.Model):
    """An extension (分机号) of the telephony server and the operator who sits at it."""

    number = models.CharField(_("extension"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("operator")
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self) -> str:
        return f"{self.number} → {self.user}"


class Call(models.Model):
    """A call as the telephony server reported it. The state follows from the events received, whatever
    their order: answered and ended → ended; ended without an answer → missed (a call-back is due)."""

    call_id = models.CharField(_("call id"), max_length=64, unique=True)
    caller = models.CharField(_("caller number"), max_length=32, db_index=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    agent_ref = models.CharField(_("agent as reported"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=CallState.choices, default=CallState.RINGING)
    rang_at = models.DateTimeField(_("rang at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration = models.PositiveIntegerField(_("talk time (s)"), null=True, blank=True)
    created_at = models.DateTimeField(_("first reported at"), db_index=True)
    contact = models.ForeignKey(
        "intake.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("contact"),
    )
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    called_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    callback_note = models.CharField(_("call-back note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [
            models.Index(fields=["state", "created_at"], name="tel_call_state_idx"),
            models.Index(fields=["agent", "answered_at"], name="tel_call_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.caller}"


class CallEvent(models.Model):
    """One event of a call as received (append-only). A replayed event (same call, same kind) is ignored."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=12, choices=CallEventKind.choices)
    at = models.DateTimeField(_("at"))
    received_at = models.DateTimeField(_("received at"))
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        constraints = [models.UniqueConstraint(fields=["call", "kind"], name="tel_one_event_per_kind")]

    def __str__(self) -> str:
        return f"{self.call_id} {self.kind}"
