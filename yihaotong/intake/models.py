"""Contacts (来电 / 来信 / 留言 / 转办): every contact is recorded, whatever its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ContactOutcome(models.TextChoices):
    DIRECT_ANSWER = "direct_answer", _("Direct answer")
    WORK_ORDER = "work_order", _("Work order")
    ATTACHED = "attached", _("Attached to an open order")
    EMERGENCY = "emergency", _("Emergency transfer")
    DISPOSITION = "disposition", _("Disposition")


class EmergencyService(models.TextChoices):
    POLICE = "110", _("110 Police")
    FIRE = "119", _("119 Fire")
    AMBULANCE = "120", _("120 Ambulance")
    TRAFFIC = "122", _("122 Traffic accidents")


class Contact(models.Model):
    channel = models.CharField(_("channel"), max_length=12)
    source = models.CharField(_("source"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    phone = models.CharField(_("requester phone"), max_length=32, blank=True, db_index=True)
    name = models.CharField(_("requester name"), max_length=64, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    address = models.CharField(_("address"), max_length=255, blank=True)
    street = models.ForeignKey(
        "directory.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("street")
    )
    summary = models.CharField(_("summary"), max_length=200)
    text = models.TextField(_("full text"), blank=True)
    request_type = models.ForeignKey("directory.RequestType", null=True, blank=True, on_delete=models.PROTECT)
    urgency = models.ForeignKey("directory.Urgency", null=True, blank=True, on_delete=models.PROTECT)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ContactOutcome.choices)
    article_ref = models.CharField(_("knowledge-base article"), max_length=64, blank=True)
    answer_text = models.TextField(_("answer given"), blank=True)
    emergency_service = models.CharField(
        _("emergency service"), max_length=4, choices=EmergencyService.choices, blank=True
    )
    transferred_at = models.DateTimeField(_("transferred at"), null=True, blank=True)
    disposition_reason = models.CharField(_("disposition reason"), max_length=32, blank=True)
    order = models.ForeignKey(
        "workorders.WorkOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="emergency") | ~Q(emergency_service=""), name="emergency_has_service"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="disposition") | ~Q(disposition_reason=""), name="disposition_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["work_order", "attached"]) | Q(order__isnull=False),
                name="order_outcome_has_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.summary}"
