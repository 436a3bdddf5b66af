"""Access to personal data and changes to policy data, each a row that is never changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessLog(models.Model):
    """Who saw whose personal data, when, and why (every reveal writes one)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), db_index=True)
    subject_type = models.CharField(_("record type"), max_length=32)
    subject_id = models.CharField(_("record"), max_length=32, db_index=True)
    fields = models.CharField(_("fields"), max_length=128)
    reason = models.TextField(_("reason"))
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.summary if hasattr(self, 'summary') else self.fields}"


class ConfigChange(models.Model):
    """An audited change to policy data (directory, calendar, time limits, catalogue, settings)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), db_index=True)
    model = models.CharField(_("model"), max_length=64)
    object_id = models.CharField(_("object"), max_length=64)
    action = models.CharField(_("action"), max_length=16)
    summary = models.CharField(_("summary"), max_length=255)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("policy change")
        verbose_name_plural = _("policy changes")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.summary if hasattr(self, 'summary') else self.fields}"
