"""Analytics: rollup buckets kept from the event log, their cursors, settings (weights and thresholds as data),
hot-spot alerts with their append-only log, and the stored monthly reports.

Buckets are written only by ``rollup.py`` (incrementally from ``workorders.Event`` and ``intake.Contact``, or
rebuilt from them); alerts, settings and reports only by ``actions.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Bucket(models.Model):
    """One counter of one day: ``n`` events of ``metric`` (and the sum ``total`` of their values) where the
    order's dimension ``dim`` has the value ``key`` ("all" / "" is the district)."""

    day = models.DateField()
    metric = models.CharField(max_length=24)
    dim = models.CharField(max_length=12)
    key = models.CharField(max_length=48, default="")
    n = models.BigIntegerField(default=0)
    total = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("rollup bucket")
        verbose_name_plural = _("rollup buckets")
        constraints = [models.UniqueConstraint(fields=["day", "metric", "dim", "key"], name="bucket_unique")]
        indexes = [
            # Every read: one dimension, some metrics, a range of days (the unique index serves day-first).
            models.Index(fields=["dim", "metric", "day"], include=["key", "n", "total"], name="bucket_dim_metric_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.dim}={self.key}: {self.n}"


class RollupCursor(models.Model):
    """How far a source (events, contacts) has been rolled up: the last id, and ids skipped below it that
    may still appear (a transaction that took its id earlier and committed later)."""

    source = models.CharField(max_length=16, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=dict, blank=True)  # {id: first seen (ISO)}
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.source}: {self.last_id}"


class AnalyticsSetting(models.Model):
    """Weights and thresholds (policy as data): one row per key, changed through ``do_save_settings``."""

    key = models.SlugField(_("key"), max_length=48, unique=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("analytics setting")
        verbose_name_plural = _("analytics settings")

    def __str__(self) -> str:
        return self.key


class AlertState(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert state", "Open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert state", "Acknowledged")
    ASSIGNED = "assigned", pgettext_lazy("alert state", "Assigned")
    CLOSED = "closed", pgettext_lazy("alert state", "Closed")


class Alert(models.Model):
    """预警提示: a rising cluster of similar requests."""

    key = models.CharField(max_length=160, db_index=True)
    label = models.CharField(_("cluster"), max_length=200)
    state = models.CharField(_("state"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    count = models.PositiveIntegerField(_("requests in the window"))
    baseline = models.FloatField(_("usual level in a window"))
    growth = models.FloatField(_("growth"))
    seasonal = models.BooleanField(_("seasonal"), default=False)
    street = models.ForeignKey(
        "directory.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("street")
    )
    category = models.ForeignKey(
        "directory.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    example_order_ids = models.JSONField(default=list, blank=True)
    unit_ids = models.JSONField(default=list, blank=True)
    assigned_unit = models.ForeignKey(
        "directory.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned unit"),
    )
    created_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["state", "-created_at"], name="alert_state_created")]

    def __str__(self) -> str:
        return self.label


class AlertLog(models.Model):
    """Append-only: what happened to an alert (raised, updated, acknowledged, assigned, closed)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("alert log entries are append-only")
        super().save(*args, **kwargs)


class MonthlyReport(models.Model):
    """月报: the figures of one month as generated (the workbook and the page are drawn from ``data``)."""

    month = models.DateField(_("month"), unique=True)  # the first day of the month
    data = models.JSONField()
    generated_at = models.DateTimeField(_("generated at"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
